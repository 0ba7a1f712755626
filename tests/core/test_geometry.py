"""Crop geometry: HRNet's CSV box rule, official integer crop, precise affine, inverses."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from _pil_reference import resize_bilinear as reference_resize

from facealign_gui.core._hrnet_official import bytescale, bytescale_levels, pil_resize
from facealign_gui.core.geometry import (
    HRNET_SCALE_FACTOR,
    box_from_points,
    center_scale_from_box,
    center_scale_from_points,
    crop_image,
    crop_matrix,
    hrnet_transform_pixel,
    invert_affine,
    transform_points,
    transform_preds,
)

CSV_ROWS = {
    "face_landmarks_300w_test.csv": 600,
    "face_landmarks_300w_valid.csv": 689,
    "face_landmarks_300w_valid_common.csv": 554,
    "face_landmarks_300w_valid_challenge.csv": 135,
}


@pytest.mark.parametrize("name", sorted(CSV_ROWS))
def test_center_scale_from_points_reproduces_every_row_of_the_300w_csvs(
    shared_dir: Path, name: str
) -> None:
    path = shared_dir / "data" / "300w" / name
    if not path.is_file():
        pytest.skip(f"{path} is not present")
    with path.open(newline="") as f:
        rows = list(csv.reader(f))[1:]
    assert len(rows) == CSV_ROWS[name]
    for row in rows:
        scale, cx, cy = float(row[1]), float(row[2]), float(row[3])
        pts = np.array([float(v) for v in row[4:]]).reshape(-1, 2)
        center, s = center_scale_from_points(pts)
        # Exact: floor/ceil box, its middle, max side / 200 give the very doubles stored.
        assert (center[0], center[1], s) == (cx, cy, scale), row[0]


def test_center_scale_uses_floor_and_ceil_of_the_extremes() -> None:
    pts = np.array([[10.2, 20.7], [30.1, 25.0], [15.0, 40.5]])
    center, scale = center_scale_from_points(pts)
    # box (10, 20, 31, 41): middle (20.5, 30.5), sides 21 x 21 -> 21 / 200
    assert center.tolist() == [20.5, 30.5]
    assert scale == 21 / 200


def test_center_scale_ignores_invisible_and_nan_points() -> None:
    pts = np.array([[0.0, 0.0], [10.0, 10.0], [np.nan, 5.0], [100.0, 100.0]])
    center, scale = center_scale_from_points(pts, visible=np.array([True, True, True, False]))
    assert center.tolist() == [5.0, 5.0]
    assert scale == 10 / 200
    with pytest.raises(ValueError, match="no visible"):
        box_from_points(pts, visible=np.zeros(4, dtype=bool))


def test_center_scale_from_box_uses_the_longer_side() -> None:
    center, scale = center_scale_from_box(np.array([0.0, 0.0, 40.0, 100.0]))
    assert center.tolist() == [20.0, 50.0]
    assert scale == 0.5


def test_official_corners_match_the_worked_example_from_the_issue() -> None:
    # center (364.5, 112), scale 0.6875 = CSV scale 0.55 * 1.25, output 256 (HRNet's input).
    # h = 200 * 0.6875 = 137.5; inverse get_transform: x = (p - 1) * h / 256 + c - h / 2.
    # ul: p = 0 -> 364.5 - 68.75 - 0.537109375 = 295.21..., int -> 295, + 1 = 296;
    #     y: 112 - 68.75 - 0.537109375 = 42.71..., -> 43.
    # br: p = 256 -> 255 * 0.537109375 + 295.75 = 432.71... -> 433; y 180.21... -> 181.
    assert 0.55 * HRNET_SCALE_FACTOR == 0.6875
    corners = hrnet_transform_pixel(
        np.array([[0.0, 0.0], [256.0, 256.0]]), np.array([364.5, 112.0]), 0.6875, (256, 256), True
    )
    assert corners.tolist() == [[296, 43], [433, 181]]


def test_the_worked_example_is_ibug_image_99_with_its_csv_scale_enlarged(shared_dir: Path) -> None:
    path = shared_dir / "data" / "300w" / "face_landmarks_300w_valid_challenge.csv"
    if not path.is_file():
        pytest.skip(f"{path} is not present")
    with path.open(newline="") as f:
        row = next(r for r in csv.reader(f) if r[0] == "ibug/image_99.jpg")
    center, scale = np.array([float(row[2]), float(row[3])]), float(row[1]) * HRNET_SCALE_FACTOR
    corners = hrnet_transform_pixel(
        np.array([[0.0, 0.0], [256.0, 256.0]]), center, scale, (256, 256), invert=True
    )
    assert corners.tolist() == [[296, 43], [433, 181]]


def test_official_matrix_maps_the_integer_crop_onto_the_output() -> None:
    m = crop_matrix(np.array([364.5, 112.0]), 0.6875, (256, 256), mode="official")
    # HRNet's slice img[43:181, 296:433] (138 rows, 137 columns) is resized to 256 x 256:
    # its outer pixel edges (295.5, 42.5) and (432.5, 180.5) map to (-0.5, -0.5), (255.5, 255.5).
    edges = transform_points(np.array([[295.5, 42.5], [432.5, 180.5]]), m)
    assert np.allclose(edges, [[-0.5, -0.5], [255.5, 255.5]], rtol=0, atol=1e-9)
    assert np.isclose(m[0, 0], 256 / 137) and np.isclose(m[1, 1], 256 / 138)


def test_pil_bilinear_resize_matches_a_hand_worked_upscale() -> None:
    # 2 -> 4 pixels, scale 0.5, support 1. Output centres 0.25, 0.75, 1.25, 1.75 (edge coords):
    # x=0 uses pixel 0 only -> 0; x=1 weights (.75, .25) -> 63.75 -> 64 (fixed point rounds
    # half up); x=2 weights (.25, .75) -> 191.25 -> 191; x=3 pixel 1 only -> 255.
    row = np.array([[0, 255]], dtype=np.uint8)
    assert pil_resize(row, 4, 1).tolist() == [[0, 64, 191, 255]]
    assert reference_resize(row, 4, 1).tolist() == [[0, 64, 191, 255]]


def test_pil_bilinear_resize_averages_when_shrinking_by_two() -> None:
    # 4 -> 2: scale 2, support 2; output centre 1.0 covers pixels 0..2 with weights
    # (.75, .75, .25) / 1.75 -> (0*3 + 100*3 + 200*1) / 7 = 71.43 -> 71.
    row = np.array([[0, 100, 200, 40]], dtype=np.uint8)
    assert pil_resize(row, 2, 1)[0, 0] == 71
    assert reference_resize(row, 2, 1)[0, 0] == 71


@pytest.mark.parametrize(
    "h, w, oh, ow",
    [
        (138, 137, 256, 256),  # the official crop's final resize
        (600, 500, 256, 256),
        (300, 400, 120, 77),
        (1325, 458, 521, 180),  # HRNet's pre-shrink of a tall image (Pillow 13: vertical first)
        (1461, 320, 503, 110),
    ],
)
def test_pillow_resize_runs_horizontal_first_like_the_authors_pillow(
    h: int, w: int, oh: int, ow: int
) -> None:
    a = (np.random.default_rng(h).random((h, w, 3)) * 255).astype(np.uint8)
    assert np.array_equal(pil_resize(a, ow, oh), reference_resize(a, ow, oh))


def test_bytescale_stretches_min_to_0_and_max_to_255() -> None:
    # (20 - 10) * 255 / 20 = 127.5, + 0.5 -> 128
    out = bytescale(np.array([10.0, 20.0, 30.0], dtype=np.float32))
    assert out.tolist() == [0, 128, 255]


def test_bytescale_of_integer_pixels_by_table_equals_the_float_computation() -> None:
    img = np.random.default_rng(2).integers(7, 201, size=(40, 30, 3)).astype(np.uint8)
    expected = bytescale(img.astype(np.float32))
    assert np.array_equal(bytescale_levels(img), expected)
    full = img.copy()
    full[0, 0, 0], full[0, 0, 1] = 0, 255  # already 0..255: the stretch is the identity
    assert bytescale_levels(full) is full


def _blob_image(width: int, height: int, x: float, y: float, sigma: float) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width]
    g = np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * sigma**2))
    return np.repeat((g * 250 + 2).astype(np.uint8)[:, :, None], 3, axis=2)


def _centroid(img: np.ndarray) -> np.ndarray:
    w = img[:, :, 0].astype(np.float64)
    w = np.clip(w - 0.5 * w.max(), 0, None)
    yy, xx = np.mgrid[0 : w.shape[0], 0 : w.shape[1]]
    return np.array([(w * xx).sum() / w.sum(), (w * yy).sum() / w.sum()])


@pytest.mark.parametrize("mode", ["official", "precise"])
@pytest.mark.parametrize(
    ("size", "center", "scale", "blob"),
    [
        ((500, 300), (364.5, 112.0), 0.6875, (340.3, 130.6)),
        ((1400, 1100), (700.0, 560.0), 3.0, (812.0, 430.0)),  # 600 px box: HRNet shrinks first
    ],
)
def test_crop_matrix_says_where_image_content_lands_in_the_crop(
    mode: str, size: tuple, center: tuple, scale: float, blob: tuple
) -> None:
    sigma = 6.0 * scale / 0.6875
    img = _blob_image(size[0], size[1], blob[0], blob[1], sigma)
    crop, m = crop_image(img, np.array(center), scale, (256, 256), mode=mode)
    assert crop.shape == (256, 256, 3)
    expected = transform_points(np.array(blob), m)
    assert np.allclose(_centroid(crop), expected, atol=0.35)


def _imresize_reference(arr: np.ndarray, width: int, height: int) -> np.ndarray:
    # scipy.misc.imresize of a float32 array: bytescale over the whole array, then Pillow
    return reference_resize(bytescale(arr.astype(np.float32)), width, height)


def _hrnet_crop_reference(img: np.ndarray, center: np.ndarray, scale: float) -> np.ndarray:
    """HRNet's test-time ``crop`` pixels: float32 canvas, imresize in float, numpy Pillow."""
    from facealign_gui.core._hrnet_official import official_layout

    ht, wd = img.shape[:2]
    lay = official_layout(center, scale, (256, 256), (wd, ht))
    src = img.astype(np.float32)
    if lay["shrink"] is not None:
        new_wd, new_ht = lay["shrink"][:2]
        src = _imresize_reference(src, new_wd, new_ht).astype(np.float32)
    ul, br = lay["ul"], lay["br"]
    canvas = np.zeros((br[1] - ul[1], br[0] - ul[0], 3), np.float32)
    rows, cols = src.shape[:2]
    nx = max(0, -ul[0]), min(br[0], cols) - ul[0]
    ny = max(0, -ul[1]), min(br[1], rows) - ul[1]
    ox = max(0, ul[0]), min(cols, br[0])
    oy = max(0, ul[1]), min(rows, br[1])
    canvas[ny[0] : ny[1], nx[0] : nx[1]] = src[oy[0] : oy[1], ox[0] : ox[1]]
    return _imresize_reference(canvas, 256, 256)


