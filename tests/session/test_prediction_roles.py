"""Every prediction role the app stores reopens after a crash (the full check knows it), and a
role the session does not know is refused when written, not when reopened."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facealign_gui.core.annotation import Prediction
from facealign_gui.datasets.model import Dataset
from facealign_gui.session.files import SessionError, connect, full_check
from facealign_gui.session.schema import PREDICTION_ROLES
from facealign_gui.session.store import Session

K = 68


def _session(tmp_path: Path) -> Session:
    ds = Dataset("image_folder", None, tmp_path, ["a.png", "b.png"])
    return Session.create(tmp_path / "s.fagsession", ds, scheme="300w68")


def _pred() -> Prediction:
    return Prediction(np.random.default_rng(0).uniform(10, 90, (K, 2)), np.ones(K, np.float32))


def test_a_session_holding_every_role_passes_the_open_time_check(tmp_path: Path) -> None:
    s = _session(tmp_path)
    for role in PREDICTION_ROLES:  # "raw": the model's own beside a pre-labelled primary
        s.set_prediction(0, _pred(), role=role)
    s.close()
    conn = connect(tmp_path / "s.fagsession")
    try:
        full_check(conn, tmp_path / "s.fagsession")  # what a reopen after a crash runs
    finally:
        conn.close()


def test_an_unknown_role_is_refused_when_written(tmp_path: Path) -> None:
    s = _session(tmp_path)
    try:
        with pytest.raises(SessionError, match="unknown prediction role 'guess'"):
            s.set_prediction(0, _pred(), role="guess")
    finally:
        s.close()

