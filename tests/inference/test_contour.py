"""The learned per-point correction: face frame, fitting, mirroring, files and the card."""

from __future__ import annotations

import numpy as np
import pytest

from facealign_gui.core.schemes import get_scheme
from facealign_gui.inference import contour
from facealign_gui.inference.types import InferenceError


def _face(rng: np.random.Generator, angle: float, scale: float, shift) -> np.ndarray:
    """68 random points whose outer eye corners 36/45 are at (-0.5, 0) and (0.5, 0) in the
    face frame, then rotated, scaled and moved into an image."""
    local = rng.normal(0.0, 0.4, (68, 2))
    local[36], local[45] = (-0.5, 0.0), (0.5, 0.0)
    c, s = np.cos(angle), np.sin(angle)
    rot = np.array([[c, s], [-s, c]])  # rows: the frame's x and y axes in the image
    return local * scale @ rot + np.asarray(shift)


def test_the_face_frame_puts_the_outer_eye_corners_at_minus_and_plus_a_half() -> None:
    pts = np.zeros((68, 2))
    pts[36], pts[45] = (10.0, 20.0), (10.0, 60.0)  # eye line pointing down the image
    frame = contour.face_frame(pts)
    local = contour.to_frame(pts, frame)
    np.testing.assert_allclose(local[[36, 45]], [[-0.5, 0.0], [0.5, 0.0]], atol=1e-12)
    np.testing.assert_allclose(contour.from_frame(local, frame), pts, atol=1e-12)
    pts[45] = pts[36]
    with pytest.raises(InferenceError, match="eye corners"):
        contour.face_frame(pts)