@pytest.mark.parametrize(
    ("size", "center", "scale"),
    [
        ((500, 300), (364.5, 112.0), 0.6875),  # inside the image
        ((300, 260), (40.0, 230.0), 0.9),  # past the corner: zero padding
        ((1400, 1100), (700.0, 560.0), 3.0),  # 600 px box: HRNet shrinks the image first
        ((460, 1330), (230.0, 700.0), 3.2),  # a tall image shrunk (Pillow 13: vertical first)
    ],
)
def test_official_crop_pixels_equal_hrnets_float_canvas_and_imresize(
    size: tuple, center: tuple, scale: float
) -> None:
    rng = np.random.default_rng(int(scale * 100))
    img = rng.integers(12, 230, size=(size[1], size[0], 3)).astype(np.uint8)  # not 0..255
    crop, _ = crop_image(img, np.array(center), scale, (256, 256), mode="official")
    assert np.array_equal(crop, _hrnet_crop_reference(img, np.array(center), scale))


def test_official_crop_matrix_needs_the_image_size_when_hrnet_shrinks_first() -> None:
    with pytest.raises(ValueError, match="image_size"):
        crop_matrix(np.array([700.0, 560.0]), 3.0, (256, 256), mode="official")
    m = crop_matrix(np.array([700.0, 560.0]), 3.0, (256, 256), image_size=(1400, 1100))
    assert m.shape == (2, 3)


