"""Contracts shared by every model family.

A `Predictor` turns one image plus one `FaceRegion` into one `Prediction` (image-space
points). Families differ in how they crop and decode; the pipeline, the CLI and the GUI only
see this interface.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from facealign_gui.core.annotation import Prediction


@dataclass(frozen=True)
class FaceRegion:
    """Where the face is, in whatever form the source knows it.

    Datasets in HRNet's format give ``center``/``scale`` (scale = box side / 200); detectors
    and WFLW rects give ``box`` (x1, y1, x2, y2); MediaPipe's detector also gives six
    ``keypoints`` (right eye, left eye, nose tip, mouth, right ear, left ear) used for rotation.
    A predictor uses what its crop rule needs and derives the rest.
    """

    center: tuple[float, float] | None = None
    scale: float | None = None
    box: tuple[float, float, float, float] | None = None
    keypoints: np.ndarray | None = None
    score: float = 1.0


class InferenceError(Exception):
    """A model or its outputs do not match what the card says; the message names the file."""


@runtime_checkable
class Predictor(Protocol):
    """One loaded model. Thread-safe: one instance is shared by every worker."""

    model_id: str
    num_points: int
    scheme: str | None

    def predict(self, image: np.ndarray, face: FaceRegion) -> Prediction:
        """Landmarks for one face of a BGR uint8 (H, W, 3) image."""
        ...

    def predict_batch(self, images: list[np.ndarray], faces: list[FaceRegion]) -> list[Prediction]:
        """Same as `predict` for several faces, batched through the runtime when possible."""
        ...
