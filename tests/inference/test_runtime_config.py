"""Session settings: threads and spinning reach onnxruntime, per kind of work, cached apart."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _inference_models import constant_model

from facealign_gui.inference.runtime import (
    SessionConfig,
    as_config,
    clear_sessions,
    get_session,
    session_config,
)


@pytest.fixture
def model(tmp_path: Path) -> Path:
    clear_sessions()
    path = tmp_path / "m.onnx"
    constant_model(path, {"out": np.zeros(3, np.float32)}, ("N", 3, 8, 8))
    return path


def _entry(sess, key: str) -> str:
    """A session config entry ("" when unset)."""
    try:
        return sess.session.get_session_options().get_session_config_entry(key)
    except RuntimeError:  # onnxruntime raises for a key that was never set
        return ""


def test_spinning_off_and_one_thread_reach_the_onnxruntime_session(model: Path) -> None:
    sess = get_session(model, threads=SessionConfig(threads=1, spinning=False))
    opts = sess.session.get_session_options()
    assert opts.intra_op_num_threads == 1
    assert _entry(sess, "session.intra_op.allow_spinning") == "0"
    assert sess.config == SessionConfig(1, False)


def test_an_int_thread_count_turns_spinning_off_like_every_default(model: Path) -> None:
    sess = get_session(model, threads=2)
    opts = sess.session.get_session_options()
    assert opts.intra_op_num_threads == 2
    assert _entry(sess, "session.intra_op.allow_spinning") == "0"
    assert sess.config == SessionConfig(2, False)
    assert _entry(get_session(model), "session.intra_op.allow_spinning") == "0"


def test_spinning_can_still_be_asked_for(model: Path) -> None:
    sess = get_session(model, threads=SessionConfig(None, spinning=True))
    assert _entry(sess, "session.intra_op.allow_spinning") == ""  # onnxruntime's default


def test_the_same_settings_share_a_session_and_others_get_their_own(model: Path) -> None:
    a = get_session(model, threads=2)
    assert get_session(model, threads=SessionConfig(2, False)) is a
    assert get_session(model, threads=SessionConfig(2, True)) is not a
    assert get_session(model) is get_session(model, threads=SessionConfig())


def test_each_kind_of_work_has_its_measured_settings() -> None:
    assert session_config("batch") == SessionConfig(None, False)
    assert session_config("interactive") == SessionConfig(None, False)
    assert session_config("live") == SessionConfig(1, False)


def test_a_thread_count_overrides_the_purpose_but_keeps_its_spinning() -> None:
    assert session_config("live", threads=2) == SessionConfig(2, False)
    assert session_config("batch", threads=1) == SessionConfig(1, False)


def test_bad_purposes_and_thread_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="purpose must be one of"):
        session_config("fast")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="threads must be at least 1"):
        SessionConfig(threads=0)


def test_threads_arguments_of_every_form_become_a_config() -> None:
    assert as_config(None) == SessionConfig()
    assert as_config(3) == SessionConfig(3, False)
    cfg = SessionConfig(1, False)
    assert as_config(cfg) is cfg
