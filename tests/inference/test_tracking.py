"""The live view's tracker runs the detector only when it has no face to follow."""

from __future__ import annotations

import numpy as np
import pytest

from facealign_gui.core.annotation import Prediction
from facealign_gui.inference.tracking import FaceTracker, region_from_prediction
from facealign_gui.inference.types import FaceRegion

IMAGE = np.zeros((480, 640, 3), np.uint8)


class Detector:
    def __init__(self, boxes: list[tuple[float, float, float, float]]) -> None:
        self.boxes = boxes
        self.calls = 0

    def __call__(self, image: np.ndarray) -> list[FaceRegion]:
        self.calls += 1
        return [FaceRegion(box=b) for b in self.boxes]


class Predictor:
    """Predicts the region's corners, moved by ``shift``, with confidence ``score``."""

    def __init__(self) -> None:
        self.score = 0.9
        self.shift = np.zeros(2)
        self.regions: list[FaceRegion] = []

    def predict(self, image: np.ndarray, face: FaceRegion) -> Prediction:
        self.regions.append(face)
        x1, y1, x2, y2 = face.box
        pts = np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]], float) + self.shift
        return Prediction(pts, np.full(4, self.score, np.float32))


def test_the_detector_runs_once_then_every_n_frames() -> None:
    det, pred = Detector([(100, 100, 200, 220)]), Predictor()
    tracker = FaceTracker(det, pred, redetect_every=10)
    steps = [tracker.step(IMAGE) for _ in range(25)]
    assert det.calls == 3  # frames 1, 11, 21
    assert [s.detected for s in steps].count(True) == 3
    assert all(len(s.predictions) == 1 for s in steps)


def test_between_detections_the_region_follows_the_last_landmarks() -> None:
    det, pred = Detector([(100, 100, 200, 220)]), Predictor()
    tracker = FaceTracker(det, pred, redetect_every=100)
    pred.shift = np.array([5.0, -3.0])  # the face moves 5 px right, 3 px up per frame
    tracker.step(IMAGE)
    tracker.step(IMAGE)
    tracker.step(IMAGE)
    assert pred.regions[1].box == (105.0, 97.0, 205.0, 217.0)
    assert pred.regions[2].box == (110.0, 94.0, 210.0, 214.0)
    assert det.calls == 1


def test_a_face_whose_score_drops_is_lost_and_the_next_frame_detects() -> None:
    det, pred = Detector([(100, 100, 200, 220)]), Predictor()
    tracker = FaceTracker(det, pred, redetect_every=100, min_score=0.5)
    tracker.step(IMAGE)
    pred.score = 0.2
    lost = tracker.step(IMAGE)  # tracked frame: the weak prediction is not shown
    assert lost.predictions == [] and det.calls == 1
    pred.score = 0.9
    again = tracker.step(IMAGE)
    assert again.detected and det.calls == 2 and len(again.predictions) == 1


def test_a_face_that_leaves_the_frame_is_detected_again() -> None:
    det, pred = Detector([(600, 100, 700, 220)]), Predictor()  # centre at x=650 > 640
    tracker = FaceTracker(det, pred, redetect_every=100)
    tracker.step(IMAGE)
    tracker.step(IMAGE)
    assert det.calls == 2


def test_no_face_means_detection_every_frame() -> None:
    det, pred = Detector([]), Predictor()
    tracker = FaceTracker(det, pred, redetect_every=30)
    for _ in range(5):
        assert tracker.step(IMAGE).predictions == []
    assert det.calls == 5


def test_a_prediction_with_nan_points_gives_no_region() -> None:
    p = Prediction(np.full((4, 2), np.nan), np.ones(4, np.float32))
    assert region_from_prediction(p, 1.0) is None


def test_redetect_every_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        FaceTracker(Detector([]), Predictor(), redetect_every=0)


def test_tracking_the_real_mesh_on_a_still_face_is_stable_and_as_accurate(takeo) -> None:
    import cv2

    from facealign_gui.core.metrics import nme_per_image
    from facealign_gui.datasets.pts import read_pts_file
    from facealign_gui.inference.detect import detect_faces
    from facealign_gui.inference.loader import load_predictor

    image = cv2.imread(str(takeo[0]))
    gt = read_pts_file(takeo[1]).points[0]
    predictor = load_predictor("mediapipe_face_landmark", threads=1)
    calls = []

    def detector(img: np.ndarray) -> list[FaceRegion]:
        calls.append(1)
        return detect_faces(img, max_faces=1)

    tracker = FaceTracker(detector, predictor, redetect_every=30)
    frames = [tracker.step(image).predictions[0].points for _ in range(6)]
    assert len(calls) == 1  # five frames without the detector
    iod = np.linalg.norm(gt[36] - gt[45])
    # the mesh's own ROI converges: the last tracked frames agree within 1 % of the IOD
    assert np.abs(frames[-1] - frames[-2]).max() < 0.01 * iod
    nme = [float(nme_per_image(f[None], gt[None], np.array([iod]))[0]) for f in frames]
    assert max(nme[1:]) < nme[0] + 0.01, nme  # tracking costs no accuracy on a still face


@pytest.fixture(scope="module")
def frame(takeo) -> np.ndarray:
    import cv2

    image = cv2.imread(str(takeo[0]), cv2.IMREAD_COLOR)
    return cv2.copyMakeBorder(image, 40, 40, 40, 40, cv2.BORDER_CONSTANT)


def test_the_default_model_is_tracked_through_its_fast_pass_and_not_added_twice(frame) -> None:
    from facealign_gui.inference.detect import detect_faces
    from facealign_gui.inference.mediapipe import load_default_predictor

    predictor = load_default_predictor()
    calls = {"track_from": 0, "predict": 0}
    for name in calls:
        real = getattr(predictor, name)

        def counted(*a, _real=real, _name=name, **k):
            calls[_name] += 1
            return _real(*a, **k)

        setattr(predictor, name, counted)
    det = Detector([])
    faces = detect_faces(frame)
    det.boxes = [f.box for f in faces]
    tracker = FaceTracker(det, predictor, redetect_every=4)
    counts = [len(tracker.step(frame).predictions) for _ in range(9)]
    assert det.calls == 3  # frames 1, 5 and 9
    assert counts == [1] * 9  # the re-detected face overlaps the tracked one
    assert calls["predict"] == 0 and calls["track_from"] >= 9  # one fast pass a face a frame


def test_a_face_that_vanishes_is_dropped_and_the_detector_runs_again(frame) -> None:
    from facealign_gui.inference.detect import detect_faces
    from facealign_gui.inference.mediapipe import load_default_predictor

    det = Detector([f.box for f in detect_faces(frame)])
    tracker = FaceTracker(det, load_default_predictor(), redetect_every=100)
    assert len(tracker.step(frame).predictions) == 1
    det.boxes = []
    blank = np.full_like(frame, 90)
    assert tracker.step(blank).predictions == []  # presence falls below 0.5 on a blank frame
    tracker.step(blank)
    assert det.calls == 2  # nothing tracked: the next frame detects
