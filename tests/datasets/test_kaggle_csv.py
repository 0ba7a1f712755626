"""Kaggle keypoints CSV: a missing point is invisible with NaN coordinates, never zero."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facealign_gui.core.schemes import get_scheme
from facealign_gui.datasets.images import load_image
from facealign_gui.datasets.io import open_dataset, write_dataset
from facealign_gui.datasets.model import DatasetError

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


def _good(n: int) -> list[str]:
    return [_row([f"{10 + i}.5" for i in range(30)], _pixels(s)[1]) for s in range(n)]


@pytest.mark.parametrize(
    ("pixel", "shown"),
    [("256", "'256'"), ("-1", "'-1'"), ("1.5", "'1.5'"), ("9999", "'9999'"), ("1e3", "'1e3'"),
     ("abc", "'abc'"), ("0256", "'0256'"), ("\u0663", "'\u0663'")],
)  # fmt: skip
def test_kaggle_pixels_out_of_range_are_refused_on_read_by_line_and_pixel(
    tmp_path: Path, pixel: str, shown: str
) -> None:
    rows = _good(3)
    grey = rows[1].rsplit(",", 1)[1].split(" ")
    grey[100] = pixel
    rows[1] = rows[1].rsplit(",", 1)[0] + "," + " ".join(grey)
    f = tmp_path / "training.csv"
    f.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    ds = open_dataset(f)
    assert len(ds) == 2 and ds.sources == [f"{f}:2", f"{f}:4"]
    assert [str(p) for p in ds.problems] == [
        f"{f}:3: Image pixel 101: {shown} is not an integer in 0..255"
    ]
    assert load_image(ds, 1)[:, :, 0].tolist() == _pixels(2)[0].tolist()


def test_kaggle_pixel_values_at_the_edges_are_kept(tmp_path: Path) -> None:
    grey = np.array([0, 255, 7, 99, 100, 250, 1, 10] * 1152)
    text = " ".join(map(str, grey.tolist()))
    f = tmp_path / "training.csv"
    f.write_text(HEADER + "\n" + _row([f"{i}.5" for i in range(30)], text) + "\n")
    ds = open_dataset(f)
    assert not ds.problems and load_image(ds, 0)[:, :, 0].ravel().tolist() == grey.tolist()


@pytest.mark.parametrize(
    "junk", [b"\x00" * 50, b"\xff\xfe\x80junk,1,2", b"1,2,\x00\x00"], ids=["NUL", "bytes", "mix"]
)
def test_a_row_of_binary_bytes_in_a_kaggle_csv_costs_only_its_row(
    tmp_path: Path, junk: bytes
) -> None:
    rows = [r.encode() for r in _good(3)]
    f = tmp_path / "training.csv"
    f.write_bytes(b"\n".join([HEADER.encode(), rows[0], junk, *rows[1:]]) + b"\n")
    ds = open_dataset(f, format="kaggle")  # (format detection has its own binary check)
    assert ds.sources == [f"{f}:2", f"{f}:4", f"{f}:5"]
    assert [str(p) for p in ds.problems] == [f"{f}:3: not UTF-8 text (binary junk?)"]


def test_a_kaggle_header_of_empty_columns_is_refused_quickly(tmp_path: Path) -> None:
    f = tmp_path / "training.csv"
    f.write_text(HEADER + "," * 300_000 + "\n" + _good(1)[0] + "," * 300_000 + "\n")
    with pytest.raises(DatasetError, match=r"training\.csv:1: header line is longer"):
        open_dataset(f, format="kaggle")
    f.write_text(HEADER + ",,\n" + _good(1)[0] + ",,\n")
    with pytest.raises(DatasetError, match=r"training\.csv:1: 2 of the 33 header columns"):
        open_dataset(f, format="kaggle")


def test_cr_only_kaggle_files_read_and_inf_points_are_refused(tmp_path: Path) -> None:
    rows = _good(3)
    rows[2] = "inf" + rows[2][4:]
    f = tmp_path / "training.csv"
    f.write_bytes(("\r".join([HEADER, *rows]) + "\r").encode())
    ds = open_dataset(f)
    assert ds.sources == [f"{f}:2", f"{f}:3"] and ds.meta["newline"] == "\r"
    assert [str(p) for p in ds.problems] == [
        f"{f}:4: column left_eye_center_x: not a finite number: 'inf'"
    ]
