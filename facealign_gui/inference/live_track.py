"""Detect every N frames, track in between: the default model's live-view loop.

As MediaPipe's face-mesh graphs do, the detector runs only now and then; on the frames in
between each face is found again from its previous mesh (`MediaPipePredictor.track`: one
pass on MediaPipe's tracking ROI, no mirrored pass). A face whose presence score drops
below ``min_presence`` is dropped, and the next frame runs the detector again. The live
view calls `FaceTracker.step` once per frame (not thread-safe: one tracker per video).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from facealign_gui.inference.blazeface import iou
from facealign_gui.inference.mediapipe import MediaPipePredictor, MeshPrediction
from facealign_gui.inference.types import FaceRegion

Detector = Callable[[np.ndarray], list[FaceRegion]]


def live_detector(image: np.ndarray, threads: int | None = None) -> list[FaceRegion]:
    """Both BlazeFace models on the whole frame, no tiles (a frame's faces are not tiny)."""
    from facealign_gui.inference.detect import detect_faces

    return detect_faces(image, tile_above=None, threads=threads)


class FaceTracker:
    """Per-frame faces and landmarks for a video (see the module docstring).

    Parameters
    ----------
    predictor : the default model (68 or 98 points).
    detect_every : run the detector on every N-th frame (1: every frame).
    min_presence : drop a tracked face below this face-presence score.
    detector : faces of a frame (default `live_detector` with ``threads``).
    threads : onnxruntime intra-op threads of the default detector's sessions; give the
        predictor's own count (a second thread pool spinning beside the landmark session
        costs more than it saves on 2 cores: measured in benchmarks/bench_default.py).
    """

    def __init__(
        self,
        predictor: MediaPipePredictor,
        detect_every: int = 10,
        min_presence: float = 0.5,
        detector: Detector | None = None,
        threads: int | None = None,
    ) -> None:
        if detect_every < 1:
            raise ValueError(f"detect_every must be at least 1, got {detect_every}")
        self.predictor = predictor
        self.detect_every = int(detect_every)
        self.min_presence = float(min_presence)
        self.detector = detector or functools.partial(live_detector, threads=threads)
        self.frame = 0
        self.tracked: list[MeshPrediction] = []

    def reset(self) -> None:
        self.frame = 0
        self.tracked = []

    def step(self, image: np.ndarray) -> list[MeshPrediction]:
        """The faces of the next frame, each a `MeshPrediction` (mesh kept for tracking)."""
        detect_now = self.frame % self.detect_every == 0 or not self.tracked
        self.frame += 1
        tracked = [self.predictor.track(image, p) for p in self.tracked]
        tracked = [p for p in tracked if p.presence >= self.min_presence]
        if detect_now:
            boxes = [_box(p) for p in tracked]
            for face in self.detector(image):
                box = np.asarray(face.box, dtype=np.float64)
                if boxes and float(np.max(iou(box, np.asarray(boxes)))) > 0.3:
                    continue  # already tracked
                pred = self.predictor.track_from(image, face)
                if pred.presence >= self.min_presence:
                    tracked.append(pred)
                    boxes.append(_box(pred))
        self.tracked = tracked
        return list(tracked)


def _box(pred: MeshPrediction) -> np.ndarray:
    pts = (pred.mesh if pred.mesh is not None else pred.points)[:, :2]
    return np.concatenate([pts.min(axis=0), pts.max(axis=0)])
