"""Per-point provenance and effort sidecar, rebuilt from the edit journal."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from _session_helpers import make_session

from facealign_gui.session.export import export_session
from facealign_gui.session.provenance import (
    point_provenance,
    provenance_document,
    sidecar_path,
    write_provenance,
)


def test_moved_refined_and_accepted_points_are_told_apart(tmp_path: Path) -> None:
    s = make_session(tmp_path, n=2)
    p0 = s.prediction(0).points
    s.move_points(0, [1, 2], p0[[1, 2]] + 5.0)
    s.move_points(0, [3, 4, 1], np.vstack([p0[[3, 4]] + 1.0, p0[1] + 5.0]), kind="refine")
    s.add_time(0, 12.5)
    s.accept(0)
    s.accept(1)
    doc = provenance_document(s)
    first, second = doc["images"]
    assert first["points"][:6] == ["accepted", "moved", "moved", "refined", "refined", "accepted"]
    assert first["counts"] == {"accepted": 64, "moved": 2, "refined": 2, "imported": 0,
                               "missing": 0}  # fmt: skip
    assert first["point_edits"] == 1 and first["seconds"] == 12.5
    assert second["counts"]["accepted"] == 68 and second["point_edits"] == 0


def test_an_undone_drag_leaves_the_point_accepted(tmp_path: Path) -> None:
    s = make_session(tmp_path, n=1)
    edit = s.move_points(0, [7], s.prediction(0).points[[7]] + 3.0)
    s.apply(edit.inverse())
    codes, person = point_provenance(s.journal(), 1, 68)
    assert codes[0][7] == "accepted" and person[0] == 0
    s.apply(edit)  # redo
    codes, person = point_provenance(s.journal(), 1, 68)
    assert codes[0][7] == "moved" and person[0] == 1


def test_resetting_to_the_prediction_forgets_the_moves(tmp_path: Path) -> None:
    s = make_session(tmp_path, n=1)
    s.move_points(0, [0], s.prediction(0).points[[0]] + 3.0)
    s.reset_to_prediction(0)
    codes, _ = point_provenance(s.journal(), 1, 68)
    assert set(codes[0]) == {"accepted"}


def test_points_with_no_prediction_are_missing_until_placed(tmp_path: Path) -> None:
    s = make_session(tmp_path, n=1, predict=False)
    s.move_points(0, [0], np.array([[10.0, 10.0]]))
    doc = provenance_document(s, verified_only=False)
    assert doc["images"][0]["points"][:2] == ["moved", "missing"]


def test_the_sidecar_sits_beside_the_csv_in_its_row_order(tmp_path: Path) -> None:
    s = make_session(tmp_path, n=3)
    for i in (2, 0):
        s.accept(i)
    csv = tmp_path / "out.csv"
    export_session(s, csv, "hrnet_csv")
    before = csv.read_bytes()
    side = write_provenance(s, csv)
    assert side == sidecar_path(csv) == tmp_path / "out.provenance.json"
    doc = json.loads(side.read_text())
    rows = [line.split(",")[0] for line in before.decode().splitlines()[1:]]
    assert [im["image"] for im in doc["images"]] == rows
    assert csv.read_bytes() == before
