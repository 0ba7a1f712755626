"""The 98-point WFLW mapping: contour interpolation, index tables, iris crops, the card."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from facealign_gui.core.schemes import get_scheme
from facealign_gui.inference import mesh98
from facealign_gui.inference.detect import detect_faces
from facealign_gui.inference.mediapipe import load_default_predictor
from facealign_gui.inference.types import InferenceError


def test_contour_keeps_the_17_jaw_points_and_puts_catmull_rom_midpoints_between() -> None:
    t = np.arange(17.0)
    jaw = np.column_stack([t, t**2])  # a parabola sampled at integer t
    c = mesh98.contour33(jaw)
    assert c.shape == (33, 2)
    np.testing.assert_allclose(c[0::2], jaw)
    # Catmull-Rom is exact on a quadratic: the midpoint of t = 3, 4 is (3.5, 12.25)
    np.testing.assert_allclose(c[7], [3.5, 12.25])
    with pytest.raises(ValueError, match="17"):
        mesh98.contour33(jaw[:10])


def test_the_mapping_takes_the_documented_vertices_and_300w_points() -> None:
    mesh = np.column_stack([np.arange(468.0), np.zeros(468)])  # vertex v at x = v
    p68 = np.column_stack([np.zeros(68), np.arange(68.0)])  # 300W point i at y = i
    out = mesh98.wflw98(mesh, p68)
    assert out.shape == (98, 2) and np.isfinite(out).all()
    assert out[33, 0] == pytest.approx((70 + 46) / 2)  # right brow outer tip
    assert out[46, 0] == pytest.approx((300 + 276) / 2)  # left brow outer tip
    assert (out[60, 0], out[64, 0], out[68, 0], out[72, 0]) == (33, 133, 362, 263)
    assert out[32, 1] == 16 and out[54, 1] == 30 and out[76, 1] == 48 and out[95, 1] == 67
    # no iris: pupils are the eye centres
    np.testing.assert_allclose(out[96], out[60:68].mean(axis=0))
    pupils = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(mesh98.wflw98(mesh, p68, pupils)[96:], pupils)


def test_the_300w_taken_points_respect_both_schemes_flip_pairs() -> None:
    f98 = get_scheme("wflw98").flip_permutation()
    f68 = get_scheme("300w68").flip_permutation()
    for w, i in mesh98.FROM_300W.items():
        assert mesh98.FROM_300W[f98[w]] == f68[i], w
    # brow/eye vertex pairs are taken for mirrored WFLW points on both sides
    for w in mesh98.MESH_POINTS:
        assert f98[w] in mesh98.MESH_POINTS


def test_confidence98_takes_each_point_s_300w_source() -> None:
    c68 = np.linspace(0.1, 0.9, 68).astype(np.float32)
    c98 = mesh98.confidence98(c68)
    assert c98[0] == c68[0] and c98[32] == c68[16]
    assert c98[1] == min(c68[0], c68[1])
    assert c98[60] == c68[36] and c98[96] == c68[37] and c98[88] == c68[60]


def test_the_eye_crop_centres_the_corners_and_mirrors_the_left_eye() -> None:
    a, b = np.array([10.0, 20.0]), np.array([30.0, 20.0])
    k = 64 / (2.3 * 20)
    m = mesh98.eye_crop_matrix(a, b, mirror=False)
    np.testing.assert_allclose(m @ [20, 20, 1], [32, 32])
    np.testing.assert_allclose(m @ [10, 20, 1], [32 - 10 * k, 32])
    mm = mesh98.eye_crop_matrix(a, b, mirror=True)
    np.testing.assert_allclose(mm @ [10, 20, 1], [32 + 10 * k, 32])
    with pytest.raises(InferenceError, match="corners"):
        mesh98.eye_crop_matrix(a, a, mirror=False)


def _takeo(takeo: tuple[Path, Path]) -> tuple[np.ndarray, np.ndarray]:
    from facealign_gui.datasets.pts import parse_pts

    return cv2.imread(str(takeo[0]), cv2.IMREAD_COLOR), parse_pts(takeo[1])


def test_the_98_point_default_puts_the_pupils_inside_the_eyes(takeo) -> None:
    image, gt = _takeo(takeo)
    pred = load_default_predictor(card_name="mediapipe_face_landmark_98")
    assert (pred.num_points, pred.scheme) == (98, "wflw98")
    out = pred.predict(image, detect_faces(image)[0])
    assert out.points.shape == (98, 2) and out.confidence.shape == (98,)
    iod = np.linalg.norm(gt[36] - gt[45])
    for pupil, eye in ((out.points[96], gt[36:42]), (out.points[97], gt[42:48])):
        assert np.linalg.norm(pupil - eye.mean(axis=0)) < 0.1 * iod
    # WFLW's outer eye corners are 300W's
    assert np.linalg.norm(out.points[60] - gt[36]) < 0.1 * iod
    assert np.linalg.norm(out.points[72] - gt[45]) < 0.1 * iod
