"""A session keeps its tools' small texts (the pre-labeller's state) and gives one image's
journal without reading the others'."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facealign_gui.core.annotation import Prediction
from facealign_gui.session.store import Session


def _session(tmp_path: Path) -> Session:
    s = Session.create(tmp_path / "s.fagsession", [tmp_path / f"im{i}.png" for i in range(3)],
                       scheme="300w68")  # fmt: skip
    for i in range(3):
        s.set_prediction(i, Prediction(np.full((68, 2), 10.0 + i), np.ones(68, np.float32)))
    return s


def test_a_tool_setting_survives_reopening_and_the_damage_check(tmp_path: Path) -> None:
    s = _session(tmp_path)
    assert s.setting("prelabel") is None
    s.set_setting("prelabel", '{"faces": 3}')
    s.close()
    s = Session.open(tmp_path / "s.fagsession")  # every row's checksum is checked here
    assert s.setting("prelabel") == '{"faces": 3}'
    s.set_setting("prelabel", None)
    assert s.setting("prelabel") is None
    s.close()


def test_tool_settings_never_meet_the_sessions_own_keys(tmp_path: Path) -> None:
    s = _session(tmp_path)
    s.set_setting("current", "2")  # stored as tool.current
    assert s.current is None
    with pytest.raises(ValueError, match="setting names"):
        s.set_setting("a b", "x")
    s.close()


def test_one_images_journal_is_the_journal_filtered_by_that_image(tmp_path: Path) -> None:
    s = _session(tmp_path)
    s.move_points(1, [0], np.array([[1.0, 2.0]]))
    s.move_points(2, [3], np.array([[3.0, 4.0]]))
    s.move_points(1, [5], np.array([[5.0, 6.0]]), kind="refine")
    mine = [(e.kind, e.indices.tolist()) for e in s.image_journal(1)]
    everything = [(e.kind, e.indices.tolist()) for e in s.journal() if e.image == 1]
    assert mine == everything and mine[-2:] == [("move", [0]), ("refine", [5])]
    s.close()
