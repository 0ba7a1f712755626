"""WFLW lists: attribute flags become subsets, faces are keyed by row, exact round trips."""

from __future__ import annotations

import filecmp
from pathlib import Path

import numpy as np
import pytest
from _dataset_files import face_points, wflw_line

from facealign_gui.datasets.model import DatasetError
from facealign_gui.datasets.wflw_list import read_wflw_list, write_wflw_list

SUBSET_COUNTS = {
    "blur": 773,
    "expression": 314,
    "illumination": 698,
    "largepose": 326,
    "makeup": 206,
    "occlusion": 736,
}


@pytest.fixture
def wflw(shared_dir: Path) -> Path:
    d = shared_dir / "data" / "wflw"
    if not d.is_dir():
        pytest.skip("WFLW lists are not present")
    return d


@pytest.mark.parametrize("subset", sorted(SUBSET_COUNTS))
def test_wflw_subset_lists_load_with_their_row_counts(wflw: Path, subset: str) -> None:
    ds = read_wflw_list(wflw / f"list_98pt_test_{subset}.txt")
    assert len(ds) == SUBSET_COUNTS[subset]
    assert ds.scheme == "wflw98" and ds.points.shape == (len(ds), 98, 2)
    assert set(ds.subsets) == {subset} and len(ds.subsets[subset]) == len(ds)
    assert ds.problems == []


@pytest.mark.parametrize("subset", sorted(SUBSET_COUNTS))
def test_wflw_subset_list_round_trip_is_byte_identical(
    wflw: Path, subset: str, tmp_path: Path
) -> None:
    src = wflw / f"list_98pt_test_{subset}.txt"
    ds = read_wflw_list(src)
    out = tmp_path / src.name
    write_wflw_list(ds, out)
    assert np.array_equal(read_wflw_list(out).points, ds.points)
    assert filecmp.cmp(src, out, shallow=False)


def _rect_attr_file(tmp_path: Path) -> tuple[Path, np.ndarray, np.ndarray]:
    a, b = face_points(98, 1), face_points(98, 2)
    lines = [
        wflw_line(a, "1--x/same.jpg", (10, 20, 200, 220), (1, 0, 0, 0, 1, 0)),
        wflw_line(b, "1--x/same.jpg", (30, 40, 230, 240), (0, 1, 0, 1, 0, 1)),
        wflw_line(a, "2--y/other.jpg", (5, 6, 7, 8), (0, 0, 1, 0, 0, 0)),
    ]
    f = tmp_path / "list_98pt_rect_attr_test.txt"
    f.write_text("\n".join(lines) + "\n")
    return f, a, b


def test_rect_attr_list_gives_boxes_attributes_and_subsets_per_row(tmp_path: Path) -> None:
    f, a, b = _rect_attr_file(tmp_path)
    ds = read_wflw_list(f)
    assert ds.images == ["1--x/same.jpg", "1--x/same.jpg", "2--y/other.jpg"]
    assert np.array_equal(ds.points[0], a) and np.array_equal(ds.points[1], b)
    assert ds.boxes.tolist()[1] == [30, 40, 230, 240]
    assert ds.attributes["pose"].tolist() == [1, 0, 0]
    assert ds.subsets["largepose"].tolist() == [0]
    assert ds.subsets["occlusion"].tolist() == [0]
    assert ds.subsets["makeup"].tolist() == [1]
    assert ds.subsets["blur"].tolist() == [1]
    assert ds.subsets["illumination"].tolist() == [2]
    assert ds.subsets["expression"].tolist() == [1]
    out = tmp_path / "out.txt"
    write_wflw_list(ds, out)
    assert filecmp.cmp(f, out, shallow=False)


def test_wflw_list_centre_and_scale_follow_the_landmark_box_rule(tmp_path: Path) -> None:
    f, a, _ = _rect_attr_file(tmp_path)
    ds = read_wflw_list(f)
    # by hand: floor/ceil of the extreme coordinates, centre = middle, scale = longer side/200
    x1, y1 = np.floor(a.min(axis=0))
    x2, y2 = np.ceil(a.max(axis=0))
    assert ds.centers[0].tolist() == [(x1 + x2) / 2, (y1 + y2) / 2]
    assert ds.scales[0] == max(x2 - x1, y2 - y1) / 200


def test_bad_wflw_lines_are_reported_and_skipped(tmp_path: Path) -> None:
    a = face_points(98)
    good = wflw_line(a, "a.jpg", (1, 2, 3, 4), (0, 0, 0, 0, 0, 0))
    lines = [
        good,
        good.replace("a.jpg", "1 a.jpg"),  # too many values
        good.replace(f"{a[0, 0]:.6f}", "x1"),  # not a number
        good.replace(" 0 0 0 0 0 0 ", " 0 0 7 0 0 0 "),  # bad flag
        good.replace(" 1 2 3 4 ", " 9 2 3 4 "),  # x_max < x_min
    ]
    f = tmp_path / "l.txt"
    f.write_text("\r\n".join(lines) + "\r\n")
    ds = read_wflw_list(f)
    assert len(ds) == 1 and ds.skipped == 4
    msgs = [str(p) for p in ds.problems]
    assert msgs[0].startswith(f"{f}:2: expected 207 values")
    assert msgs[1] == f"{f}:3: not a number: 'x1'"
    assert msgs[2].startswith(f"{f}:4: attribute flags must be 0 or 1")
    assert msgs[3].startswith(f"{f}:5: face rect")