def test_official_mode_refuses_rotation_and_unknown_modes() -> None:
    with pytest.raises(ValueError, match="rotation"):
        crop_matrix(np.array([50.0, 50.0]), 0.5, (256, 256), rotation=10.0)
    with pytest.raises(ValueError, match="mode"):
        crop_matrix(np.array([50.0, 50.0]), 0.5, (256, 256), mode="fast")


def test_precise_matrix_maps_the_center_to_the_crop_middle_and_spans_200_scale() -> None:
    m = crop_matrix(np.array([100.0, 80.0]), 0.5, (64, 64), mode="precise")
    # 100 image px onto 64 crop px; the center lands at (63 / 2, 63 / 2).
    pts = transform_points(np.array([[100.0, 80.0], [50.0, 30.0], [150.0, 130.0]]), m)
    assert np.allclose(pts, [[31.5, 31.5], [-0.5, -0.5], [63.5, 63.5]], rtol=0, atol=1e-9)


def test_precise_rotation_turns_content_counter_clockwise_on_screen() -> None:
    m = crop_matrix(np.array([100.0, 80.0]), 0.5, (64, 64), rotation=90.0, mode="precise")
    # a point right of the center ends up above the crop middle (y grows downwards)
    assert np.allclose(
        transform_points(np.array([110.0, 80.0]), m), [31.5, 31.5 - 6.4], rtol=0, atol=1e-9
    )


