"""WFLW lists, fast paths: whole-file and block parsing, batched centres, six-decimal check."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from _dataset_files import face_points, wflw_line

from facealign_gui.core.geometry import center_scale_from_points
from facealign_gui.datasets._boxes import centers_scales_from_points
from facealign_gui.datasets._common import decode_text
from facealign_gui.datasets._format import six_decimals_are_exact
from facealign_gui.datasets._wflw_rows import read_careful, read_lines, read_mixed
from facealign_gui.datasets.model import Dataset, DatasetError
from facealign_gui.datasets.wflw_list import _read_fast, read_wflw_list, write_wflw_list


def _lists(shared_dir: Path) -> list[Path]:
    files = sorted((shared_dir / "data" / "wflw").glob("list_98pt_*.txt"))
    if not files:
        pytest.skip("WFLW lists are not present")
    return files


def test_batched_centre_and_scale_equal_the_per_face_rule_on_the_real_lists(
    shared_dir: Path,
) -> None:
    points = np.concatenate([read_wflw_list(f).points for f in _lists(shared_dir)])
    rng = np.random.default_rng(0)
    holes = points.copy()
    holes[rng.random(points.shape[:2]) < 0.3] = np.nan  # some points missing
    holes[::50] = np.nan  # some faces with no point at all
    visible = rng.random(points.shape[:2]) < 0.8
    for pts, vis in ((points, None), (holes, None), (points, visible)):
        centers, scales = centers_scales_from_points(pts, vis)
        for i in range(len(pts)):
            keep = np.isfinite(pts[i]).all(axis=1) & (True if vis is None else vis[i])
            if not keep.any():
                assert np.isnan(centers[i]).all() and math.isnan(scales[i])
                continue
            c, s = center_scale_from_points(pts[i], keep)
            assert centers[i].tolist() == c.tolist() and scales[i] == s


def test_the_real_lists_take_the_fast_path_and_match_the_careful_one(shared_dir: Path) -> None:
    for f in _lists(shared_dir):
        data = f.read_bytes()
        fast = _read_fast(data, 196)
        assert fast is not None, f
        names, values, with_rect, sources, problems = read_lines(
            decode_text(data, str(f))[0], str(f), 196
        )
        assert fast[0] == names and fast[2] == with_rect and problems == []
        assert np.array_equal(fast[1], values)
        assert read_wflw_list(f).sources == sources


def _variants() -> dict[str, bytes]:
    a, b = face_points(98, 1), face_points(98, 2)
    rows = [
        wflw_line(a, "1--x/a.jpg", (10, 20, 200, 220), (1, 0, 0, 0, 1, 0)),
        wflw_line(b, "1--x/a.jpg", (30, 40, 230, 240), (0, 1, 0, 1, 0, 1)),
        wflw_line(a, "2--y/b.jpg", (5, 6, 7, 8), (0, 0, 1, 0, 0, 0)),
    ]
    first = f"{a[0, 0]:.6f}"

    def edit(i: int, old: str, new: str) -> bytes:
        lines = list(rows)
        lines[i] = lines[i].replace(old, new, 1)
        return ("\n".join(lines) + "\n").encode()

    clean = ("\n".join(rows) + "\n").encode()
    return {
        "clean": clean,
        "crlf": clean.replace(b"\n", b"\r\n"),
        "bom": b"\xef\xbb\xbf" + clean,
        "lone cr": clean.replace(b"\n", b"\r"),
        "no final newline": clean.rstrip(b"\n"),
        "trailing blank lines": clean + b"\n \n\n",
        "leading blank line": b"\n" + clean,
        "inner blank line": clean.replace(b"\n", b"\n\n", 1),
        "tab between numbers": edit(1, " ", "\t"),
        "tab before a number": edit(1, " ", " \t"),
        "tab after a number": edit(1, " ", "\t "),
        "vertical tab": edit(1, " ", " \x0b"),
        "file separator": edit(1, " ", "\x1c"),
        "double space": edit(1, " ", "  "),
        "leading space": edit(0, first, " " + first),
        "trailing space": edit(1, "a.jpg", "a.jpg "),
        "tab in a name": edit(2, "b.jpg", "b\t.jpg"),
        "tab before a name": edit(2, " 2--y", " \t2--y"),
        "no-break space": edit(1, " ", "\u00a0"),
        "non-ASCII name": edit(2, "b.jpg", "b\u00e9.jpg"),
        "replacement char in a name": edit(2, "b.jpg", "b\ufffd.jpg"),
        "not UTF-8": clean.replace(b"b.jpg", b"b\xff.jpg"),
        "nan": edit(0, first, "nan"),
        "True": edit(0, first, "True"),
        "a column of booleans": b"\n".join(
            ln.replace(f"{a[0, 0]:.6f}".encode(), b"False", 1)
            for ln in clean.replace(f"{b[0, 0]:.6f}".encode(), f"{a[0, 0]:.6f}".encode(), 1).split(
                b"\n"
            )
        ),
        "NA": edit(0, first, "NA"),
        "inf": edit(0, first, "inf"),
        "underscore digits": edit(0, first, "1_0"),
        "hex": edit(0, first, "0x1p3"),
        "huge": edit(0, first, "1e400"),
        "plus sign and exponent": edit(0, first, "+1.5E+02"),
        "quote": edit(0, first, '"1.0'),
        "flag 2": edit(0, " 1 0 0 0 1 0 ", " 2 0 0 0 1 0 "),
        "flag 1.0": edit(0, " 1 0 0 0 1 0 ", " 1.0 0 0 0 1 0 "),
        "flipped rect": edit(2, " 5 6 7 8 ", " 9 6 7 8 "),
        "missing value": edit(0, first + " ", ""),
        "extra value": edit(1, "a.jpg", "0 a.jpg"),
        "numeric name": edit(2, "2--y/b.jpg", "123"),
        "nan name": edit(2, "2--y/b.jpg", "nan"),
        "points only": "\n".join(wflw_line(a, f"{i}.jpg") for i in range(3)).encode(),
        "nul byte": clean.replace(b"b.jpg", b"b\x00.jpg"),
        "a line of NUL bytes": clean.replace(b"\n", b"\n" + b"\x00" * 300 + b"\n", 1),
        "binary junk line": clean.replace(b"\n", b"\n\x89\x00\xff\xfe junk \x00\n", 1),
        "truncated last line": clean.rstrip(b"\n")[:-700],
        "huge line": clean + b"1" * 200_000 + b"\n",
        "a space-only line": clean.replace(b"\n", b"\n   \n", 1),
        "BOM and lone cr": b"\xef\xbb\xbf" + clean.replace(b"\n", b"\r"),
        "tab-separated line of the right length": edit(1, " ", "\t").replace(b" ", b"\t"),
        "several problems": b"\n".join(
            [
                edit(0, first, "NA").splitlines()[0],
                b"",
                edit(1, " ", "\t").splitlines()[1],
                edit(2, "b.jpg", "b\xff.jpg").splitlines()[2].replace(b"\xc3\xbf", b"\xff"),
                edit(0, " 1 0 0 0 1 0 ", " 2 0 0 0 1 0 ").splitlines()[0],
                edit(0, first, "1_0").splitlines()[0],
                *clean.splitlines(),
                edit(1, "a.jpg", "0 a.jpg").splitlines()[1],
                edit(2, " 5 6 7 8 ", " 9 6 7 8 ").splitlines()[2],
            ]
        ),
    }


@pytest.mark.parametrize("name", sorted(_variants()))
def test_every_path_reads_every_variant_like_the_line_by_line_parser(
    name: str, tmp_path: Path
) -> None:
    data = _variants()[name]
    f = tmp_path / "list_98pt_rect_attr_test.txt"
    f.write_bytes(data)
    try:
        text = decode_text(data, str(f), lenient=True)[0]
        careful = read_lines(text, str(f), 196)
    except DatasetError as e:
        with pytest.raises(DatasetError) as got:
            read_wflw_list(f)
        assert [str(p) for p in got.value.problems] == [str(p) for p in e.problems]
        return
    names, values, with_rect, sources, problems = careful
    for mixed in (read_careful(text, str(f), 196), read_mixed(data, str(f), 196)):
        assert mixed[0] == names and np.array_equal(mixed[1], values) and mixed[2] == with_rect
        assert mixed[3] == sources and mixed[4] == problems
    ds = read_wflw_list(f)
    assert ds.images == names and ds.sources == sources and ds.problems == problems
    assert np.array_equal(ds.points.reshape(len(ds), 196), values[:, :196])
    assert (ds.boxes is not None) == with_rect
    fast = _read_fast(data, 196)
    if fast is not None:  # whatever the fast path accepts, the careful path reads the same
        assert fast[0] == names and np.array_equal(fast[1], values) and not problems


def test_one_bad_number_deep_in_a_long_list_costs_only_its_row(tmp_path: Path) -> None:
    a = face_points(98, 7)
    lines = [wflw_line(a, f"{i}.jpg", (1, 2, 3, 4), [0] * 6) for i in range(6000)]
    # past pandas' first chunk of rows, where a column of mixed types warns
    lines[5990] = lines[5990].replace(" ", " x", 1)
    f = tmp_path / "list_98pt_rect_attr_test.txt"
    f.write_text("\n".join(lines) + "\n")
    ds = read_wflw_list(f)  # warnings are errors in the tests: no DtypeWarning may escape
    assert len(ds) == 5999 and ds.skipped == 1
    bad = lines[5990].split()[1]
    assert [str(p) for p in ds.problems] == [f"{f}:5991: not a number: {bad!r}"]
    assert ds.images[5990] == "5991.jpg" and ds.sources[5990] == f"{f}:5992"
    assert np.array_equal(ds.points, np.broadcast_to(a, (5999, 98, 2)))


def test_clean_variants_take_the_fast_path() -> None:
    v = _variants()
    fast = ("clean", "crlf", "bom", "no final newline", "trailing blank lines",
            "tab after a number", "points only", "plus sign and exponent")  # fmt: skip
    for name in fast:
        assert _read_fast(v[name], 196) is not None, name
    for name in ("inner blank line", "nan", "flag 2", "tab in a name", "non-ASCII name"):
        assert _read_fast(v[name], 196) is None, name


def test_six_decimal_check_agrees_with_parsing_the_text_back() -> None:
    rng = np.random.default_rng(3)
    six = np.round(rng.uniform(-5000, 5000, 20000), 6)
    cases = [
        six,
        six + 1e-7,  # a seventh decimal
        np.round(rng.uniform(-1, 1, 20000), 7),
        (np.arange(-2000, 2000) + 0.5) / 1e6,  # half-way between six-decimal numbers
        np.array([0.0, -0.0, -1e-7, 5e-7, 1e-300, 99999999.999999, 1e8, 1.5e8, 123456789.25]),
        rng.uniform(-1e12, 1e12, 2000),
        np.round(rng.uniform(-1e9, 1e9, 2000), 6),
    ]
    for values in cases:
        for v in values.tolist():
            by_text = float(f"{v:.6f}") == v
            assert six_decimals_are_exact(np.array([v])) == by_text, repr(v)


def test_writing_a_name_with_a_space_is_refused(tmp_path: Path) -> None:
    ds = read_wflw_list_from_lines(tmp_path, [wflw_line(face_points(98), "a.jpg")])
    ds.images = ["a b.jpg"]
    with pytest.raises(DatasetError, match=r"image name has a space: 'a b\.jpg'"):
        write_wflw_list(ds, tmp_path / "o.txt")
    assert not (tmp_path / "o.txt").exists()


def test_points_that_need_more_than_six_decimals_are_written_exactly(tmp_path: Path) -> None:
    ds = read_wflw_list_from_lines(tmp_path, [wflw_line(face_points(98), "a.jpg")])
    ds.points[0, 0, 0] += 1e-9
    write_wflw_list(ds, tmp_path / "o.txt")
    back = read_wflw_list(tmp_path / "o.txt")
    assert np.array_equal(back.points, ds.points)


def read_wflw_list_from_lines(tmp_path: Path, lines: list[str]) -> Dataset:
    f = tmp_path / "in.txt"
    f.write_text("\n".join(lines) + "\n")
    return read_wflw_list(f)


_JUNK = {
    "NUL bytes": b"\x00" * 30,
    "NUL in a name": None,  # filled below: a good line with a NUL in its name
    "not UTF-8": b"\xff\xfe\x80 junk",
    "non-ASCII name": None,
    "no-break space": None,
    "binary with spaces": b"\x89PNG \x00\x1a \xff" * 20,
    "blank line": b"",
    "space-only line": b"   ",
    "two blank lines": b"\n",
}


def _long_list(junk: str, at: str, crlf: bool) -> bytes:
    a = face_points(98, 4)
    rows = [
        wflw_line(a, f"{i}.jpg", (1, 2, 30, 40), (0, 1, 0, 0, 1, 0)).encode() for i in range(60)
    ]
    bad = _JUNK[junk]
    if bad is None:
        good = rows[0].decode()
        bad = {
            "NUL in a name": good.replace("0.jpg", "0\x00.jpg"),
            "non-ASCII name": good.replace("0.jpg", "0\u00e9.jpg"),
            "no-break space": good.replace(" ", "\u00a0", 1),
        }[junk].encode()
    where = {"first": 0, "middle": 30, "last": 60, "last, no newline": 60}[at]
    rows.insert(where, bad)
    data = b"\n".join(rows) + (b"" if at == "last, no newline" else b"\n")
    return data.replace(b"\n", b"\r\n") if crlf else data


@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
@pytest.mark.parametrize("at", ["first", "middle", "last", "last, no newline"])
@pytest.mark.parametrize("junk", sorted(_JUNK))
def test_a_junk_line_in_a_long_list_reads_like_the_line_by_line_parser(
    tmp_path: Path, junk: str, at: str, crlf: bool
) -> None:
    data = _long_list(junk, at, crlf)
    f = tmp_path / "list_98pt_rect_attr_test.txt"
    f.write_bytes(data)
    text = decode_text(data, str(f), lenient=True)[0]
    names, values, _, sources, problems = read_lines(text, str(f), 196)
    ds = read_wflw_list(f)
    assert ds.images == names and ds.sources == sources and ds.problems == problems
    assert np.array_equal(ds.points.reshape(len(ds), 196), values[:, :196])
    assert len(ds) >= 60 and ds.skipped <= 1  # the 60 good lines, whatever the junk
