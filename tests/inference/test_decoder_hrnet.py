"""HRNet decoding, worked by hand along the published decode_preds + transform_preds path."""

from __future__ import annotations

import numpy as np
import pytest

from facealign_gui.core.geometry import crop_matrix, transform_points
from facealign_gui.inference.decoders.heatmap import argmax_2d, quarter_offset, subpixel_refine
from facealign_gui.inference.decoders.hrnet import decode_hrnet

CENTER = np.array([[364.5, 112.0]])
SCALE = np.array([0.6875])  # CSV scale 0.55 * 1.25: the scale the crop used


def _worked_heatmap() -> np.ndarray:
    hm = np.zeros((1, 1, 64, 64), dtype=np.float32)
    hm[0, 0, 20, 10] = 1.0  # peak at x = 10, y = 20 (0-based)
    hm[0, 0, 20, 11] = 0.5  # right neighbour larger than left (0.2)
    hm[0, 0, 20, 9] = 0.2
    hm[0, 0, 19, 10] = 0.3  # the neighbour above larger than below (0.1)
    hm[0, 0, 21, 10] = 0.1
    return hm


def test_argmax_2d_returns_x_then_y_and_the_peak_value() -> None:
    coords, maxvals = argmax_2d(_worked_heatmap())
    assert coords.tolist() == [[[10.0, 20.0]]]
    assert maxvals.tolist() == [[1.0]]


def test_quarter_offset_moves_toward_the_larger_neighbour() -> None:
    hm = _worked_heatmap()
    coords, _ = argmax_2d(hm)
    assert quarter_offset(hm, coords).tolist() == [[[10.25, 19.75]]]


def test_quarter_offset_leaves_border_peaks_and_equal_neighbours_alone() -> None:
    hm = np.zeros((1, 3, 64, 64), dtype=np.float32)
    hm[0, 0, 5, 0] = 1.0  # x on the border
    hm[0, 0, 5, 1] = 0.9
    hm[0, 1, 63, 30] = 1.0  # y on the border
    hm[0, 2, 30, 30] = 1.0  # neighbours equal (all zero)
    coords, _ = argmax_2d(hm)
    assert np.array_equal(quarter_offset(hm, coords), coords)


def test_official_decode_reproduces_hrnet_step_by_step() -> None:
    # get_preds: flat index 20 * 64 + 10 = 1290, + 1 = 1291; x = (1291 - 1) % 64 + 1 = 11,
    #   y = floor((1291 - 1) / 64) + 1 = 21 (1-based).
    # decode_preds: px = 11, py = 21, inside 1 < p < 64;
    #   dx = hm[20][11] - hm[20][9] = 0.5 - 0.2 > 0 -> +0.25;
    #   dy = hm[21][10] - hm[19][10] = 0.1 - 0.3 < 0 -> -0.25; (11.25, 20.75);
    #   + 0.5 -> (11.75, 21.25).
    # transform_pixel(invert): minus 1 -> (10.75, 20.25); h = 200 * 0.6875 = 137.5, h / 64 =
    #   2.1484375; x = 10.75 * 2.1484375 + 364.5 - 68.75 = 318.845703125 -> int 318, + 1 = 319;
    #   y = 20.25 * 2.1484375 + 112 - 68.75 = 86.755859375 -> 86, + 1 = 87.
    points, conf = decode_hrnet(_worked_heatmap(), CENTER, SCALE, mode="official")
    assert points.tolist() == [[[319.0, 87.0]]]
    assert conf.tolist() == [[1.0]]


def test_precise_decode_keeps_the_sub_pixel_location() -> None:
    # 0-based (10.25, 19.75); x = 364.5 + (10.25 - 31.5) * 2.1484375 = 318.845703125,
    # y = 112 + (19.75 - 31.5) * 2.1484375 = 86.755859375.
    points, _ = decode_hrnet(_worked_heatmap(), CENTER, SCALE, mode="precise")
    assert np.allclose(points, [[[318.845703125, 86.755859375]]], rtol=0, atol=1e-9)


