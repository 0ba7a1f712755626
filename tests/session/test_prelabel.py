"""The pre-labeller learns a person's convention from verified faces (ridge, face frame)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from facealign_gui.session.prelabel import PreLabeller

BASE = np.array([[-1.0, -1.0], [1.0, -1.0], [1.2, 1.0], [-1.2, 1.0], [0.0, 0.2], [0.0, 1.5]])


def _faces(n: int, seed: int = 0, noise: float = 0.05) -> list[np.ndarray]:
    """Model points of n faces: the base shape, a little varied, under random similarities."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        a, k = rng.uniform(-0.3, 0.3), rng.uniform(40, 90)
        rot = k * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        shape = BASE + rng.normal(0, noise, BASE.shape)
        out.append(shape @ rot.T + rng.uniform(100, 300, 2))
    return out


def _person(model_pts: np.ndarray) -> np.ndarray:
    """The person puts the chin (point 5) 10 % of the face height lower than the model."""
    up = model_pts[3] - model_pts[0]  # image "down" direction of this face
    out = model_pts.copy()
    out[5] = out[5] + 0.1 * up
    return out


def test_nothing_is_predicted_before_the_first_verified_face() -> None:
    lab = PreLabeller(6, 6)
    assert lab.predict(_faces(1)[0]) is None


def test_a_constant_convention_is_learned_from_one_face_in_every_pose() -> None:
    faces = _faces(6, noise=0.0)  # only the pose differs
    lab = PreLabeller(6, 6)
    lab.add(faces[0], _person(faces[0]))
    for f in faces[1:]:
        np.testing.assert_allclose(lab.predict(f), _person(f), atol=1e-6)


def test_leave_one_out_shows_the_corrected_prediction_beats_the_raw_one() -> None:
    faces = _faces(8)
    lab = PreLabeller(6, 6, normaliser=(0, 1))
    for f in faces:
        lab.add(f, _person(f))
    rep = lab.loo_report()
    assert rep is not None and rep.faces == 8
    # raw: the chin is 0.1 x face height (~2 units of width 2) off on 1 point in 6
    assert rep.raw_nme == pytest.approx(0.1 * 2.0 / 2.0 / 6, rel=0.15)
    assert rep.corrected_nme < 0.25 * rep.raw_nme


def test_another_scheme_gets_pre_labels_from_the_model_points() -> None:
    faces = _faces(10, seed=1)
    lab = PreLabeller(6, 3)  # a 3-point scheme: eye centre line midpoint, nose, chin

    def target(p: np.ndarray) -> np.ndarray:
        return np.stack([(p[0] + p[1]) / 2, p[4], p[5]])

    for f in faces[:9]:
        lab.add(f, target(f))
    np.testing.assert_allclose(lab.predict(faces[9]), target(faces[9]), atol=1.0)
    assert lab.loo_report().raw_nme is None  # no raw prediction in that scheme


def test_state_round_trips_through_json_and_reset_forgets() -> None:
    faces = _faces(5)
    lab = PreLabeller(6, 6, normaliser=(0, 1))
    for f in faces[:4]:
        lab.add(f, _person(f))
    back = PreLabeller.from_dict(json.loads(json.dumps(lab.to_dict())))
    np.testing.assert_allclose(back.predict(faces[4]), lab.predict(faces[4]), atol=1e-9)
    assert back.lam == lab.lam
    back.reset()
    assert back.faces == 0 and back.predict(faces[4]) is None


def test_a_damaged_state_is_a_clear_error() -> None:
    lab = PreLabeller(6, 6)
    lab.add(_faces(1)[0], _person(_faces(1)[0]))
    state = lab.to_dict()
    state["x"] = [[1.0, 2.0]]
    with pytest.raises(ValueError, match="damaged"):
        PreLabeller.from_dict(state)
    with pytest.raises(ValueError, match="version"):
        PreLabeller.from_dict({"version": 99})


def test_the_error_covariance_is_measured_on_held_out_faces() -> None:
    faces = _faces(12, seed=2)
    lab = PreLabeller(6, 6)
    assert lab.error_covariance() is None
    rng = np.random.default_rng(5)
    for f in faces:
        noisy = _person(f)
        noisy[2] += rng.normal(0, 2.0, 2)  # the person is sloppy on point 2 only
        lab.add(f, noisy)
    cov, weight = lab.error_covariance(prior_faces=12)
    assert weight == pytest.approx(0.5)
    var = np.diag(cov).reshape(6, 2).sum(axis=1)
    assert np.argmax(var) == 2


def test_the_leave_one_out_shortcut_equals_refitting_without_each_face() -> None:
    faces = _faces(9, seed=3)
    lab = PreLabeller(6, 6)
    rng = np.random.default_rng(1)
    for f in faces:
        lab.add(f, _person(f) + rng.normal(0, 0.5, (6, 2)))
    x, y = lab._arrays()
    xc = x - x.mean(axis=0)
    d, u = np.linalg.eigh(xc @ xc.T)
    fast = lab._loo_residuals(u, np.clip(d, 0, None), y - y.mean(axis=0), lab.lam)
    for i in range(len(x)):
        keep = np.arange(len(x)) != i
        mx, my = x[keep].mean(axis=0), y[keep].mean(axis=0)
        a, b = x[keep] - mx, y[keep] - my
        w = np.linalg.solve(a.T @ a + lab.lam * np.eye(a.shape[1]), a.T @ b)
        slow = y[i] - (my + (x[i] - mx) @ w)
        np.testing.assert_allclose(fast[i], slow, atol=1e-8)