def test_invert_affine_round_trips_points() -> None:
    m = crop_matrix(np.array([123.4, 56.7]), 0.8, (256, 256), rotation=17.0, mode="precise")
    pts = np.random.default_rng(0).random((10, 2)) * 300
    back = transform_points(transform_points(pts, m), invert_affine(m))
    assert np.allclose(back, pts)
    with pytest.raises(ValueError, match="singular"):
        invert_affine(np.zeros((2, 3)))


def test_transform_preds_follows_hrnet_and_the_precise_inverse() -> None:
    # heatmap 64, center (364.5, 112), scale 0.6875: h = 137.5, h / 64 = 2.1484375.
    # HRNet: coordinate (10, 20) is 1-based 11, 21, + 0.5 -> 11.5, 21.5; minus 1 -> 10.5, 20.5;
    # x = 10.5 * 2.1484375 + 364.5 - 68.75 = 318.30859375 -> int 318 + 1 = 319;
    # y = 20.5 * 2.1484375 + 112 - 68.75 = 87.29296875 -> 87 + 1 = 88.
    # precise: 364.5 + (10 - 31.5) * 2.1484375 = 318.30859375; 112 + (20 - 31.5) * ... = 87.29...
    c, s = np.array([364.5, 112.0]), 0.6875
    official = transform_preds(np.array([[10.0, 20.0]]), c, s, (64, 64), mode="official")
    precise = transform_preds(np.array([[10.0, 20.0]]), c, s, (64, 64), mode="precise")
    assert official.tolist() == [[319.0, 88.0]]
    assert np.allclose(precise, [[318.30859375, 87.29296875]], rtol=0, atol=1e-9)


def test_official_transform_truncates_toward_zero_left_of_the_image() -> None:
    # center (10, 10), scale 0.6875: x = (5 + 0.5) * 2.1484375 + 10 - 68.75 = -46.93359375;
    # int() truncates toward zero -> -46, + 1 = -45 (floor would give -46).
    out = transform_preds(np.array([[5.0, 5.0]]), np.array([10.0, 10.0]), 0.6875, (64, 64))
    assert out.tolist() == [[-45.0, -45.0]]


def test_official_is_precise_truncated_plus_one_inside_the_image() -> None:
    rng = np.random.default_rng(3)
    coords = rng.integers(1, 63, (200, 2)) + rng.choice([-0.25, 0.0, 0.25], (200, 2))
    c, s = np.array([251.3, 307.9]), 1.4  # not a dyadic size: no exact integer ties
    official = transform_preds(coords, c, s, (64, 64), mode="official")
    precise = transform_preds(coords, c, s, (64, 64), mode="precise")
    assert np.array_equal(official, np.trunc(precise) + 1)
