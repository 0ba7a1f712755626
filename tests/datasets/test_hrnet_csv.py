"""HRNet CSV: the published 300W files, exact round trips, and every kind of bad row."""

from __future__ import annotations

import filecmp
from pathlib import Path

import numpy as np
import pytest
from _dataset_files import face_points, hrnet_header, hrnet_row, write_hrnet

from facealign_gui.datasets.hrnet_csv import read_hrnet_csv, write_hrnet_csv
from facealign_gui.datasets.io import open_dataset
from facealign_gui.datasets.model import DatasetError

W300 = {
    "face_landmarks_300w_test.csv": 600,
    "face_landmarks_300w_valid.csv": 689,
    "face_landmarks_300w_valid_common.csv": 554,
    "face_landmarks_300w_valid_challenge.csv": 135,
}


@pytest.fixture
def w300(shared_dir: Path) -> Path:
    d = shared_dir / "data" / "300w"
    if not d.is_dir():
        pytest.skip("300W CSVs are not present")
    return d


@pytest.mark.parametrize("name", sorted(W300))
def test_300w_csvs_load_with_their_published_row_counts(w300: Path, name: str) -> None:
    ds = read_hrnet_csv(w300 / name)
    assert len(ds) == W300[name]
    assert ds.points is not None and ds.points.shape == (W300[name], 68, 2)
    assert ds.scheme == "300w68"
    assert ds.problems == [] and ds.skipped == 0


@pytest.mark.parametrize("name", sorted(W300))
def test_300w_csv_round_trip_is_byte_identical(w300: Path, name: str, tmp_path: Path) -> None:
    ds = read_hrnet_csv(w300 / name)
    out = tmp_path / name
    write_hrnet_csv(ds, out)
    again = read_hrnet_csv(out)
    assert np.array_equal(ds.points, again.points)
    assert np.array_equal(ds.scales, again.scales)
    assert np.array_equal(ds.centers, again.centers)
    assert again.images == ds.images
    assert filecmp.cmp(w300 / name, out, shallow=False)


def test_300w_full_split_divides_into_common_and_challenge_like_the_published_files(
    w300: Path,
) -> None:
    full = read_hrnet_csv(w300 / "face_landmarks_300w_valid.csv")
    common = read_hrnet_csv(w300 / "face_landmarks_300w_valid_common.csv")
    challenge = read_hrnet_csv(w300 / "face_landmarks_300w_valid_challenge.csv")
    assert len(full.subsets["full"]) == 689
    assert sorted(full.images[i] for i in full.subsets["common"]) == sorted(common.images)
    assert sorted(full.images[i] for i in full.subsets["challenge"]) == sorted(challenge.images)
    assert set(common.subsets) == {"common"} and set(challenge.subsets) == {"challenge"}


def test_aflw_layout_keeps_box_size_third_and_round_trips(tmp_path: Path) -> None:
    pts = face_points(19)
    f = write_hrnet(tmp_path / "face_landmarks_aflw_test.csv",
                    [hrnet_row("a.jpg", pts, 1.2, box=180.25)], 19, aflw=True)  # fmt: skip
    ds = read_hrnet_csv(f)
    assert ds.scheme == "aflw19"
    assert ds.attributes["box_size"].tolist() == [180.25]
    assert ds.scales.tolist() == [1.2] and ds.centers.tolist() == [[100.0, 120.0]]
    assert np.array_equal(ds.points[0], pts)
    out = tmp_path / "out.csv"
    write_hrnet_csv(ds, out)
    assert out.read_text().split("\n")[0].split(",")[:5] == [
        "image_name", "scale", "box_size", "center_w", "center_h"]  # fmt: skip
    assert filecmp.cmp(f, out, shallow=False)


def _bad_file(tmp_path: Path) -> Path:
    pts = face_points(3)
    good = hrnet_row("good.jpg", pts)
    rows = [
        good,
        good + ",1.0",  # line 3: one column too many
        "short.jpg,1.0,2.0",  # line 4: too few
        hrnet_row("word.jpg", pts).replace(repr(float(pts[1, 0])), "abc"),  # line 5
        hrnet_row("nan.jpg", pts).replace(repr(float(pts[2, 1])), "nan"),  # line 6
        hrnet_row("zero.jpg", pts, scale=0.0),  # line 7
        hrnet_row("neg.jpg", pts, scale=-1.0),  # line 8
        hrnet_row("empty.jpg", pts).replace(repr(float(pts[0, 1])), ""),  # line 9
        hrnet_row("good2.jpg", pts),  # line 10
    ]
    return write_hrnet(tmp_path / "bad.csv", rows, 3)


