"""Format detection: the surest sniffer wins, and files no format claims get a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from facealign_gui.datasets.model import DatasetError
from facealign_gui.datasets.sniff import detect_format

HRNET = "image_name,scale,center_w,center_h,original_0_x,original_0_y\n"
WFLW_SUBSET = " ".join(["1.5"] * 196) + " a.jpg\n"


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("a.txt", HRNET, "hrnet_csv"),  # the header beats the ending
        ("a.csv", WFLW_SUBSET, "wflw_list"),  # 197 tokens beat the ending
        ("a.txt", "just some words\n", "wflw_list"),  # only the ending: still a WFLW list
        ("a.csv", "Image,scale,a,b,c\n", "kaggle_csv"),  # Kaggle's Image column wins
        ("a.txt", "version: 1\nn_points: 68\n", "pts"),
        ("a.pts", "left_eye_center_x,Image\n", "pts"),  # the ending decides for .pts
        ("a.mat", "image_name,scale,a,b,c\n", "cofw_mat"),  # ... and for .mat
        ("a.dat", "MATLAB 5.0 MAT-file\x00\x01", "cofw_mat"),
        ("a.json", '{"images": [], "annotations": []}', "coco"),
        ("a.txt", '\ufeff  {"info": {}, "images": []}', "coco"),
        ("a.json", "[1, 2, 3]", "coco"),  # by the ending only: the reader says what is wrong
    ],
)
def test_the_surest_format_wins(tmp_path: Path, name: str, content: str, expected: str) -> None:
    (tmp_path / name).write_text(content, encoding="utf-8")
    assert detect_format(tmp_path / name) == expected


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.txt", "", "empty file"),
        ("a.csv", "  \n\n", "empty file"),
        ("a.txt", "\x00\x01" * 8, "binary data, not an annotation file"),
        ("a.jpg", "not really", "an image, not an annotation file or folder"),
        ("a.dat", "hello\n", r"a\.dat:1: cannot tell the format \(not one of: HRNet CSV"),
    ],
)
def test_what_no_format_claims_is_named_with_the_reason(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    (tmp_path / name).write_text(content)
    with pytest.raises(DatasetError, match=message):
        detect_format(tmp_path / name)


def test_folders_are_pts_folders_or_image_folders(tmp_path: Path) -> None:
    only_pts = tmp_path / "pts"
    only_pts.mkdir()
    (only_pts / "a.pts").write_text("version: 1\n")
    assert detect_format(only_pts) == "pts"
    assert detect_format(tmp_path) == "pts"  # .pts only, in a subfolder
    empty = tmp_path / "empty"
    empty.mkdir()
    assert detect_format(empty) == "image_folder"  # whose reader says there is no image
    with pytest.raises(DatasetError, match="no such file or folder"):
        detect_format(tmp_path / "gone")
