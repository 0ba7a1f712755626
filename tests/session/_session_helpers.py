"""Small sessions built from scratch for the session tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from facealign_gui.core.annotation import Prediction
from facealign_gui.session.store import Session


def face_points(k: int = 68, seed: int = 0, size: float = 100.0) -> np.ndarray:
    """K points spread over a size x size face at (20, 30)."""
    rng = np.random.default_rng(seed)
    return rng.uniform(0, size, (k, 2)) + np.array([20.0, 30.0])


def make_session(
    tmp_path: Path,
    n: int = 5,
    k: int = 68,
    scheme: str = "300w68",
    predict: bool = True,
    confidences: list[float] | None = None,
) -> Session:
    """``n`` images (paths only) with one prediction each; image i's mean confidence is
    ``confidences[i]`` (default 0.9 - 0.1 i) and its points `face_points(seed=i)`."""
    images = [tmp_path / f"img_{i:03d}.png" for i in range(n)]
    s = Session.create(tmp_path / "s.fagsession", images, scheme=scheme)
    if predict:
        confs = confidences or [0.9 - 0.1 * i for i in range(n)]
        for i in range(n):
            s.set_prediction(i, prediction(k, seed=i, conf=confs[i]))
    return s


def prediction(k: int = 68, seed: int = 0, conf: float = 0.5) -> Prediction:
    c = np.full(k, conf, dtype=np.float32)
    return Prediction(points=face_points(k, seed), confidence=c, model_id="test-model")


def assert_matches_replay(s: Session) -> None:
    """Every image's stored annotation and state equal the journal's replay."""
    rep = s.replayed()
    for i in range(len(s)):
        ann, r = s.annotation(i), rep[i]
        assert s.state(i) == r.state, f"image {i}: state differs from replay"
        if ann is None:
            assert r.points is None, f"image {i}: replay has an annotation, store has none"
            continue
        assert r.points is not None, f"image {i}: store has an annotation, replay has none"
        np.testing.assert_array_equal(ann.points, r.points)
        np.testing.assert_array_equal(ann.visible, r.visible)
