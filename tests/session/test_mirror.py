"""The mirror check maps a prediction on the flipped image back onto the image."""

from __future__ import annotations

import numpy as np
import pytest

from facealign_gui.session.mirror import disagreement, flip_box, unflip_points


def test_unflip_swaps_left_right_pairs_and_mirrors_x_about_the_pixel_centres() -> None:
    w = 100
    # image: right eye (0) at x=30, left eye (1) at x=70, nose (2) at x=50
    p = np.array([[30.0, 40.0], [70.0, 40.0], [50.0, 60.0]])
    # on the flipped image the model finds the right eye where the left eye was mirrored:
    # column x becomes w - 1 - x, so right eye at 99 - 70 = 29, left eye at 99 - 30 = 69
    q = np.array([[29.0, 40.0], [69.0, 40.0], [49.0, 60.0]])
    np.testing.assert_array_equal(unflip_points(q, w, [(0, 1)]), p)


def test_flip_box_mirrors_the_face_box() -> None:
    assert flip_box((10, 20, 40, 60), 100) == (59.0, 20.0, 89.0, 60.0)


def test_disagreement_is_mean_distance_over_the_landmark_box_size() -> None:
    a = np.array([[0.0, 0.0], [100.0, 0.0], [0.0, 25.0]])  # box 100 x 25 -> size 50
    b = a + np.array([3.0, 4.0])  # every point 5 px away
    assert disagreement(a, b) == pytest.approx(5.0 / 50.0)