def test_empty_wflw_list_is_unreadable(tmp_path: Path) -> None:
    f = tmp_path / "e.txt"
    f.write_text("\n\n")
    with pytest.raises(DatasetError, match="empty file"):
        read_wflw_list(f)


def test_a_wflw_line_of_binary_junk_is_skipped(tmp_path: Path) -> None:
    good = wflw_line(face_points(98), "a.jpg")
    f = tmp_path / "l.txt"
    f.write_bytes(good.encode() + b"\n\xff\xfe junk\n" + good.encode() + b"\n")
    ds = read_wflw_list(f)
    assert len(ds) == 2 and [p.line for p in ds.problems] == [2]
    assert "not UTF-8" in str(ds.problems[0])


def _rect_lines(n: int) -> list[str]:
    a = face_points(98, 5)
    return [wflw_line(a, f"{i}.jpg", (1, 2, 300, 400), (0, 1, 0, 0, 0, 1)) for i in range(n)]


@pytest.mark.parametrize("tokens", [4, 206, 208, 150])
def test_a_list_where_no_line_has_a_wflw_length_is_one_clear_problem(
    tmp_path: Path, tokens: int
) -> None:
    f = tmp_path / "l.txt"
    f.write_text("\n" + "\n".join(" ".join(["1"] * tokens) for _ in range(3)) + "\n")
    with pytest.raises(DatasetError) as e:
        read_wflw_list(f)
    assert [str(p) for p in e.value.problems] == [
        f"{f}:2: no line has the 207 values of a WFLW rect+attribute list or the 197 of a "
        f"points list (98 points); this line has {tokens}, most have {tokens}"
    ]


@pytest.mark.parametrize(
    "junk",
    [b"\x00" * 40, b"\x89PNG\x00\x00\x1a junk \x00", b"ab\x00cd " * 50],
    ids=["NUL row", "image bytes", "NULs between words"],
)
def test_a_row_of_binary_bytes_costs_only_its_line(tmp_path: Path, junk: bytes) -> None:
    lines = [ln.encode() for ln in _rect_lines(5)]
    f = tmp_path / "l.txt"
    f.write_bytes(b"\n".join([*lines[:2], junk, *lines[2:]]) + b"\n")
    ds = read_wflw_list(f)
    assert len(ds) == 5 and ds.images == [f"{i}.jpg" for i in range(5)]
    assert [str(p) for p in ds.problems] == [f"{f}:3: not UTF-8 text (binary junk?)"]


def test_a_binary_file_is_refused_whole_and_named(tmp_path: Path) -> None:
    f = tmp_path / "l.txt"
    f.write_bytes(b"GIF89a\x01\x00\x01\x00\x00\xff\x00" + bytes(range(256)) * 4)
    with pytest.raises(DatasetError, match=r"l\.txt: a GIF image, not a text annotation file"):
        read_wflw_list(f)
    f.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(DatasetError, match=r"l\.txt: binary data, not a text annotation file"):
        read_wflw_list(f)


@pytest.mark.parametrize(
    "bad",
    [
        lambda ln: ln.replace(" ", " \x00", 1),  # NUL, past the first 64 KB
        lambda ln: ln.replace(" ", " x", 1),  # a non-number
        lambda ln: ln.replace(" ", "\t", 3),  # tabs
        lambda ln: ln + " extra",  # one value too many
        lambda ln: ln.replace("0.", "0\u00e9.", 1),  # non-ASCII
    ],
)
def test_one_bad_line_is_parsed_alone_not_the_whole_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad
) -> None:
    from facealign_gui.datasets import _wflw_rows

    lines = _rect_lines(2000)
    lines[1500] = bad(lines[1500])
    f = tmp_path / "list_98pt_rect_attr_test.txt"
    f.write_text("\n".join(lines) + "\n")
    calls = []
    real = _wflw_rows.parse_line
    monkeypatch.setattr(_wflw_rows, "parse_line", lambda *a: calls.append(1) or real(*a))
    ds = read_wflw_list(f)
    assert len(ds) + ds.skipped == 2000 and len(calls) <= 1  # the bad line, at most
    kept = ds.images[1499:1502]
    assert kept in (["1499.jpg", "1500.jpg", "1501.jpg"], ["1499.jpg", "1501.jpg", "1502.jpg"])


@pytest.mark.parametrize("k", [68, 29, 19, 99])
def test_a_dataset_that_is_not_98_points_is_refused_as_a_wflw_list(tmp_path: Path, k: int) -> None:
    from facealign_gui.datasets.io import write_dataset
    from facealign_gui.datasets.model import Dataset

    ds = Dataset(
        format="x", scheme=None, root=tmp_path, images=["a.jpg"], points=np.ones((1, k, 2))
    )
    with pytest.raises(DatasetError, match=f"holds 98 points per face, this dataset has {k}"):
        write_dataset(ds, tmp_path / "out.txt")
    assert not (tmp_path / "out.txt").exists()
