"""Follow faces through a video: detect now and then, track from the last landmarks between.

MediaPipe's face-mesh graph runs its detector only when it has no face to follow: each frame's
landmarks give the next frame's region (``face_landmark_landmarks_to_roi``; here
`mediapipe.face_from_mesh` for the mesh model, the landmarks' box for any other model). A face
is lost when its prediction's score drops below ``min_score`` (the mesh's face presence, or the
mean landmark confidence) or it leaves the frame. The detector runs on the first frame, on
the frame after every face was lost, and every ``redetect_every`` frames; then a detection
that overlaps a tracked face (IoU > 0.3) is not added twice.

A predictor with a fast per-frame path (`MediaPipePredictor.track_from`: one pass, no second
pass and no mirrored pass) is called through it; any other predictor through ``predict``.

`FaceTracker.step` is what the live view's inference thread calls for each frame
(`benchmarks/bench_live.py`, `bench_default.py` measure it); no Qt here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from facealign_gui.core.annotation import Prediction
from facealign_gui.inference.blazeface import iou
from facealign_gui.inference.types import FaceRegion, Predictor

Detector = Callable[[np.ndarray], list[FaceRegion]]

#: a tracked face whose score falls below this is dropped (MediaPipe uses 0.5 for presence)
MIN_SCORE = 0.5
#: run the detector at least this often, so faces entering the view are found
REDETECT_EVERY = 10
#: a detection overlapping a tracked face this much is that face
SAME_FACE_IOU = 0.3


def live_detector(image: np.ndarray, threads: object = None) -> list[FaceRegion]:
    """Both BlazeFace models on the whole frame, without tiles (a video's faces are not tiny
    enough to need them, and tiles would cost most of a frame)."""
    from facealign_gui.inference.detect import detect_faces

    return detect_faces(image, tile_above=None, threads=threads)  # type: ignore[arg-type]


def prediction_score(pred: Prediction) -> float:
    """How sure a prediction is that it holds a face: the mesh's presence score where the
    model has one, else the mean landmark confidence (1.0 without any)."""
    if getattr(pred, "mesh", None) is not None and getattr(pred, "presence", None) is not None:
        return float(pred.presence)  # type: ignore[attr-defined]
    conf = np.asarray([] if pred.confidence is None else pred.confidence, dtype=np.float64)
    return float(np.mean(conf)) if conf.size else 1.0


def region_from_prediction(pred: Prediction, score: float) -> FaceRegion | None:
    """The region to crop on the next frame: MediaPipe's ROI from the mesh when there is one,
    else the landmarks' tight box; None when the points are not finite."""
    mesh = getattr(pred, "mesh", None)
    if mesh is not None:
        from facealign_gui.inference.mediapipe import face_from_mesh

        m = np.asarray(mesh, dtype=np.float64)
        if np.isfinite(m[:, :2]).all():
            return face_from_mesh(m, score)
        return None
    pts = np.asarray(pred.points, dtype=np.float64)
    if pts.size == 0 or not np.isfinite(pts).all():
        return None
    x1, y1 = pts.min(axis=0)
    x2, y2 = pts.max(axis=0)
    return FaceRegion(box=(float(x1), float(y1), float(x2), float(y2)), score=score)


def _inside(region: FaceRegion, shape: tuple[int, ...]) -> bool:
    """True when the region's centre lies in the frame (a face that left it is lost)."""
    if region.box is None:
        return True
    x1, y1, x2, y2 = region.box
    h, w = shape[:2]
    cx, cy = (x1 + x2) / 2.0, (y1 + y2) / 2.0
    return 0.0 <= cx < w and 0.0 <= cy < h and x2 > x1 and y2 > y1


@dataclass
class TrackStep:
    """What one frame gave: the regions used, the predictions, and whether the detector ran."""

    faces: list[FaceRegion]
    predictions: list[Prediction]
    detected: bool


class FaceTracker:
    """Detect when needed, track between detections; one instance per video stream.

    Not thread-safe: one stream's frames go through one tracker, in order.
    """

    def __init__(
        self,
        detector: Detector,
        predictor: Predictor,
        *,
        redetect_every: int = REDETECT_EVERY,
        min_score: float = MIN_SCORE,
    ) -> None:
        if redetect_every < 1:
            raise ValueError(f"redetect_every must be at least 1, got {redetect_every}")
        self.detector = detector
        self.predictor = predictor
        self.redetect_every = redetect_every
        self.min_score = min_score
        self._tracked: list[FaceRegion] = []
        self._since_detection = 0
        self.detections = 0
        self.frames = 0

    def reset(self) -> None:
        """Forget the tracked faces (a new video, a seek): the next frame is detected."""
        self._tracked = []
        self._since_detection = 0

    def _predict(self, image: np.ndarray, face: FaceRegion) -> Prediction:
        fast = getattr(self.predictor, "track_from", None)
        return fast(image, face) if fast is not None else self.predictor.predict(image, face)

    def step(self, image: np.ndarray) -> TrackStep:
        """Landmarks for every face in ``image``; runs the detector only when needed."""
        self.frames += 1
        detect = not self._tracked or self._since_detection >= self.redetect_every
        faces: list[FaceRegion] = []
        preds: list[Prediction] = []
        nxt: list[FaceRegion] = []

        def follow(face: FaceRegion) -> None:
            pred = self._predict(image, face)
            score = prediction_score(pred)
            if score < self.min_score:
                return  # lost (or a false detection): not shown, not followed
            faces.append(face)
            preds.append(pred)
            region = region_from_prediction(pred, score)
            if region is not None and _inside(region, image.shape):
                nxt.append(region)

        for face in self._tracked:
            follow(face)
        if detect:
            self.detections += 1
            self._since_detection = 0
            for face in self.detector(image):
                box = face.box
                followed = [r.box for r in nxt if r.box is not None]
                if (
                    box is not None
                    and followed
                    and iou(np.asarray(box), np.asarray(followed)).max() > SAME_FACE_IOU
                ):
                    continue  # that face is tracked already
                follow(face)
        self._since_detection += 1
        self._tracked = nxt
        return TrackStep(faces, preds, detect)