def test_official_decode_sends_non_positive_peaks_to_hrnets_zero_point() -> None:
    # get_preds multiplies by (maxval > 0): coordinate 0 (1-based), no shift, + 0.5 -> 0.5;
    # minus 1 -> -0.5: x = -0.5 * 2.1484375 + 295.75 = 294.67578125 -> 295;
    # y = -1.07421875 + 43.25 = 42.17578125 -> 43.
    hm = np.full((1, 2, 64, 64), -1.0, dtype=np.float32)
    hm[0, 1, 30, 30] = 0.0
    points, conf = decode_hrnet(hm, CENTER, SCALE, mode="official")
    assert points.tolist() == [[[295.0, 43.0], [295.0, 43.0]]]
    assert conf.tolist() == [[-1.0, 0.0]]


def test_precise_decode_inverts_the_precise_heatmap_matrix() -> None:
    rng = np.random.default_rng(0)
    centers = rng.random((4, 2)) * 300 + 100
    scales = rng.random(4) + 0.5
    peaks = rng.integers(0, 64, (4, 5, 2))
    hm = np.zeros((4, 5, 64, 64), dtype=np.float32)
    for n in range(4):
        for k in range(5):
            hm[n, k, peaks[n, k, 1], peaks[n, k, 0]] = 1.0  # equal neighbours: no shift
    points, _ = decode_hrnet(hm, centers, scales, mode="precise")
    for n in range(4):
        m = crop_matrix(centers[n], scales[n], (64, 64), mode="precise")
        assert np.allclose(transform_points(points[n], m), peaks[n], atol=1e-9)


def test_decode_hrnet_rejects_mismatched_inputs() -> None:
    with pytest.raises(ValueError, match="centers"):
        decode_hrnet(np.zeros((2, 3, 64, 64)), CENTER, SCALE)
    with pytest.raises(ValueError, match="mode"):
        decode_hrnet(np.zeros((1, 3, 64, 64)), CENTER, SCALE, mode="fast")
    with pytest.raises(ValueError, match="shape"):
        decode_hrnet(np.zeros((3, 64, 64)), CENTER, SCALE)


@pytest.mark.parametrize(("method", "transform"), [("quadratic", None), ("dark", np.exp)])
def test_subpixel_refine_recovers_the_vertex_of_a_sampled_peak(method: str, transform) -> None:
    yy, xx = np.mgrid[0:32, 0:32]
    q = -((xx - 10.3) ** 2) / 8 - ((yy - 20.8) ** 2) / 5
    h = (transform(q) if transform else q)[None, None].astype(np.float64)
    coords, _ = argmax_2d(h)
    assert coords.tolist() == [[[10.0, 21.0]]]
    assert np.allclose(subpixel_refine(h, coords, method), [[[10.3, 20.8]]], atol=1e-9)


def test_nan_heatmaps_decode_without_warnings_and_keep_nan_confidence() -> None:
    # A NaN is the maximum of its map (torch.max and np.argmax agree); NaN > 0 is False, so
    # HRNet's get_preds zeroes the point: official gives the zero point (295, 43) as above.
    hm = _worked_heatmap()
    hm[0, 0, 40, 50] = np.nan
    points, conf = decode_hrnet(hm, CENTER, SCALE, mode="official")
    assert points.tolist() == [[[295.0, 43.0]]]
    assert np.isnan(conf[0, 0])
    # precise keeps the NaN's location (no quarter step: its neighbour differences are NaN)
    # x = 364.5 + (50 - 31.5) * 2.1484375, y = 112 + (40 - 31.5) * 2.1484375
    points, conf = decode_hrnet(hm, CENTER, SCALE, mode="precise")
    assert np.allclose(points, [[[404.24609375, 130.26171875]]], rtol=0, atol=1e-9)
    assert np.isnan(conf[0, 0])
