"""open_dataset / write_dataset / load_image: detection, safety, clear errors."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from _dataset_files import face_points, hrnet_row, write_hrnet

from facealign_gui.datasets.images import load_image
from facealign_gui.datasets.io import open_dataset, write_dataset
from facealign_gui.datasets.model import DatasetError
from facealign_gui.datasets.sniff import detect_format


def test_an_image_folder_is_unlabelled(tmp_path: Path) -> None:
    (tmp_path / "s").mkdir()
    cv2.imwrite(str(tmp_path / "s" / "b.png"), np.full((5, 7, 3), 9, np.uint8))
    cv2.imwrite(str(tmp_path / "a.jpg"), np.zeros((5, 7, 3), np.uint8))
    (tmp_path / "notes.txt").write_text("x")
    ds = open_dataset(tmp_path)
    assert ds.format == "image_folder" and ds.scheme is None and ds.points is None
    assert ds.images == ["a.jpg", "s/b.png"]
    assert load_image(ds, 1).shape == (5, 7, 3)


def test_load_image_names_a_missing_or_corrupt_file(tmp_path: Path) -> None:
    cv2.imwrite(str(tmp_path / "ok.png"), np.zeros((3, 3), np.uint8))
    (tmp_path / "bad.jpg").write_bytes(b"not a jpeg")
    ds = open_dataset(tmp_path)
    assert load_image(ds, 1).shape == (3, 3, 3)  # grey becomes 3 channels
    with pytest.raises(DatasetError, match=r"bad\.jpg: cannot decode image"):
        load_image(ds, 0)
    ds.images.append("gone.png")
    with pytest.raises(DatasetError, match=r"gone\.png: image not found"):
        load_image(ds, 2)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("a.csv", "image_name,scale,center_w,center_h,original_0_x,original_0_y\n", "hrnet_csv"),
        ("k.csv", "left_eye_center_x,Image\n", "kaggle_csv"),
        ("l.txt", " ".join(["1"] * 196) + " a.jpg\n", "wflw_list"),
        ("p.pts", "version: 1\n", "pts"),
        ("c.mat", "", "cofw_mat"),
    ],
)
def test_formats_are_detected_from_name_and_first_line(
    tmp_path: Path, name: str, content: str, expected: str
) -> None:
    (tmp_path / name).write_text(content)
    assert detect_format(tmp_path / name) == expected


def test_unknown_and_missing_inputs_are_clear_errors(tmp_path: Path) -> None:
    (tmp_path / "x.dat").write_text("hello\n")
    with pytest.raises(DatasetError, match=r"x\.dat:1: cannot tell the format"):
        open_dataset(tmp_path / "x.dat")
    with pytest.raises(DatasetError, match="no such file"):
        open_dataset(tmp_path / "nothing.csv")
    (tmp_path / "junk.csv").write_bytes(b"\x00\x01\x02" * 10)
    with pytest.raises(DatasetError, match=r"junk\.csv: binary data"):
        open_dataset(tmp_path / "junk.csv")


def test_writing_refuses_the_input_file_and_existing_files(tmp_path: Path) -> None:
    f = write_hrnet(tmp_path / "a.csv", [hrnet_row("a.jpg", face_points(68))], 68)
    ds = open_dataset(f, check_images=False)
    with pytest.raises(DatasetError, match="refusing to overwrite the input file"):
        write_dataset(ds, f, overwrite=True)
    other = tmp_path / "b.csv"
    other.write_text("keep me")
    with pytest.raises(DatasetError, match="already exists"):
        write_dataset(ds, other)
    assert other.read_text() == "keep me"
    write_dataset(ds, other, overwrite=True)
    assert open_dataset(other, check_images=False).images == ["a.jpg"]
    assert sorted(os.listdir(tmp_path)) == ["a.csv", "b.csv"]  # no temporary files left


def test_a_scheme_that_does_not_fit_is_an_error(tmp_path: Path) -> None:
    f = write_hrnet(tmp_path / "a.csv", [hrnet_row("a.jpg", face_points(68))], 68)
    with pytest.raises(DatasetError, match="68 points per face, scheme wflw98 has 98"):
        open_dataset(f, scheme="wflw98")


def test_strict_mode_counts_a_missing_image_as_a_problem(tmp_path: Path) -> None:
    f = write_hrnet(tmp_path / "a.csv", [hrnet_row("a.jpg", face_points(68))], 68)
    assert not open_dataset(f).problems[0].fatal
    with pytest.raises(DatasetError, match="none of the 1 images found"):
        open_dataset(f, strict=True)


def _variants(tmp_path: Path, name: str, text: str) -> list[Path]:
    """The same content plain, with a UTF-8 BOM, and with Windows line endings."""
    out = []
    for tag, data in [
        ("plain", text.encode()),
        ("bom", b"\xef\xbb\xbf" + text.encode()),
        ("crlf", text.replace("\n", "\r\n").encode()),
    ]:
        d = tmp_path / tag
        d.mkdir(exist_ok=True)
        (d / name).write_bytes(data)
        out.append(d / name)
    return out


@pytest.mark.parametrize("fmt", ["hrnet_csv", "wflw_list", "pts", "kaggle_csv"])
def test_a_bom_and_windows_line_endings_read_like_plain_text(tmp_path: Path, fmt: str) -> None:
    from _dataset_files import hrnet_header, wflw_line

    from facealign_gui.core.schemes import get_scheme
    from facealign_gui.datasets.pts import format_pts

    pts = face_points(15 if fmt == "kaggle_csv" else 68)
    if fmt == "hrnet_csv":
        name, text = "a.csv", hrnet_header(68) + "\n" + hrnet_row("a.jpg", pts) + "\n"
    elif fmt == "wflw_list":
        name, text = "a.txt", wflw_line(face_points(98), "a.jpg") + "\n"
    elif fmt == "pts":
        name, text = "a.pts", format_pts(pts)
    else:
        cols = [f"{n}_{c}" for n in get_scheme("kaggle15").point_names for c in "xy"]
        row = ",".join([*map(repr, pts.ravel().tolist()), " ".join(["7"] * 9216)])
        name, text = "k.csv", ",".join([*cols, "Image"]) + "\n" + row + "\n"
    loaded = [open_dataset(p, check_images=False) for p in _variants(tmp_path, name, text)]
    for ds in loaded:
        assert ds.format == fmt and len(ds) == 1
        assert [p for p in ds.problems if p.fatal] == []
        assert np.array_equal(ds.points, loaded[0].points)
        assert ds.images == loaded[0].images