def test_bad_rows_are_reported_by_line_and_the_good_rows_load(tmp_path: Path) -> None:
    f = _bad_file(tmp_path)
    ds = read_hrnet_csv(f)
    assert ds.images == ["good.jpg", "good2.jpg"]
    assert ds.sources == [f"{f}:2", f"{f}:10"]
    assert ds.skipped == 7
    lines = [p.line for p in ds.problems]
    assert lines == [3, 4, 5, 6, 7, 8, 9]
    text = [str(p) for p in ds.problems]
    assert text[0].startswith(f"{f}:3: expected 10 columns (3 points), found 11")
    assert "not a number: 'abc'" in text[2]
    assert "original_2_y" in text[3] and "'nan'" in text[3]
    assert "scale must be positive" in text[4] and "scale must be positive" in text[5]
    assert "original_0_y" in text[6]


def test_strict_mode_raises_on_any_bad_row(tmp_path: Path) -> None:
    with pytest.raises(DatasetError) as e:
        open_dataset(_bad_file(tmp_path), strict=True, check_images=False)
    assert len(e.value.problems) == 7
    assert "bad.csv:3:" in str(e.value)


def test_bom_and_windows_line_endings_are_read_and_kept(tmp_path: Path) -> None:
    pts = face_points(68)
    f = write_hrnet(tmp_path / "w.csv", [hrnet_row("a.jpg", pts), hrnet_row("b.jpg", pts)], 68,
                    end="\r\n")  # fmt: skip
    f.write_bytes(b"\xef\xbb\xbf" + f.read_bytes())
    ds = read_hrnet_csv(f)
    assert ds.images == ["a.jpg", "b.jpg"] and ds.problems == []
    assert np.array_equal(ds.points[1], pts)
    out = tmp_path / "out.csv"
    write_hrnet_csv(ds, out)
    assert out.read_bytes() == f.read_bytes()[3:]


def test_blank_lines_do_not_shift_reported_line_numbers(tmp_path: Path) -> None:
    pts = face_points(3)
    f = write_hrnet(tmp_path / "b.csv", [hrnet_row("a.jpg", pts), "", "x.jpg,1", ""], 3)
    ds = read_hrnet_csv(f)
    assert ds.images == ["a.jpg"]
    assert [p.line for p in ds.problems] == [4]


