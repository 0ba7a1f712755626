"""Crops in official mode are the authors' crops, worked number by number from their code."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from facealign_gui.core.geometry import pfld_square
from facealign_gui.inference.card import CardError, CropSpec, InputSpec, ModelCard, card_from_dict
from facealign_gui.inference.preprocess import crop_face
from facealign_gui.inference.types import FaceRegion


def _card(crop: CropSpec, size: int = 112) -> ModelCard:
    """A card whose tensor is the crop itself: BGR, HWC, pixel values unscaled."""
    return ModelCard(
        id="c",
        family="heatmap",
        num_points=2,
        onnx="c.onnx",
        input=InputSpec(
            size=(size, size), layout="NHWC", colour="bgr", pixel_scale=1.0, mean=(0.0,), std=(1.0,)
        ),
        crop=crop,
    )


def _pattern(h: int, w: int) -> np.ndarray:
    """Every pixel different, so a crop shifted by one pixel is told apart."""
    yy, xx = np.mgrid[0:h, 0:w]
    return np.stack([xx % 256, yy % 256, (xx * 7 + yy * 3) % 256], axis=-1).astype(np.uint8)


def _decode(scale: float, x0: float, y0: float) -> np.ndarray:
    """image -> crop matrix for outputs that are (x - x0) / scale."""
    return np.array([[1 / scale, 0, -x0 / scale], [0, 1 / scale, -y0 / scale]])


# -- PFLD / HIH square -------------------------------------------------------------------


def test_pfld_square_truncates_a_landmark_left_of_and_above_the_image_toward_zero() -> None:
    # PFLD SetPreparation.py on landmarks spanning (-1.5, -0.5)..(100.2, 120.7):
    # xy = astype(int32) -> (-1, 0) (floor would give (-2, -1)); zz -> (100, 120);
    # wh = (102, 121); centre = int((-1, 0) + wh / 2) = (50, 60); side = int(121 * 1.2) = 145;
    # origin = centre - 72 = (-22, -12)
    assert pfld_square(np.array([-1.5, -0.5, 100.2, 120.7]), 1.2) == (-22, -12, 145)


def test_hih_card_crops_the_pfld_square_with_zero_border(tmp_path: Path) -> None:
    image = _pattern(150, 130)
    card = _card(CropSpec(rule="box", enlarge=1.2, box_source="landmarks"))
    prep = crop_face(image, FaceRegion(box=(-1.5, -0.5, 100.2, 120.7)), card)
    assert prep.image_to_crop == pytest.approx(_decode(145 / 112, -22, -12))
    padded = cv2.copyMakeBorder(image[0:133, 0:123], 12, 0, 22, 0, cv2.BORDER_CONSTANT, value=0)
    expect = cv2.resize(padded, (112, 112))
    assert np.array_equal(prep.tensor, expect.astype(np.float32))


def test_eighteen_of_the_shared_wflw_test_faces_get_another_square_than_floor(
    shared_dir: Path,
) -> None:
    from facealign_gui.datasets.wflw_list import read_wflw_list
    from facealign_gui.inference.pipeline import face_for_sample

    seen: set[tuple[str, bytes]] = set()
    differ = total = 0
    card = _card(CropSpec(rule="box", enlarge=1.2, box_source="landmarks"))
    image = np.zeros((4, 4, 3), np.uint8)
    for path in sorted((shared_dir / "data" / "wflw").glob("list_98pt_test_*.txt")):
        ds = read_wflw_list(path, with_centers=False)
        for i in range(len(ds)):
            key = (ds.images[i], ds.points[i].tobytes())
            if key in seen:
                continue
            seen.add(key)
            total += 1
            face = face_for_sample(ds, i, "landmarks")
            m = crop_face(image, face, card).image_to_crop
            side = 112 / m[0, 0]
            x0, y0 = -m[0, 2] * side / 112, -m[1, 2] * side / 112
            # the rule as PFLD writes it, on float32 landmarks
            lm = ds.points[i].astype(np.float32)
            xy, zz = lm.min(axis=0).astype(np.int32), lm.max(axis=0).astype(np.int32)
            wh = zz - xy + 1
            c = (xy + wh / 2).astype(np.int32)
            bs = int(np.max(wh) * 1.2)
            assert (round(x0), round(y0), round(side)) == (c[0] - bs // 2, c[1] - bs // 2, bs)
            lo, hi = np.floor(lm.min(axis=0)), np.floor(lm.max(axis=0))
            fwh = hi - lo + 1
            fc = np.floor(lo + fwh / 2)
            fbs = int(np.max(fwh) * 1.2)
            differ += (fc[0] - fbs // 2, fc[1] - fbs // 2, fbs) != (
                c[0] - bs // 2,
                c[1] - bs // 2,
                bs,
            )
    assert (differ, total) == (18, 1966)


# -- PIPNet 300W ---------------------------------------------------------------------------


def test_pipnet_300w_crop_takes_integer_steps_in_the_pts_frame() -> None:
    # process_300w on .pts values spanning (30.6, 40.2)..(130.9, 140.5) (ours: 1 less) in a
    # 200x140 image: int -> (30, 40)..(130, 140); width = height = 100; corner -= int(0.05 *
    # 100) = 5 -> (25, 35); size = int(100 * 1.1) = 110; clamp: height = min(110, 140 - 35 - 1)
    # = 104; crop = image[35:139, 25:135]; u -> .pts x 25 + 110 u -> ours 24 + 110 u
    image = _pattern(140, 200)
    card = _card(
        CropSpec(rule="pipnet_box", pad=(0.05,) * 4, box_source="landmarks", clip=True), 64
    )
    prep = crop_face(image, FaceRegion(box=(29.6, 39.2, 129.9, 139.5)), card)
    assert prep.image_to_crop == pytest.approx(
        np.array([[64 / 110, 0, -24 * 64 / 110], [0, 64 / 104, -34 * 64 / 104]])
    )
    expect = cv2.resize(image[35:139, 25:135], (64, 64))
    assert np.array_equal(prep.tensor, expect.astype(np.float32))


def test_pipnet_300w_crop_in_precise_mode_keeps_the_float_box() -> None:
    card = _card(CropSpec(rule="pipnet_box", pad=(0.05,) * 4, box_source="landmarks"), 64)
    prep = crop_face(
        _pattern(300, 300), FaceRegion(box=(30.0, 40.0, 130.0, 140.0)), card, mode="precise"
    )
    assert prep.image_to_crop == pytest.approx(_decode(110 / 64, 25.0, 35.0))


# -- PIPNet WFLW: the list's face rectangle ----------------------------------------------


def test_pipnet_on_a_wflw_rect_list_crops_the_rectangle_the_list_carries(tmp_path: Path) -> None:
    from facealign_gui.datasets.wflw_list import read_wflw_list
    from facealign_gui.inference.pipeline import face_for_sample

    pts = np.linspace(210, 290, 196)  # points inside the rectangle, not spanning it
    rect = "200 250 300 330"
    line = " ".join(f"{v:.3f}" for v in pts) + f" {rect} 0 0 0 0 0 1 a/b.jpg\n"
    (tmp_path / "list.txt").write_text(line)
    ds = read_wflw_list(tmp_path / "list.txt")
    face = face_for_sample(ds, 0, "dataset")
    card = _card(CropSpec(rule="pipnet_box", pad=(0.1,) * 4, box_source="dataset", clip=True), 64)
    image = _pattern(480, 640)
    prep = crop_face(image, face, card)
    # process_wflw: 100x80 rectangle, 0.1 per side -> (190, 242)..(310, 338), width 120, 96
    assert prep.image_to_crop == pytest.approx(
        np.array([[64 / 120, 0, -190 * 64 / 120], [0, 64 / 96, -242 * 64 / 96]])
    )
    expect = cv2.resize(image[242:338, 190:310], (64, 64))
    assert np.array_equal(prep.tensor, expect.astype(np.float32))


# -- crop.clip ------------------------------------------------------------------------------


def test_pipnet_box_without_clip_keeps_the_whole_box_and_pads_with_zeros() -> None:
    image = _pattern(100, 100)
    box = FaceRegion(box=(-20.0, 10.0, 60.0, 90.0))
    clipped = crop_face(image, box, _card(CropSpec(rule="pipnet_box", clip=True), 80))
    # clipped to x 0..60: 60 image px over 80 crop px across, 80 over 80 down
    assert clipped.image_to_crop == pytest.approx(np.array([[80 / 60, 0, 0], [0, 1.0, -10.0]]))
    unclipped = crop_face(image, box, _card(CropSpec(rule="pipnet_box", clip=False), 80))
    assert unclipped.image_to_crop == pytest.approx(_decode(1.0, -20.0, 10.0))
    assert not unclipped.tensor[:, :20].any()  # the 20 columns left of the image
    assert np.array_equal(unclipped.tensor[:, 20:], image[10:90, 0:60].astype(np.float32))


def test_box_rule_with_clip_keeps_only_the_part_inside_the_image() -> None:
    image = _pattern(150, 130)
    face = FaceRegion(box=(-1.5, -0.5, 100.2, 120.7))
    card = _card(CropSpec(rule="box", enlarge=1.2, clip=True))
    prep = crop_face(image, face, card)
    # the PFLD square (-22, -12) side 145 cut to the image: (0, 0)..(123, 133)
    assert prep.image_to_crop == pytest.approx(np.array([[112 / 123, 0, 0], [0, 112 / 133, 0]]))
    expect = cv2.resize(image[0:133, 0:123], (112, 112))
    assert np.array_equal(prep.tensor, expect.astype(np.float32))


@pytest.mark.parametrize("rule", ["hrnet_center_scale", "full_image", "mediapipe_roi"])
def test_clip_on_a_rule_without_a_box_is_refused(rule: str) -> None:
    d = {"id": "c", "family": "heatmap", "num_points": 2, "onnx": "c.onnx"}
    d["crop"] = {"rule": rule, "clip": True}
    with pytest.raises(CardError, match=r"\[crop\]: field 'clip' applies to rules"):
        card_from_dict(d, "c.toml")
