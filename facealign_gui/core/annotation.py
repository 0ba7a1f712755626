"""What a person placed and what a model predicted: two separate types.

Coordinates everywhere in the project are float pixels in the *image* frame, with the
convention that the centre of the top-left pixel is (0, 0) (OpenCV / HRNet CSV). Readers of
formats with another convention (iBUG ``.pts`` is 1-based) convert on read and on write.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np


class Source(str, enum.Enum):
    """Where an annotation's points came from."""

    GROUND_TRUTH = "ground_truth"
    PREDICTED = "predicted"
    EDITED = "edited"


class Status(str, enum.Enum):
    """Review status of one image in a labelling session."""

    UNLABELLED = "unlabelled"
    PREDICTED = "predicted"
    EDITED = "edited"
    VERIFIED = "verified"


@dataclass
class Prediction:
    """A model's output for one face, in image coordinates.

    Attributes
    ----------
    points : (K, 2) float64 image-space coordinates.
    confidence : (K,) float32, the decoder's per-point confidence (e.g. heatmap peak).
    heatmaps : optional (K, H, W) float16 heatmaps for display (crop space).
    crop_to_image : optional 2x3 affine matrix mapping heatmap pixels to image pixels.
    model_id : identifier of the model card that produced it.
    seconds : wall time spent on this face (pre-process + run + decode).
    """

    points: np.ndarray
    confidence: np.ndarray
    heatmaps: np.ndarray | None = None
    crop_to_image: np.ndarray | None = None
    model_id: str = ""
    seconds: float = 0.0

    @property
    def num_points(self) -> int:
        return int(self.points.shape[0])


@dataclass
class Annotation:
    """A person's (or a dataset's) landmarks for one face.

    ``from_prediction`` keeps the prediction an edited annotation started from, so the tool
    can report how much correcting a model needed.
    """

    points: np.ndarray
    visible: np.ndarray
    source: Source = Source.GROUND_TRUTH
    from_prediction: Prediction | None = field(default=None, repr=False)

    @classmethod
    def from_predicted(cls, prediction: Prediction) -> Annotation:
        """A person's annotation that starts as a copy of ``prediction``."""
        k = prediction.num_points
        return cls(
            points=np.array(prediction.points, dtype=np.float64, copy=True),
            visible=np.ones(k, dtype=bool),
            source=Source.EDITED,
            from_prediction=prediction,
        )

    @property
    def num_points(self) -> int:
        return int(self.points.shape[0])
