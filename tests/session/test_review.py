"""Review signals: a registered signal needs no schema change, its scores follow the
prediction they were made for, and the review queue sorts by any of them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from _session_helpers import make_session, prediction

from facealign_gui.core.annotation import Prediction
from facealign_gui.session import review
from facealign_gui.session.review import ReviewSignal, get_signal, register_signal
from facealign_gui.session.store import Session, SessionError


def _far_points(p: Prediction) -> np.ndarray:
    return np.linalg.norm(p.points - p.points.mean(axis=0), axis=1)


SPREAD = ReviewSignal("test_spread", "Widest peak", worst="high", reduce="max")
SIGNALS = [
    SPREAD,
    ReviewSignal("test_sharpness", "Least sharp", worst="low"),
    ReviewSignal("test_far", "Far points", worst="high", compute=_far_points),
]


@pytest.fixture(autouse=True)
def _signals() -> Iterator[None]:
    """Register the test signals for one test only (``compute`` runs on every prediction)."""
    for sig in SIGNALS:
        register_signal(sig)
    yield
    for sig in SIGNALS:
        review.unregister_signal(sig.name)


def test_per_landmark_scores_reduce_to_one_face_score_and_read_back(tmp_path: Path) -> None:
    s = make_session(tmp_path, n=3, k=68)
    spread = np.linspace(0.0, 1.0, 68)
    spread[10] = 7.5
    s.set_scores(1, "test_spread", spread)
    sc = s.scores("test_spread")
    assert sc.face[1] == 7.5  # reduce="max"
    np.testing.assert_array_equal(sc.per_point[1], spread.astype(np.float32))
    assert np.isnan(sc.face[[0, 2]]).all() and np.isnan(sc.per_point[0]).all()


def test_the_queue_sorts_by_a_registered_signal_worst_end_first(tmp_path: Path) -> None:
    s = make_session(tmp_path, n=5)
    s.set_scores_many([(0, "test_spread", 0.2), (1, "test_spread", 0.9), (3, "test_spread", 0.5)])
    assert s.review_queue("test_spread") == [1, 3, 0, 2, 4]  # high first, unscored last
    for i, v in enumerate([0.3, 0.1, 0.4, 0.2, 0.5]):
        s.set_scores(i, "test_sharpness", v)
    assert s.review_queue("test_sharpness") == [1, 3, 0, 2, 4]  # low first
    s.accept(1)
    assert s.review_queue("test_sharpness") == [3, 0, 2, 4]


def test_scores_belong_to_the_prediction_they_were_made_for(tmp_path: Path) -> None:
    s = make_session(tmp_path, n=2)
    s.set_scores(0, "test_spread", 0.7)
    s.set_prediction(0, prediction(seed=5), scores={"test_spread": 0.1})
    assert s.scores("test_spread").face[0] == pytest.approx(0.1)
    s.set_prediction(0, prediction(seed=6))  # a newer prediction, not scored yet
    assert np.isnan(s.scores("test_spread").face[0])


def test_a_signal_with_compute_is_filled_in_when_a_prediction_is_stored(tmp_path: Path) -> None:
    s = make_session(tmp_path, n=2)
    p = s.prediction(1)
    far = s.scores("test_far")
    np.testing.assert_allclose(far.per_point[1], _far_points(p), rtol=1e-6)
    assert far.face[1] == pytest.approx(float(np.mean(_far_points(p).astype(np.float32))))


def test_builtin_signals_read_the_stored_confidences(tmp_path: Path) -> None:
    s = make_session(tmp_path, n=3, confidences=[0.5, 0.9, 0.1])
    np.testing.assert_allclose(s.scores("uncertainty").face, [0.5, 0.9, 0.1], rtol=1e-6)
    np.testing.assert_allclose(s.scores("mean").per_point[2], np.full(68, 0.1), rtol=1e-6)
    assert s.review_queue("mean") == s.review_queue("uncertainty") == [2, 0, 1]
    with pytest.raises(SessionError, match="computed by the session"):
        s.set_scores(0, "uncertainty", 0.3)


def test_scores_survive_reopening(tmp_path: Path) -> None:
    s = make_session(tmp_path, n=2)
    s.set_scores(1, "test_spread", np.arange(68.0))
    s.close()
    with Session.open(tmp_path / "s.fagsession") as s2:
        assert s2.scores("test_spread").face[1] == 67.0


def test_bad_signals_and_scores_are_clear_errors(tmp_path: Path) -> None:
    s = make_session(tmp_path, n=2, predict=False)
    with pytest.raises(SessionError, match="no prediction to score"):
        s.set_scores(0, "test_spread", 1.0)
    s.set_prediction(0, prediction())
    with pytest.raises(SessionError, match="3 per-landmark scores"):
        s.set_scores(0, "test_spread", [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"unknown review order 'nope'.*test_spread"):
        s.review_queue("nope")
    with pytest.raises(ValueError, match="already called"):
        register_signal(ReviewSignal("test_spread", "Other", worst="low"))
    assert register_signal(SPREAD) is SPREAD  # the same definition again is fine
    assert get_signal("test_spread") in review.signals()
    assert "index" in review.orders()
    review.unregister_signal("test_spread")
    with pytest.raises(ValueError, match="unknown review order"):
        s.review_queue("test_spread")
