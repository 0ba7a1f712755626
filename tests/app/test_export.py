"""Exports are atomic, protect the dataset file, and report unwritable targets."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

from facealign_gui.app import export
from facealign_gui.core.results import EvalResult
from facealign_gui.datasets.model import Dataset


@pytest.fixture
def result() -> EvalResult:
    gt = np.zeros((3, 68, 2))
    gt[:, :, 0] = np.linspace(0, 100, 68)
    gt[:, 36] = (0.0, 0.0)
    gt[:, 45] = (100.0, 0.0)
    ds = Dataset(
        "t",
        "300w68",
        Path("/data"),
        ["a.jpg", "b.jpg", "c.jpg"],
        points=gt,
        subsets={"common": np.array([0, 1]), "challenge": np.array([2])},
    )
    pred = gt.copy()
    pred[0] += (3.0, 4.0)  # NME 0.05
    pred[1] += (9.0, 12.0)  # NME 0.15
    pred[2] = np.nan
    return EvalResult.from_points(ds, pred, "m")


def test_metrics_csv_has_one_row_per_subset(result) -> None:
    rows = list(csv.DictReader(io.StringIO(export.metrics_csv_text(result))))
    assert [r["subset"] for r in rows] == ["all", "common", "challenge"]
    assert float(rows[0]["nme"]) == pytest.approx(0.10)
    assert float(rows[0]["fr"]) == pytest.approx(0.5)
    assert rows[0]["count"] == "2"
    assert rows[2]["nme"] == "" and rows[2]["count"] == "0"


def test_per_image_csv_flags_failures_and_subsets(result) -> None:
    rows = list(csv.DictReader(io.StringIO(export.per_image_csv_text(result))))
    assert [r["image"] for r in rows] == ["a.jpg", "b.jpg", "c.jpg"]
    assert float(rows[0]["nme"]) == pytest.approx(0.05)
    assert [r["failed"] for r in rows] == ["0", "0", "1"]
    assert [r["above_threshold"] for r in rows] == ["0", "1", "0"]
    assert [r["common"] for r in rows] == ["1", "1", "0"]
    assert [r["challenge"] for r in rows] == ["0", "0", "1"]


def test_export_writes_atomically_and_leaves_no_temp_file(qtbot, tmp_path: Path, result) -> None:
    target = tmp_path / "metrics.csv"
    target.write_text("old")
    assert export.export_metrics_csv(None, result, target)
    assert target.read_text().startswith("model,dataset,subset")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.csv"]


def test_a_failed_replace_keeps_the_old_file_and_shows_an_error(
    qtbot, tmp_path: Path, result, monkeypatch
) -> None:
    target = tmp_path / "per_image.csv"
    target.write_text("old contents")

    def deny(src: str, dst: str) -> None:
        raise PermissionError(13, "Permission denied", dst)

    monkeypatch.setattr(os, "replace", deny)
    shown = []
    monkeypatch.setattr(export.errors, "show_error", lambda parent, err: shown.append(err))
    assert not export.export_per_image_csv(None, result, target)
    assert target.read_text() == "old contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["per_image.csv"]  # temp removed
    assert "read-only" in shown[0].what and "Choose a folder" in shown[0].next_step


def test_writing_into_a_missing_folder_opens_a_clear_message_box(
    qtbot, tmp_path: Path, result
) -> None:
    label = QLabel("x")
    qtbot.addWidget(label)
    target = tmp_path / "no_such_dir" / "m.csv"
    assert not export.export_metrics_csv(label, result, target)
    boxes = [
        w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()
    ]
    assert boxes and str(target) in boxes[-1].text()
    assert "does not exist" in boxes[-1].text()
    boxes[-1].close()


def test_the_dataset_file_is_not_overwritten_without_confirmation(tmp_path: Path, result) -> None:
    dataset_file = tmp_path / "face_landmarks_300w_test.csv"
    dataset_file.write_text("original")
    asked = []

    def refuse(path: Path) -> bool:
        asked.append(path)
        return False

    same_file_other_spelling = tmp_path / "." / dataset_file.name
    assert not export.export_per_image_csv(
        None, result, same_file_other_spelling, protect=dataset_file, confirm=refuse
    )
    assert asked and dataset_file.read_text() == "original"
    assert export.export_per_image_csv(
        None, result, dataset_file, protect=dataset_file, confirm=lambda p: True
    )
    assert dataset_file.read_text().startswith("index,image,nme")
    other = tmp_path / "other.csv"
    assert export.export_per_image_csv(None, result, other, protect=dataset_file, confirm=refuse)
    assert len(asked) == 1  # not asked for a different file


def test_view_is_saved_as_a_png_of_its_size(qtbot, tmp_path: Path) -> None:
    label = QLabel("facealign")
    label.resize(120, 40)
    qtbot.addWidget(label)
    label.show()
    out = tmp_path / "view.png"
    assert export.export_view_png(None, label, out)
    img = QImage(str(out))
    assert not img.isNull() and (img.width(), img.height()) == (120, 40)


def test_without_a_path_the_user_is_asked_and_cancel_writes_nothing(
    qtbot, tmp_path: Path, result, monkeypatch
) -> None:
    chosen: list[Path | None] = [None, tmp_path / "picked.csv"]
    monkeypatch.setattr(export, "ask_path", lambda *a: chosen.pop(0))
    assert not export.export_metrics_csv(None, result)  # cancelled
    assert list(tmp_path.iterdir()) == []
    assert export.export_metrics_csv(None, result)
    assert (tmp_path / "picked.csv").read_text().startswith("model,dataset,subset")
