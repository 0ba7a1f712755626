"""The guide's "Adding a dataset format" example works as printed: one module, one line."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from _dataset_files import face_points, hrnet_row, write_hrnet

from facealign_gui.cli import main
from facealign_gui.datasets import formats
from facealign_gui.datasets.io import open_dataset, write_dataset
from facealign_gui.datasets.model import DatasetError
from facealign_gui.datasets.sniff import detect_format

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guide.md"
MODULE = Path(__file__).with_name("_jsonl_format.py")


def _guide_blocks() -> list[str]:
    section = GUIDE.read_text(encoding="utf-8").split("## Adding a dataset format", 1)[1]
    return re.findall(r"```python\n(.*?)```", section.split("\n## ", 1)[0], re.S)


@pytest.fixture
def jsonl(monkeypatch: pytest.MonkeyPatch) -> Iterator[formats.Format]:
    """The example module where the guide says to save it, and the guide's registry line run
    where the guide says to add it (in `datasets.formats`)."""
    import _jsonl_format

    monkeypatch.setitem(sys.modules, "facealign_gui.datasets.landmarks_jsonl", _jsonl_format)
    _module, line = _guide_blocks()
    exec(line, vars(formats))
    try:
        yield formats.get_format("landmarks_jsonl")
    finally:
        formats.unregister("landmarks_jsonl")


def test_the_guide_prints_the_example_module_exactly() -> None:
    module, line = _guide_blocks()
    assert module == MODULE.read_text(encoding="utf-8")
    assert line.startswith("register(\n    Format(\n") and line.count("\n") <= 12


def test_the_example_is_chosen_by_its_ending_detected_read_and_round_trips(
    jsonl: formats.Format, tmp_path: Path
) -> None:
    pts = [face_points(68, seed=i) + 0.125 for i in range(3)]
    src = write_hrnet(tmp_path / "a.csv", [hrnet_row(f"{i}.jpg", p) for i, p in enumerate(pts)], 68)
    ds = open_dataset(src, check_images=False)
    out = tmp_path / "faces.jsonl"
    assert write_dataset(ds, out) == "landmarks_jsonl"
    assert out.read_text().splitlines()[1].startswith('{"image": "1.jpg", "points": [[')
    renamed = tmp_path / "faces.data"  # no telling ending: found by its first line
    renamed.write_bytes(out.read_bytes())
    assert detect_format(out) == detect_format(renamed) == "landmarks_jsonl"
    back = open_dataset(renamed, check_images=False)
    assert back.format == "landmarks_jsonl" and back.scheme == "300w68"
    assert back.images == ["0.jpg", "1.jpg", "2.jpg"]
    np.testing.assert_array_equal(back.points, np.stack(pts))
    again = tmp_path / "again.jsonl"
    write_dataset(back, again)
    assert again.read_bytes() == out.read_bytes()


def test_a_bad_line_of_the_example_is_named_and_the_rest_loads(
    jsonl: formats.Format, tmp_path: Path
) -> None:
    f = tmp_path / "x.jsonl"
    f.write_text(
        '{"image": "a.jpg", "points": [[1, 2], [3, 4]]}\n'
        '{"image": "b.jpg", "points": [[1, 2, 3]]}\n'
        '{"image": "c.jpg", "points": [[5, 6], [7, 8]]}\n'
    )
    ds = open_dataset(f, check_images=False)
    assert ds.images == ["a.jpg", "c.jpg"] and ds.skipped == 1
    assert str(ds.problems[0]).startswith(f"{f}:2: expected an image and points")


def test_the_example_appears_in_every_list_the_registry_feeds(
    jsonl: formats.Format, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "landmarks_jsonl" in formats.names_text().split(", ")
    assert "landmarks_jsonl" in formats.names_text(writable=True).split(", ")
    assert "*.jsonl" in formats.open_file_filter()
    assert "Landmarks JSON lines (.jsonl)" in [f.label for f in formats.export_formats()]
    for command in ("convert", "info", "predict"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert "landmarks_jsonl" in " ".join(capsys.readouterr().out.split()), command


def test_without_its_line_the_example_format_is_unknown() -> None:
    assert "landmarks_jsonl" not in formats.names_text()
    with pytest.raises(DatasetError, match="unknown format 'landmarks_jsonl'; known: hrnet_csv"):
        formats.get_format("landmarks_jsonl")
