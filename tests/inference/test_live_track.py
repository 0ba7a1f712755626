"""FaceTracker: the detector every N frames, tracking from the last mesh in between."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from facealign_gui.inference.live_track import FaceTracker
from facealign_gui.inference.mediapipe import load_default_predictor
from facealign_gui.inference.types import FaceRegion


class CountingDetector:
    def __init__(self, faces: list[FaceRegion]) -> None:
        self.faces = faces
        self.calls = 0

    def __call__(self, image: np.ndarray) -> list[FaceRegion]:
        self.calls += 1
        return list(self.faces)


@pytest.fixture(scope="module")
def frame(takeo: tuple[Path, Path]) -> np.ndarray:
    image = cv2.imread(str(takeo[0]), cv2.IMREAD_COLOR)
    return cv2.copyMakeBorder(image, 40, 40, 40, 40, cv2.BORDER_CONSTANT)


def test_the_detector_runs_every_nth_frame_and_a_tracked_face_is_not_added_twice(frame) -> None:
    from facealign_gui.inference.detect import detect_faces

    det = CountingDetector(detect_faces(frame))
    tracker = FaceTracker(load_default_predictor(), detect_every=4, detector=det)
    counts = [len(tracker.step(frame)) for _ in range(9)]
    assert det.calls == 3  # frames 0, 4 and 8
    assert counts == [1] * 9  # the re-detected face overlaps the tracked one
    tracker.reset()
    tracker.step(frame)
    assert det.calls == 4


def test_a_face_that_vanishes_is_dropped_and_the_detector_runs_again(frame) -> None:
    from facealign_gui.inference.detect import detect_faces

    det = CountingDetector(detect_faces(frame))
    tracker = FaceTracker(load_default_predictor(), detect_every=100, detector=det)
    assert len(tracker.step(frame)) == 1
    det.faces = []
    blank = np.full_like(frame, 90)
    assert tracker.step(blank) == []  # presence falls below 0.5 on a blank frame
    tracker.step(blank)
    assert det.calls == 2  # nothing tracked: the next frame detects


def test_detect_every_must_be_positive() -> None:
    with pytest.raises(ValueError, match="detect_every"):
        FaceTracker(load_default_predictor(), detect_every=0)
