"""The export dialog offers exactly the registry's export formats, a new one included."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from facealign_gui.app.export_dialog import ExportDialog
from facealign_gui.datasets import formats
from facealign_gui.datasets.io import open_dataset
from facealign_gui.datasets.model import Dataset
from facealign_gui.session.store import Session

EXAMPLE = Path(__file__).resolve().parents[1] / "datasets" / "_jsonl_format.py"


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    pts = np.random.default_rng(0).uniform(10, 90, (3, 68, 2))
    ds = Dataset("x", "300w68", tmp_path, ["a.png", "b.png", "c.png"], pts)
    s = Session.create(tmp_path / "s.fagsession", ds)
    s.accept(0)
    s.accept(2)
    yield s
    s.close()


@pytest.fixture
def example_format() -> Iterator[formats.Format]:
    """The guide's example format (tests/datasets/_jsonl_format.py), registered."""
    spec = importlib.util.spec_from_file_location("_jsonl_format_app", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fmt = formats.register(
        formats.Format(
            "landmarks_jsonl",
            "Landmarks JSON lines (.jsonl)",
            read=module.read_jsonl,
            write=module.write_jsonl,
            sniff=module.sniff_jsonl,
            suffixes=(".jsonl",),
            export=True,
        )
    )
    try:
        yield fmt
    finally:
        formats.unregister("landmarks_jsonl")


def _items(dlg: ExportDialog) -> list[tuple[str, str]]:
    box = dlg.format_box
    return [(box.itemText(i), box.itemData(i)) for i in range(box.count())]


def test_the_dialog_lists_the_export_formats_and_suggests_their_endings(qtbot, session) -> None:
    dlg = ExportDialog(session)
    qtbot.addWidget(dlg)
    assert _items(dlg) == [(f.label, f.name) for f in formats.export_formats()]
    suggested = {}
    for i in range(dlg.format_box.count()):
        dlg.format_box.setCurrentIndex(i)
        suggested[dlg.format_box.currentData()] = Path(dlg.path_edit.text()).name
    assert suggested == {
        "hrnet_csv": "s_labels.csv",
        "wflw_list": "s_labels.txt",
        "pts": "s_pts",
        "coco": "s_labels.json",
    }


def test_a_registered_format_is_offered_and_its_export_reads_back(
    qtbot, session, example_format, tmp_path
) -> None:
    dlg = ExportDialog(session)
    qtbot.addWidget(dlg)
    assert ("Landmarks JSON lines (.jsonl)", "landmarks_jsonl") in _items(dlg)
    dlg.format_box.setCurrentIndex(dlg.format_box.findData("landmarks_jsonl"))
    assert dlg.path_edit.text().endswith("s_labels.jsonl")
    r = dlg.run_export()
    assert r is not None and r.count == 2 and r.format == "landmarks_jsonl"
    back = open_dataset(r.path, check_images=False)
    assert back.images == ["a.png", "c.png"]
    lab = session.labels(verified_only=True)
    np.testing.assert_array_equal(back.points, lab.points)
    assert json.loads(r.path.read_text().splitlines()[0])["image"] == "a.png"


def test_a_format_that_cannot_hold_the_scheme_is_refused_in_the_dialog(qtbot, session) -> None:
    dlg = ExportDialog(session)
    qtbot.addWidget(dlg)
    dlg.format_box.setCurrentIndex(dlg.format_box.findData("wflw_list"))
    assert dlg.run_export() is None
    assert "holds 98 points per face, this dataset has 68 (300w68)" in dlg.status.text()
    assert not Path(dlg.path_edit.text()).exists()
