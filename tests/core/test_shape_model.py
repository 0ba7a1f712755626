"""Point-distribution model: Procrustes alignment, modes, files, the shipped models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facealign_gui.core.shape_model import (
    apply_similarity,
    fit_shape_model,
    invert_similarity,
    load_shape_model,
    similarity_transform,
)

MODELS = Path(__file__).resolve().parents[2] / "facealign_gui" / "models"
SQUARE = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])


def test_similarity_transform_recovers_rotation_scale_and_shift() -> None:
    # 90 degrees, scale 2, shift (3, 4): (x, y) -> (3 - 2y, 4 + 2x)
    dst = np.stack([3 - 2 * SQUARE[:, 1], 4 + 2 * SQUARE[:, 0]], axis=1)
    m = similarity_transform(SQUARE, dst)
    np.testing.assert_allclose(m, [[0.0, -2.0, 3.0], [2.0, 0.0, 4.0]], atol=1e-12)
    np.testing.assert_allclose(apply_similarity(invert_similarity(m), dst), SQUARE, atol=1e-12)


def test_similarity_transform_ignores_zero_weight_and_nan_rows() -> None:
    src = np.vstack([SQUARE, [[5.0, 5.0]], [[np.nan, 0.0]]])
    dst = np.vstack([SQUARE + np.array([1.0, 2.0]), [[100.0, -50.0]], [[0.0, 0.0]]])
    m = similarity_transform(src, dst, weights=np.array([1, 1, 1, 1, 0, 1.0]))
    np.testing.assert_allclose(m, [[1.0, 0.0, 1.0], [0.0, 1.0, 2.0]], atol=1e-12)


def _synthetic(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Shapes = base + b * direction (std 0.1), each under a random similarity."""
    base = np.array([[-1.0, -1.0], [1.0, -1.0], [1.2, 1.0], [-1.2, 1.0], [0.0, 0.2], [0, 1.5]])
    direction = np.zeros_like(base)
    direction[5] = [0.0, 1.0]  # only the chin moves
    shapes = []
    for _ in range(n):
        s = base + rng.normal(0, 0.1) * direction
        a = rng.uniform(-0.5, 0.5)
        k = rng.uniform(50, 150)
        rot = k * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        shapes.append(s @ rot.T + rng.uniform(0, 300, 2))
    return np.stack(shapes), base


def test_fit_finds_the_one_mode_the_shapes_vary_in() -> None:
    shapes, base = _synthetic(400, np.random.default_rng(0))
    model = fit_shape_model(shapes, num_modes=3)
    # the first mode carries nearly all the variance and moves mostly the chin's y
    assert model.variances[0] > 20 * model.variances[1]
    mode = model.modes[0].reshape(-1, 2)
    assert np.linalg.norm(mode[5]) > 0.8
    # the mean is the base shape up to a similarity
    m = similarity_transform(base, model.mean)
    assert np.abs(apply_similarity(m, base) - model.mean).max() < 0.02


def test_truncating_moves_dropped_variance_into_the_residual() -> None:
    shapes, _ = _synthetic(200, np.random.default_rng(1))
    model = fit_shape_model(shapes, num_modes=4)
    total = model.variances.sum() + model.residual_variance * (12 - 4 - 4)
    small = model.truncated(1)
    assert small.num_modes == 1
    assert small.variances.sum() + small.residual_variance * (12 - 4 - 1) == pytest.approx(total)


def test_box_mean_places_the_mean_shape_in_a_face_box() -> None:
    shapes, _ = _synthetic(50, np.random.default_rng(2))
    centers = shapes.mean(axis=1)
    scales = np.full(len(shapes), 2.0)
    model = fit_shape_model(shapes, centers=centers, scales=scales)
    placed = model.place_in_box((10.0, 20.0), 0.5)
    np.testing.assert_allclose(placed, model.box_mean * 100.0 + [10.0, 20.0])


def test_a_model_survives_a_save_and_load(tmp_path: Path) -> None:
    shapes, _ = _synthetic(30, np.random.default_rng(3))
    model = fit_shape_model(shapes, scheme="toy6", num_modes=2, source="synthetic")
    back = load_shape_model(model.save(tmp_path / "m.npz"))
    assert (back.scheme, back.source) == ("toy6", "synthetic")
    np.testing.assert_array_equal(back.modes, model.modes)
    assert back.residual_variance == model.residual_variance


def test_a_damaged_model_file_is_an_error_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match=r"bad\.npz"):
        load_shape_model(bad)


@pytest.mark.parametrize(("name", "k"), [("300w68", 68), ("wflw98", 98)])
def test_shipped_models_load_and_say_what_they_were_fitted_on(name: str, k: int) -> None:
    model = load_shape_model(MODELS / f"shape_{name}.npz")
    assert model.num_points == k and model.scheme == name
    assert "research-use only" in model.source and "faces" in model.source
    assert model.box_mean is not None


def _varied(n: int, seed: int) -> np.ndarray:
    """Shapes that vary in several directions (so fingerprints tell them apart)."""
    rng = np.random.default_rng(seed)
    base = np.array([[-1.0, -1.0], [1.0, -1.0], [1.2, 1.0], [-1.2, 1.0], [0.0, 0.2], [0, 1.5]])
    out = []
    for _ in range(n):
        a, k = rng.uniform(-0.4, 0.4), rng.uniform(50, 150)
        rot = k * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        out.append((base + rng.normal(0, 0.08, base.shape)) @ rot.T + rng.uniform(0, 300, 2))
    return np.stack(out)


def test_a_model_knows_its_training_faces_in_any_pose_and_file_convention() -> None:
    train = _varied(200, 4)
    model = fit_shape_model(train, num_modes=4)
    moved = train[:5] * 1.7 + [1.0, 1.0]  # rescaled, and 1-based like an iBUG .pts file
    assert model.contains(moved).all()
    assert not model.contains(_varied(50, 5)).any()


def test_leaving_faces_out_matches_a_model_fitted_without_them(tmp_path: Path) -> None:
    kept, evaluated, other = _varied(300, 6), _varied(20, 7), _varied(5, 8)
    full = fit_shape_model(np.concatenate([kept, evaluated]), num_modes=4)
    full = load_shape_model(full.save(tmp_path / "full.npz"))  # survives a file
    reduced, removed = full.without(np.concatenate([evaluated, other]))
    assert removed == 20 and reduced.count == 300
    assert not reduced.contains(evaluated).any()
    alone = fit_shape_model(kept, num_modes=4)
    np.testing.assert_allclose(reduced.variances, alone.variances, rtol=0.02)
    m = similarity_transform(reduced.mean, alone.mean)
    assert np.abs(apply_similarity(m, reduced.mean) - alone.mean).max() < 2e-3
    assert full.without(other) == (full, 0)
