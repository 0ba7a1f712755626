"""Kaggle keypoints CSV: a missing point is invisible with NaN coordinates, never zero."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from facealign_gui.core.schemes import get_scheme
from facealign_gui.datasets.images import load_image
from facealign_gui.datasets.io import open_dataset, write_dataset

NAMES = get_scheme("kaggle15").point_names
HEADER = ",".join([f"{n}_{c}" for n in NAMES for c in "xy"] + ["Image"])


def _pixels(seed: int) -> tuple[np.ndarray, str]:
    grey = np.random.default_rng(seed).integers(0, 256, (96, 96))
    return grey, " ".join(map(str, grey.ravel().tolist()))


def _row(coords: list[str], pixels: str) -> str:
    return ",".join([*coords, pixels])


def _file(tmp_path: Path) -> tuple[Path, np.ndarray]:
    grey, pix = _pixels(0)
    full = [f"{10 + i}.5" for i in range(30)]
    partial = list(full)
    partial[4:6] = ["", ""]  # point 2 missing
    lines = [
        HEADER,
        _row(full, pix),
        _row(partial, pix),
        _row(["1"] * 30, "1 2 3"),  # wrong pixel count
        _row(["abc"] + ["1"] * 29, pix),  # not a number
        "1,2,3",  # wrong column count
    ]
    f = tmp_path / "training.csv"
    f.write_text("\n".join(lines) + "\n")
    return f, grey


def test_missing_kaggle_points_are_invisible_and_nan(tmp_path: Path) -> None:
    f, _ = _file(tmp_path)
    ds = open_dataset(f)
    assert ds.format == "kaggle_csv" and ds.scheme == "kaggle15" and len(ds) == 2
    assert ds.points[0, 0].tolist() == [10.5, 11.5]
    assert ds.visible[1].tolist() == [i != 2 for i in range(15)]
    assert np.isnan(ds.points[1, 2]).all()
    assert not (ds.points[1][ds.visible[1]] == 0).any()


def test_bad_kaggle_rows_are_reported_by_line(tmp_path: Path) -> None:
    f, _ = _file(tmp_path)
    ds = open_dataset(f)
    msgs = sorted(str(p) for p in ds.problems)
    assert ds.skipped == 3
    assert f"{f}:4: Image has 3 pixels, expected 9216" in msgs
    assert f"{f}:5: column left_eye_center_x: not a number: 'abc'" in msgs
    assert f"{f}:6: expected 31 columns, found 3" in msgs


def test_kaggle_pixels_decode_to_a_96x96_bgr_image(tmp_path: Path) -> None:
    f, grey = _file(tmp_path)
    img = load_image(open_dataset(f), 1)
    assert img.shape == (96, 96, 3) and img.dtype == np.uint8
    assert np.array_equal(img[:, :, 0], grey) and np.array_equal(img[:, :, 2], grey)


def test_kaggle_round_trip_keeps_missing_points_missing(tmp_path: Path) -> None:
    f, grey = _file(tmp_path)
    ds = open_dataset(f)
    write_dataset(ds, tmp_path / "out.csv")
    back = open_dataset(tmp_path / "out.csv")
    assert np.array_equal(back.visible, ds.visible)
    assert np.array_equal(back.points, ds.points, equal_nan=True)
    assert np.array_equal(load_image(back, 0)[:, :, 1], grey)
    assert back.problems == []


def test_kaggle_test_csv_has_images_but_no_points(tmp_path: Path) -> None:
    _, pix = _pixels(1)
    f = tmp_path / "test.csv"
    f.write_text(f"ImageId,Image\n1,{pix}\n2,{pix}\n")
    ds = open_dataset(f)
    assert ds.points is None and ds.scheme is None and len(ds) == 2
    assert ds.attributes["image_id"].tolist() == [1, 2]
