"""Heatmap maths behind the panel and the overlay (Qt-free)."""

from __future__ import annotations

import numpy as np

from facealign_gui.viewmodel.heatmaps import apply_affine, invert_affine, peak, warp_to_image


def test_the_peak_is_the_first_maximum_in_heatmap_pixels() -> None:
    hm = np.zeros((8, 10), np.float32)
    hm[3, 7] = 1.0
    hm[5, 2] = 1.0  # a later tie loses, as in the decoders
    assert peak(hm) == (7.0, 3.0)


def test_the_inverse_affine_maps_points_back() -> None:
    m = np.array([[2.0, 0.5, 10.0], [-0.3, 1.5, -4.0]])
    xy = np.array([[1.0, 2.0], [-3.0, 7.5]])
    np.testing.assert_allclose(apply_affine(invert_affine(m), apply_affine(m, xy)), xy)


def test_a_heatmap_lands_where_its_crop_came_from() -> None:
    hm = np.zeros((16, 16), np.float32)
    hm[4, 6] = 1.0
    crop_to_image = np.array([[4.0, 0.0, 100.0], [0.0, 4.0, 50.0]])  # stride 4, offset
    warped, x0, y0 = warp_to_image(hm, crop_to_image, (400, 400, 3))
    r, c = np.unravel_index(np.argmax(warped), warped.shape)
    assert (c + x0, r + y0) == (100 + 4 * 6, 50 + 4 * 4)