def test_apply_adds_the_offset_in_the_face_frame_scaled_by_the_inter_ocular_distance() -> None:
    pts = np.zeros((68, 2))
    pts[36], pts[45] = (0.0, 0.0), (0.0, 100.0)  # frame x = image +y, frame y = image -x
    a, b = np.zeros((68, 2)), np.zeros((68, 2))
    a[8] = (0.0, 0.1)  # the chin 0.1 inter-ocular lower in the face
    b[0] = (0.2, 0.0)
    corr = contour.Correction(tuple(range(68)), a, b)
    out = contour.apply_correction(corr, pts, yaw=0.5)
    np.testing.assert_allclose(out[8] - pts[8], [-10.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(out[0] - pts[0], [0.0, 10.0], atol=1e-9)  # 0.5 * 0.2 * 100
    np.testing.assert_allclose(out[1], pts[1])


def test_fitting_recovers_a_symmetric_pose_dependent_offset() -> None:
    rng = np.random.default_rng(3)
    perm = np.array(get_scheme("300w68").flip_permutation())
    a = rng.normal(0, 0.05, (68, 2))
    a = (a + np.column_stack([-a[perm, 0], a[perm, 1]])) / 2  # left-right symmetric
    b = rng.normal(0, 0.05, (68, 2))
    b = (b + np.column_stack([b[perm, 0], -b[perm, 1]])) / 2  # odd in yaw: mirrored sign
    a[[36, 45]] = b[[36, 45]] = 0.0
    truth = contour.Correction(tuple(range(68)), a, b)
    preds, gts, yaws = [], [], []
    for k in range(12):
        pred = _face(rng, angle=0.3 * k - 1.5, scale=80 + 5 * k, shift=(300, 200 + k))
        yaw = float(rng.uniform(-0.8, 0.8))
        preds.append(pred)
        gts.append(contour.apply_correction(truth, pred, yaw))
        yaws.append(yaw)
    fit = contour.fit_correction(preds, gts, yaws, ridge=0.0, fitted_on="synthetic")
    np.testing.assert_allclose(fit.a, a, atol=1e-9)
    np.testing.assert_allclose(fit.b, b, atol=1e-9)
    assert fit.expected is not None and fit.expected.max() < 1e-9
    only_jaw = contour.fit_correction(preds, gts, yaws, points=tuple(range(17)), ridge=0.0)
    assert np.all(only_jaw.a[17:] == 0) and np.allclose(only_jaw.a[:17], a[:17])


def test_a_correction_round_trips_through_its_json_file(tmp_path) -> None:
    a = np.arange(136.0).reshape(68, 2) / 1000
    corr = contour.Correction((0, 1, 2), a, -a, "three faces", np.full(68, 0.05))
    path = tmp_path / "c.json"
    path.write_text(corr.to_json())
    back = contour.load_correction(path)
    assert back.points == (0, 1, 2) and back.fitted_on == "three faces"
    np.testing.assert_allclose(back.a, a, atol=1e-5)
    np.testing.assert_allclose(back.expected, 0.05)
    path.write_text('{"points": [0], "a": [[0, 0]], "b": [[0, 0]]}')
    with pytest.raises(InferenceError, match=r"c\.json.*68 x 2"):
        contour.load_correction(path)
    path.write_text("not json")
    with pytest.raises(InferenceError, match=r"c\.json.*not a contour correction"):
        contour.load_correction(path)


def test_the_card_names_the_correction_and_can_turn_it_off(tmp_path) -> None:
    shipped = contour.load_default_correction()
    assert shipped is not None and "16 faces" in shipped.fitted_on
    card = tmp_path / "card.toml"
    card.write_text('[correction]\nenabled = false\nfile = "c.json"\n')
    assert contour.load_default_correction(card) is None
    card.write_text('[correction]\nenabled = true\nfile = "c.json"\n')
    assert contour.card_correction_path(card) == tmp_path / "c.json"
    card.write_text('id = "x"\n')
    assert contour.load_default_correction(card) is None


def _cylinder_mesh(yaw_deg: float, radius: float = 100.0) -> tuple[np.ndarray, dict]:
    """A half-cylinder 'head' (37 angles from -90 to 90 degrees x 12 heights), turned by
    ``yaw`` about the vertical axis and seen orthographically: image x = R sin(theta + yaw).
    Vertices 10/152 are the top/bottom centre, 234/454 the right/left edge (theta -+90)."""
    phi = np.radians(yaw_deg)
    thetas = np.radians(np.arange(-90.0, 91.0, 5.0))
    ys = np.linspace(0.0, 220.0, 12)
    grid = [(t, y) for y in ys for t in thetas]
    grid += [(0.0, ys[6])] * (468 - len(grid))
    where = {"top": (0.0, ys[0]), "chin": (0.0, ys[-1]), "right": (thetas[0], ys[5])}
    where["left"] = (thetas[-1], ys[5])
    order = list(range(468))
    for slot, key in ((10, "top"), (152, "chin"), (234, "right"), (454, "left")):
        j = grid.index(where[key])
        order[slot], order[j] = order[j], order[slot]
    t = np.array([grid[i][0] for i in order])
    y = np.array([grid[i][1] for i in order])
    mesh = np.column_stack([radius * np.sin(t + phi), y, radius * np.cos(t + phi)])
    pairs = enumerate(zip(t, y, strict=True))
    index = {(round(float(np.degrees(a))), round(float(b), 3)): i for i, (a, b) in pairs}
    return mesh, {"index": index, "ys": ys}


def _jaw_on_the_edges(mesh: np.ndarray, info: dict) -> np.ndarray:
    pts = np.zeros((68, 2))
    pts[36], pts[45] = (-50.0, 40.0), (50.0, 40.0)  # eye line along image x
    h = round(float(info["ys"][8]), 3)
    pts[3] = mesh[info["index"][(-90, h)], :2]  # right side, on the mesh edge
    pts[13] = mesh[info["index"][(90, h)], :2]  # left side, on the mesh edge
    pts[8] = mesh[152, :2]
    return pts


def test_marching_leaves_a_frontal_face_s_jaw_on_the_oval() -> None:
    mesh, info = _cylinder_mesh(0.0)
    pts = _jaw_on_the_edges(mesh, info)
    out = contour.march_silhouette(mesh, pts)
    np.testing.assert_allclose(out[[3, 8, 13]], pts[[3, 8, 13]])
    np.testing.assert_allclose(out[17:], pts[17:])  # only jaw points move


def test_marching_moves_the_far_side_out_to_the_silhouette_of_a_turned_face() -> None:
    mesh, info = _cylinder_mesh(30.0)
    pts = _jaw_on_the_edges(mesh, info)
    out = contour.march_silhouette(mesh, pts)
    # the far (left) edge at theta = 90 projects to R cos 30 = 86.6; the silhouette of that
    # height's line is theta = 60, at x = R = 100: the point moves out by 13.4 pixels
    np.testing.assert_allclose(out[13] - pts[13], [100.0 - 100.0 * np.cos(np.radians(30)), 0.0])
    np.testing.assert_allclose(out[3], pts[3])  # the near side already is the outline
    np.testing.assert_allclose(out[8], pts[8])  # the chin is not marched
    assert contour.head_frame(mesh)[0] @ [
        np.cos(np.radians(30)),
        0,
        -np.sin(np.radians(30)),
    ] == pytest.approx(1.0)
