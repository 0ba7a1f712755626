"""The format registry: names, writers by ending, what each writer can hold, what it lists."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from facealign_gui.core.schemes import SCHEMES
from facealign_gui.datasets import formats
from facealign_gui.datasets.io import open_dataset, write_dataset
from facealign_gui.datasets.model import Dataset, DatasetError


def _dataset(tmp_path: Path, scheme: str, n: int = 3) -> Dataset:
    """``n`` faces of ``scheme`` on 96 x 96 images (the size a Kaggle CSV needs)."""
    k = SCHEMES[scheme].num_points
    rng = np.random.default_rng(k)
    for i in range(n):
        cv2.imwrite(str(tmp_path / f"img{i}.png"), rng.integers(0, 255, (96, 96, 3), np.uint8))
    pts = np.round(rng.uniform(5, 90, (n, k, 2)), 6)
    boxes = np.concatenate([pts.min(axis=1), pts.max(axis=1)], axis=1)  # AFLW needs a box
    return Dataset("x", scheme, tmp_path, [f"img{i}.png" for i in range(n)], pts, boxes=boxes)


def test_a_68_point_dataset_is_refused_as_a_wflw_list_before_anything_is_written(
    tmp_path: Path,
) -> None:
    ds = _dataset(tmp_path, "300w68")
    out = tmp_path / "out.txt"
    with pytest.raises(DatasetError, match=r"out\.txt: a WFLW list \(\.txt\) holds 98 points "):
        write_dataset(ds, out, "wflw_list")
    with pytest.raises(DatasetError, match=r"this dataset has 68 \(300w68\); write HRNet CSV"):
        write_dataset(ds, out)  # chosen by the ending: the same refusal
    assert not out.exists()


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
@pytest.mark.parametrize("name", [f.name for f in formats.writable_formats()])
def test_what_a_writer_accepts_reads_back_as_the_same_points(
    tmp_path: Path, name: str, scheme: str
) -> None:
    fmt = formats.get_format(name)
    ds = _dataset(tmp_path, scheme)
    out = tmp_path / f"out{fmt.suffix}"
    why = fmt.cannot_write(scheme, ds.num_points)
    if why is not None:
        with pytest.raises(DatasetError, match="holds"):
            write_dataset(ds, out, name)
        assert not out.exists()
        return
    assert write_dataset(ds, out, name) == name
    back = open_dataset(out, check_images=False)
    assert back.format == name and len(back) == len(ds)
    assert [p for p in back.problems if p.fatal] == []
    # exact, but for .pts: six decimals, 1-based on disk (x + 1 - 1 may move the last bit)
    np.testing.assert_allclose(back.points, ds.points, rtol=0, atol=1e-12)


def test_every_format_has_a_unique_name_and_aliases() -> None:
    keys = [k for f in formats.all_formats() for k in (f.name, *f.aliases)]
    assert len(keys) == len(set(keys))
    with pytest.raises(ValueError, match="'wflw' is already taken by 'wflw_list'"):
        formats.register(formats.Format("other", "Other", aliases=("wflw",)))
    assert "other" not in formats.names_text()


@pytest.mark.parametrize(
    ("spelling", "name"),
    [
        ("HRNet-CSV", "hrnet_csv"),
        ("wflw", "wflw_list"),
        ("COCO", "coco"),
        ("folder", "image_folder"),
    ],
)
def test_a_format_is_found_by_any_spelling(spelling: str, name: str) -> None:
    assert formats.get_format(spelling).name == name


def test_an_unknown_format_lists_the_known_ones() -> None:
    with pytest.raises(DatasetError, match="unknown format 'nope'; known: hrnet_csv, wflw_list"):
        formats.get_format("nope")


@pytest.mark.parametrize(
    ("suffix", "current", "name"),
    [
        (".csv", None, "hrnet_csv"),
        (".CSV", "kaggle_csv", "kaggle_csv"),
        (".csv", "wflw_list", "hrnet_csv"),
        (".txt", None, "wflw_list"),
        (".json", None, "coco"),
        ("", None, "pts"),
    ],
)
def test_the_output_ending_picks_the_writer(suffix: str, current: str | None, name: str) -> None:
    found = formats.for_output_suffix(suffix, current)
    assert found is not None and found.name == name


def test_an_ending_no_writer_has_is_a_clear_error(tmp_path: Path) -> None:
    ds = _dataset(tmp_path, "300w68")
    assert formats.for_output_suffix(".xyz") is None
    with pytest.raises(DatasetError, match=r"out\.xyz \(known endings: \.csv, \.txt, \.json"):
        write_dataset(ds, tmp_path / "out.xyz")
    with pytest.raises(DatasetError, match="cannot write cofw_mat; writable formats: hrnet_csv"):
        write_dataset(ds, tmp_path / "out.mat", "cofw")


def test_the_lists_the_window_and_dialogs_show_come_from_the_table() -> None:
    assert formats.open_file_filter() == (
        "Annotations (*.csv *.txt *.mat *.pts *.json);;All files (*)"
    )
    assert [f.label for f in formats.export_formats()] == [
        "HRNet CSV (.csv)",
        "WFLW list (.txt)",
        "iBUG .pts folder",
        "COCO keypoints (.json)",
    ]
    assert formats.names_text(writable=True) == "hrnet_csv, wflw_list, pts, kaggle_csv, coco"


def test_a_writer_names_the_scheme_it_holds_when_the_count_fits_another_scheme() -> None:
    fmt = formats.get_format("wflw_list")
    assert fmt.cannot_write("wflw98", 98) is None and fmt.cannot_write(None, 98) is None
    why = fmt.cannot_write("mirrored98", 98)
    assert why is not None and why.startswith(
        "a WFLW list (.txt) holds wflw98, this dataset is mirrored98; write HRNet CSV (.csv)"
    )
    assert formats.get_format("hrnet_csv").cannot_write("300w68", 68) is None
