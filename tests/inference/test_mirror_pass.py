"""The Qt-free mirror pass: predict the flipped image, map the result back."""

from __future__ import annotations

import numpy as np

from facealign_gui.core.annotation import Prediction
from facealign_gui.inference.mirror import (
    flip_box,
    mirror_region,
    predict_mirrored,
    unflip_prediction,
)
from facealign_gui.inference.types import FaceRegion


class DotFinder:
    """A 'model' with two landmarks: the leftmost and the rightmost bright pixel."""

    model_id = "dots"
    num_points = 2
    scheme = None

    def __init__(self) -> None:
        self.regions: list[FaceRegion] = []

    def predict(self, image: np.ndarray, face: FaceRegion) -> Prediction:
        self.regions.append(face)
        ys, xs = np.nonzero(image[..., 0] > 128)
        order = np.argsort(xs)
        pts = np.array([[xs[order[0]], ys[order[0]]], [xs[order[-1]], ys[order[-1]]]], float)
        return Prediction(points=pts, confidence=np.array([0.9, 0.4], np.float32))

    def predict_batch(self, images, faces):  # pragma: no cover - protocol only
        return [self.predict(i, f) for i, f in zip(images, faces, strict=True)]


def test_a_consistent_model_agrees_with_its_mirror_pass() -> None:
    image = np.zeros((50, 100, 3), np.uint8)
    image[10, 20] = 255  # the subject's right eye (image left)
    image[12, 70] = 255
    model = DotFinder()
    primary = model.predict(image, FaceRegion(box=(10, 5, 80, 40)))
    mirrored = predict_mirrored(model, image, FaceRegion(box=(10, 5, 80, 40)), [(0, 1)])
    np.testing.assert_array_equal(mirrored.points, primary.points)
    # the mirrored run saw the flipped box and its confidences come back in point order
    assert model.regions[-1].box == (19.0, 5.0, 89.0, 40.0)
    np.testing.assert_allclose(mirrored.confidence, [0.4, 0.9], rtol=1e-6)


def test_mirroring_a_region_flips_its_centre_box_and_swaps_the_eyes() -> None:
    kp = np.array([[30.0, 20], [60, 20], [45, 30], [45, 40], [20, 25], [70, 25]])
    face = FaceRegion(center=(40.0, 30.0), scale=1.5, box=(20, 10, 70, 50), keypoints=kp)
    m = mirror_region(face, 100)
    assert m.center == (59.0, 30.0) and m.scale == 1.5
    assert m.box == flip_box((20, 10, 70, 50), 100) == (29.0, 10.0, 79.0, 50.0)
    np.testing.assert_array_equal(m.keypoints[0], [39.0, 20.0])  # was the left eye at 60
    np.testing.assert_array_equal(m.keypoints[4], [29.0, 25.0])  # was the left ear at 70


def test_unflipped_heatmaps_overlay_the_original_image() -> None:
    hm = np.zeros((2, 8, 8), np.float32)
    hm[0, 3, 1] = 1.0  # landmark 0 at heatmap (1, 3)
    hm[1, 5, 6] = 1.0
    to_image = np.array([[4.0, 0.0, 8.0], [0.0, 4.0, 2.0]])  # in the flipped image
    flipped_pts = np.array([[1.0, 3.0], [6.0, 5.0]]) * 4.0 + [8.0, 2.0]
    pred = Prediction(points=flipped_pts, confidence=np.ones(2, np.float32), heatmaps=hm,
                      crop_to_image=to_image)  # fmt: skip
    back = unflip_prediction(pred, 64, [(0, 1)])
    for j in range(2):
        y, x = np.unravel_index(np.argmax(back.heatmaps[j]), (8, 8))
        at = back.crop_to_image @ np.array([x, y, 1.0])
        np.testing.assert_allclose(at, back.points[j])
