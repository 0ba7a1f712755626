"""Heatmap panel: tiling, warping into the image, peak and decoded-point markers."""

from __future__ import annotations

import numpy as np
import pytest
from _mouse import click

from facealign_gui.app import heatmap_math as hmm
from facealign_gui.app.heatmap_panel import HeatmapPanel
from facealign_gui.core.annotation import Prediction

# crop_to_image of a 16x16 heatmap: 4 image pixels per heatmap pixel, crop at (100, 50)
M = np.array([[4.0, 0.0, 100.0], [0.0, 4.0, 50.0]])


def gaussians(peaks: list[tuple[int, int]], size: int = 16) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size]
    return np.stack([np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / 2.0) for x, y in peaks]).astype(
        np.float16
    )


def prediction(peaks: list[tuple[int, int]]) -> Prediction:
    hm = gaussians(peaks)
    pts = hmm.apply_affine(M, np.array(peaks, float) + 0.25)  # decoded a quarter px off
    return Prediction(
        points=pts,
        confidence=np.ones(len(peaks), np.float32),
        heatmaps=hm,
        crop_to_image=M,
        model_id="t",
    )


def test_mosaic_puts_landmark_k_in_row_k_div_cols_and_column_k_mod_cols() -> None:
    hm = np.zeros((5, 4, 6), np.float32)
    for k in range(5):
        hm[k, 1, 2] = k + 1.0  # each map normalised by its own peak -> 1.0
    grid, cols = hmm.mosaic(hm, gap=1)
    assert cols == 3 and grid.shape == (2 * 5, 3 * 7)
    peaks = sorted(map(tuple, np.argwhere(grid == 1.0).tolist()))
    expected = sorted((1 + (k // 3) * 5, 2 + (k % 3) * 7) for k in range(5))
    assert peaks == expected


def test_warp_to_image_puts_the_heatmap_peak_where_crop_to_image_maps_it() -> None:
    hm = np.zeros((16, 16), np.float32)
    hm[10, 5] = 1.0  # heatmap (x=5, y=10) -> image (4*5+100, 4*10+50) = (120, 90)
    warped, x0, y0 = hmm.warp_to_image(hm, M, (300, 300, 3))
    r, c = np.unravel_index(np.argmax(warped), warped.shape)
    assert (c + x0, r + y0) == (120, 90)
    # the warp only covers the crop's box, not the whole image
    assert warped.shape[0] <= 16 * 4 + 2 and warped.shape[1] <= 16 * 4 + 2


def test_warp_to_image_is_clipped_to_the_image() -> None:
    warped, x0, y0 = hmm.warp_to_image(np.ones((16, 16), np.float32), M, (60, 110, 3))
    assert (x0, y0) == (98, 48)
    assert warped.shape == (60 - 48, 110 - 98)


def test_crop_from_image_samples_the_region_under_the_heatmap() -> None:
    img = np.zeros((300, 300, 3), np.uint8)
    img[90, 120] = 255  # image (120, 90) is heatmap (5, 10)
    crop = hmm.crop_from_image(img, M, (16, 16), upscale=4)
    assert crop.shape == (64, 64, 3)
    r, c = np.unravel_index(np.argmax(crop[..., 0]), crop.shape[:2])
    # crop pixel (c, r) shows heatmap coordinate ((c + 0.5) / 4 - 0.5, ...)
    assert abs((c + 0.5) / 4 - 0.5 - 5) <= 0.25 and abs((r + 0.5) / 4 - 0.5 - 10) <= 0.25


def test_sum_and_max_are_normalised_to_one() -> None:
    hm = gaussians([(3, 3), (3, 3), (12, 12)]).astype(np.float32) * [[[1.0]], [[3.0]], [[5.0]]]
    s, m = hmm.reduce_heatmaps(hm, "sum"), hmm.reduce_heatmaps(hm, "max")
    assert s.max() == pytest.approx(1.0) and m.max() == pytest.approx(1.0)
    assert s[3, 3] == pytest.approx(1.0)  # two maps peak there: the sum's maximum
    assert m[3, 3] == pytest.approx(m[12, 12])


@pytest.fixture
def panel(qtbot: object) -> HeatmapPanel:
    p = HeatmapPanel()
    qtbot.addWidget(p)  # type: ignore[attr-defined]
    p.resize(420, 420)
    p.show()
    qtbot.waitExposed(p)  # type: ignore[attr-defined]
    return p


def test_panel_marks_the_peak_and_the_decoded_point_of_the_selected_landmark(
    panel: HeatmapPanel,
) -> None:
    image = np.zeros((300, 300, 3), np.uint8)
    panel.set_data(image, prediction([(2, 3), (9, 12), (14, 1)]))
    panel.set_landmark(1)
    xs = (panel.peak_item.data["x"][0], panel.peak_item.data["y"][0])
    assert xs == (9.0, 12.0)  # heatmap pixels in crop mode
    dec = (panel.decoded_item.data["x"][0], panel.decoded_item.data["y"][0])
    assert dec == pytest.approx((9.25, 12.25))
    assert panel.bg_item.image.shape == (256, 256, 3)  # the crop behind the heatmap, 16x
    assert "landmark 1" in panel.info.text()


def test_over_image_mode_marks_points_in_image_pixels(panel: HeatmapPanel) -> None:
    panel.set_data(np.zeros((300, 300, 3), np.uint8), prediction([(2, 3), (9, 12)]))
    panel.set_mode("image")
    panel.set_landmark(1)
    assert (panel.peak_item.data["x"][0], panel.peak_item.data["y"][0]) == (136.0, 98.0)


def test_overlay_for_the_image_view_follows_the_selected_landmark(
    panel: HeatmapPanel, qtbot
) -> None:
    panel.set_data(np.zeros((300, 300, 3), np.uint8), prediction([(2, 3), (9, 12)]))
    with qtbot.waitSignal(panel.overlayChanged) as sig:
        panel.set_landmark(1)
    o = sig.args[0]
    warped, x0, y0, lut = o.image, o.x0, o.y0, o.lut
    r, c = np.unravel_index(np.argmax(warped), warped.shape)
    assert (c + x0, r + y0) == (136, 98)
    assert lut.shape == (256, 4)


def test_no_heatmaps_clears_the_panel_and_says_why(panel: HeatmapPanel, qtbot) -> None:
    p = prediction([(2, 3)])
    p.heatmaps = None
    with qtbot.waitSignal(panel.overlayChanged) as sig:
        panel.set_data(None, p)
    assert sig.args == [None]
    assert "No heatmaps" in panel.info.text()


def test_clicking_a_tile_of_the_grid_selects_its_landmark(panel: HeatmapPanel, qtbot) -> None:
    panel.set_data(
        np.zeros((300, 300, 3), np.uint8), prediction([(2, 3), (9, 12), (14, 1), (5, 5), (7, 7)])
    )
    panel.set_mode("grid")
    qtbot.wait(10)
    # 5 maps of 16x16 -> 3 columns; landmark 4 is row 1, column 1: centre (8 + 17, 8 + 17)
    with qtbot.waitSignal(panel.landmarkSelected) as sig:
        click(panel.graphics, panel.vb, (25.0, 25.0))
    assert sig.args == [4]
    assert panel.landmark() == 4