def test_empty_file_and_binary_junk_are_unreadable_with_the_file_named(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    junk = tmp_path / "junk.csv"
    junk.write_bytes(bytes(range(256)) * 4)
    for f in (empty, junk):
        with pytest.raises(DatasetError) as e:
            read_hrnet_csv(f)
        assert str(f) in str(e.value)


def test_header_only_file_is_an_empty_dataset(tmp_path: Path) -> None:
    f = tmp_path / "h.csv"
    f.write_text(hrnet_header(68) + "\n")
    ds = read_hrnet_csv(f)
    assert len(ds) == 0 and ds.points.shape == (0, 68, 2)


def test_a_file_without_the_hrnet_header_is_rejected_naming_line_1(tmp_path: Path) -> None:
    f = tmp_path / "x.csv"
    f.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(DatasetError, match=r"x\.csv:1: not an HRNet CSV header"):
        read_hrnet_csv(f)


def test_missing_images_are_non_fatal_problems_naming_the_row(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "here.jpg").write_bytes(b"x")
    pts = face_points(3)
    f = write_hrnet(tmp_path / "m.csv", [hrnet_row("here.jpg", pts), hrnet_row("gone.jpg", pts)], 3)
    ds = open_dataset(f)
    assert ds.root == tmp_path / "images"
    assert len(ds) == 2 and ds.skipped == 0
    assert [str(p) for p in ds.problems] == [
        f"{f}:3: image not found: {tmp_path / 'images' / 'gone.jpg'}"
    ]
    assert not ds.problems[0].fatal


def test_writing_derives_center_and_scale_from_points_when_absent(tmp_path: Path) -> None:
    from facealign_gui.core.geometry import center_scale_from_points
    from facealign_gui.datasets.model import Dataset

    pts = face_points(68)[None]
    ds = Dataset(format="x", scheme="300w68", root=tmp_path, images=["a.jpg"], points=pts)
    write_hrnet_csv(ds, tmp_path / "o.csv")
    back = read_hrnet_csv(tmp_path / "o.csv")
    c, s = center_scale_from_points(pts[0])
    assert back.centers[0].tolist() == c.tolist() and back.scales[0] == s


def test_the_careful_path_reads_the_same_numbers_as_the_fast_path(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    rows = [hrnet_row(f"{i}.jpg", rng.uniform(0, 1000, (98, 2))) for i in range(40)]
    clean = read_hrnet_csv(write_hrnet(tmp_path / "clean.csv", rows, 98))
    rows[17] = rows[17].replace(",", ",x", 1)  # scale becomes "x1.5"
    messy = read_hrnet_csv(write_hrnet(tmp_path / "messy.csv", rows, 98))
    keep = [i for i in range(40) if i != 17]
    assert [p.line for p in messy.problems] == [19]
    assert np.array_equal(messy.points, clean.points[keep])
    assert np.array_equal(messy.scales, clean.scales[keep])
    assert messy.images == [clean.images[i] for i in keep]


def test_a_line_of_binary_junk_is_skipped_and_the_rest_loads(tmp_path: Path) -> None:
    pts = face_points(3)
    rows = [hrnet_row("a.jpg", pts), "JUNK", hrnet_row("b.jpg", pts)]
    f = write_hrnet(tmp_path / "j.csv", rows, 3)
    f.write_bytes(f.read_bytes().replace(b"JUNK", b"\xff\xfe\x80\x81"))
    ds = read_hrnet_csv(f)
    assert ds.images == ["a.jpg", "b.jpg"]
    assert [str(p) for p in ds.problems] == [f"{f}:3: not UTF-8 text (binary junk?)"]


def _good_rows(n: int = 4) -> list[str]:
    return [hrnet_row(f"{i}.jpg", face_points(3, i)) for i in range(n)]


@pytest.mark.parametrize(
    "junk",
    [
        b"\x00" * 64,  # a row of NUL bytes
        b"\x89PNG\x1a\x00\x00\x00IHDR\x00\x00",  # image bytes pasted into the file
        b"c.jpg,1.5,\x00\x00,3",  # a NUL inside an otherwise plausible row
        bytes(range(1, 256)).replace(b"\n", b"").replace(b"\r", b""),  # every other byte
        hrnet_row("c\x00.jpg", face_points(3)).encode(),  # a NUL in a name, numbers fine
    ],
    ids=["NUL row", "image bytes", "NUL in a row", "all bytes", "NUL in a name"],
)
def test_a_row_of_binary_bytes_inside_a_good_csv_costs_only_that_row(
    tmp_path: Path, junk: bytes
) -> None:
    rows = _good_rows()
    f = write_hrnet(tmp_path / "j.csv", [*rows[:2], "JUNK", *rows[2:]], 3)
    f.write_bytes(f.read_bytes().replace(b"JUNK", junk))
    ds = read_hrnet_csv(f)
    assert ds.images == ["0.jpg", "1.jpg", "2.jpg", "3.jpg"]
    assert [p.line for p in ds.problems] == [4] and ds.skipped == 1
    assert str(ds.problems[0]).startswith(f"{f}:4: ")


@pytest.mark.parametrize(
    "header",
    [
        "," * 300_000,
        hrnet_header(3) + "," * 300_000,
        "image_name,scale,center_w,center_h" + ",original_0_x" * 300_000,
    ],
    ids=["empty columns", "good header then empty columns", "300,000 named columns"],
)
def test_a_huge_header_is_refused_after_reading_only_its_first_64_kb(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, header: str
) -> None:
    import pandas as pd

    def no_pandas(*a, **k):
        raise AssertionError("the body must not be parsed")

    monkeypatch.setattr(pd, "read_csv", no_pandas)
    f = tmp_path / "h.csv"
    f.write_text(header + "\n" + _good_rows(1)[0] + "\n")
    with pytest.raises(DatasetError) as e:
        read_hrnet_csv(f)
    assert [p.line for p in e.value.problems] == [1]
    assert "header line is longer than 65536 bytes" in str(e.value)


def test_a_header_with_empty_column_names_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "h.csv"
    f.write_text(hrnet_header(3) + ",,,," + "\n" + _good_rows(1)[0] + ",,,,\n")
    with pytest.raises(DatasetError) as e:
        read_hrnet_csv(f)
    assert str(e.value) == (
        f"{f}:1: header column 11 has no name (4 of the 14 columns are empty): "
        "not an HRNet CSV header"
    )


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_cr_only_line_ends_read_every_row_and_write_back_the_same(
    tmp_path: Path, bom: bytes
) -> None:
    f = write_hrnet(tmp_path / "a.csv", _good_rows(), 3, end="\r")
    f.write_bytes(bom + f.read_bytes())
    ds = read_hrnet_csv(f)
    assert ds.images == ["0.jpg", "1.jpg", "2.jpg", "3.jpg"] and not ds.problems
    assert ds.meta["newline"] == "\r" and ds.sources[3] == f"{f}:5"
    write_hrnet_csv(ds, tmp_path / "b.csv")
    assert (tmp_path / "b.csv").read_bytes() == f.read_bytes()[len(bom) :]


def test_cr_only_line_ends_name_the_right_line_of_a_bad_row(tmp_path: Path) -> None:
    rows = _good_rows()
    rows[2] = rows[2].rsplit(",", 3)[0]  # a truncated row
    f = write_hrnet(tmp_path / "a.csv", rows, 3, end="\r")
    ds = read_hrnet_csv(f)
    assert [str(p) for p in ds.problems] == [f"{f}:4: expected 10 columns (3 points), found 7"]


def test_a_truncated_last_line_and_a_huge_line_cost_only_their_rows(tmp_path: Path) -> None:
    rows = _good_rows()
    f = write_hrnet(tmp_path / "a.csv", [*rows[:2], "9" * 2_000_000, *rows[2:]], 3)
    data = f.read_bytes()
    f.write_bytes(data[: data.rindex(b",")])  # the last row is cut short
    ds = read_hrnet_csv(f)
    assert ds.images == ["0.jpg", "1.jpg", "2.jpg"]
    assert [p.line for p in ds.problems] == [4, 6]
