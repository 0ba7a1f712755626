"""A session's shape model: shipped for its scheme, else fitted on its verified faces."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from _session_helpers import make_session

from facealign_gui.session.shape import session_shape_model, shape_model_for_session


def test_a_known_scheme_uses_the_shipped_model(tmp_path: Path) -> None:
    s = make_session(tmp_path, n=2)
    model = shape_model_for_session(s)
    assert model is not None and model.num_points == 68 and "300w" in model.source


def test_a_custom_scheme_fits_on_the_verified_faces_once_there_are_enough(tmp_path: Path) -> None:
    from facealign_gui.session.store import Session

    images = [tmp_path / f"img_{i}.png" for i in range(7)]
    s = Session.create(tmp_path / "c.fagsession", images, num_points=12)
    rng = np.random.default_rng(0)
    base = rng.uniform(0, 100, (12, 2))
    for i in range(6):
        s.move_points(i, range(12), base + rng.normal(0, 2.0, base.shape))
        if i < 4:
            s.accept(i)
    assert session_shape_model(s) is None  # 4 verified faces: not yet
    s.accept(4)
    model = shape_model_for_session(s)
    assert model is not None and model.num_points == 12
    assert model.source.startswith("5 faces verified in")
