"""MediaPipePredictor: ROI geometry worked by hand, and the default model on takeo."""

from __future__ import annotations

import dataclasses
import importlib.util
import math
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from facealign_gui.core.metrics import nme_per_image, normalisers
from facealign_gui.core.schemes import get_scheme
from facealign_gui.inference.card import load_card
from facealign_gui.inference.detect import MODELS_DIR, detect_faces
from facealign_gui.inference.loader import load_predictor
from facealign_gui.inference.mediapipe import (
    MediaPipePredictor,
    MeshPrediction,
    Roi,
    face_from_mesh,
    load_default_predictor,
    roi_from_face,
)
from facealign_gui.inference.types import FaceRegion, InferenceError, Predictor

ROOT = Path(__file__).resolve().parents[2]


def _load(takeo: tuple[Path, Path]) -> tuple[np.ndarray, np.ndarray]:
    img_path, pts_path = takeo
    image = cv2.imread(str(img_path), cv2.IMREAD_COLOR)
    lines = pts_path.read_text().splitlines()
    start = lines.index("{") + 1
    pts = np.array([[float(v) for v in ln.split()] for ln in lines[start : start + 68]])
    return image, pts - 1.0


def _nme(pred: np.ndarray, gt: np.ndarray) -> float:
    scheme = get_scheme("300w68")
    norm = normalisers(gt[None], scheme, kind="inter_ocular")
    return float(nme_per_image(pred[None], gt[None], norm)[0])


@pytest.fixture(scope="module")
def predictor() -> MediaPipePredictor:
    return load_default_predictor()


def test_the_default_cards_load_and_match_their_onnx_checksums() -> None:
    for name in ("mediapipe_face_landmark", "blazeface_short_range"):
        card = load_card(MODELS_DIR / f"{name}.toml")
        assert card.family == "mediapipe"
        assert card.verify_sha256() == card.sha256
        assert card.provenance.license == "Apache-2.0"
    assert (MODELS_DIR / "NOTICE").is_file()


def test_the_registry_builds_a_mediapipe_predictor_for_the_default_card() -> None:
    pred = load_predictor("mediapipe_face_landmark")
    assert isinstance(pred, MediaPipePredictor)
    assert isinstance(pred, Predictor)
    assert (pred.num_points, pred.scheme) == (68, "300w68")


def test_the_predictor_refuses_wrong_cards_with_the_card_named() -> None:
    card = load_card(MODELS_DIR / "mediapipe_face_landmark.toml")
    with pytest.raises(InferenceError, match=r"mediapipe_face_landmark\.toml.*sha256 mismatch"):
        MediaPipePredictor(dataclasses.replace(card, sha256="0" * 64))
    with pytest.raises(InferenceError, match="not 'mediapipe'"):
        MediaPipePredictor(dataclasses.replace(card, family="hrnet"))
    with pytest.raises(InferenceError, match="num_points"):
        MediaPipePredictor(dataclasses.replace(card, num_points=29))


def test_roi_from_a_detection_rotates_so_the_eyes_are_horizontal() -> None:
    kp = np.array([[10.0, 10.0], [20.0, 20.0], [15, 15], [15, 18], [5, 12], [25, 22]])
    face = FaceRegion(box=(0.0, 0.0, 30.0, 20.0), keypoints=kp)
    roi = roi_from_face(face, (100, 100, 3))
    # rotation = 0 - atan2(-(20 - 10), 20 - 10) = +45 degrees; side = 1.5 * max(30, 20)
    assert roi.rotation == pytest.approx(math.pi / 4)
    assert (roi.cx, roi.cy, roi.side) == pytest.approx((15.0, 10.0, 45.0))
    m = roi.to_crop(192)
    eyes = kp[:2] @ m[:, :2].T + m[:, 2]
    assert eyes[0, 1] == pytest.approx(eyes[1, 1])  # level in the crop
    assert eyes[0, 0] < eyes[1, 0]  # right eye on the crop's left
    np.testing.assert_allclose(m @ [15.0, 10.0, 1.0], [96.0, 96.0])


def test_roi_from_a_box_or_center_scale_has_no_rotation() -> None:
    roi = roi_from_face(FaceRegion(box=(10.0, 20.0, 50.0, 80.0)), (100, 100, 3))
    assert (roi.cx, roi.cy, roi.side, roi.rotation) == pytest.approx((30.0, 50.0, 90.0, 0.0))
    # HRNet center/scale: box side = 200 * scale = 100
    roi = roi_from_face(FaceRegion(center=(50.0, 60.0), scale=0.5), (100, 100, 3))
    assert (roi.cx, roi.cy, roi.side, roi.rotation) == pytest.approx((50.0, 60.0, 150.0, 0.0))
    # nothing known: the whole image (pixel centres 0..99 and 0..49)
    roi = roi_from_face(FaceRegion(), (50, 100, 3))
    assert (roi.cx, roi.cy, roi.side) == pytest.approx((49.5, 24.5, 1.5 * 99))


def test_roi_ignores_key_points_that_are_not_blazeface_s_six() -> None:
    kp = np.array([[0.0, 0.0], [10.0, 10.0], [5.0, 5.0]])
    roi = roi_from_face(FaceRegion(box=(0.0, 0.0, 10.0, 10.0), keypoints=kp), (20, 20, 3))
    assert roi.rotation == 0.0


def test_roi_rejects_an_empty_box() -> None:
    with pytest.raises(InferenceError, match="empty"):
        roi_from_face(FaceRegion(box=(5.0, 5.0, 5.0, 9.0)), (10, 10, 3))


def test_roi_crop_matrix_maps_the_square_corners_to_the_crop_corners() -> None:
    m = Roi(cx=100.0, cy=50.0, side=40.0).to_crop(192)
    np.testing.assert_allclose(m @ [80.0, 30.0, 1.0], [0.0, 0.0])
    np.testing.assert_allclose(m @ [120.0, 70.0, 1.0], [192.0, 192.0])


def test_default_model_nme_on_takeo_is_below_ten_percent(takeo, predictor) -> None:
    image, gt = _load(takeo)
    face = detect_faces(image)[0]
    pred = predictor.predict(image, face)
    assert isinstance(pred, MeshPrediction)
    assert pred.points.shape == (68, 2) and pred.confidence.shape == (68,)
    assert pred.mesh is not None and pred.mesh.shape == (468, 3)
    assert pred.presence > 0.9
    nme = _nme(pred.points, gt)
    # measured 0.0431 with OpenCV 4.14 (0.0432 with 5.0), inter-ocular (outer corners 36/45);
    # a broken mapping, ROI or rotation gives > 0.1
    assert nme < 0.10, nme


@pytest.mark.parametrize("angle", [-30.0, 25.0])
def test_default_model_follows_a_rotated_face(takeo, predictor, angle: float) -> None:
    image, gt = _load(takeo)
    big = cv2.copyMakeBorder(image, 60, 60, 60, 60, cv2.BORDER_REPLICATE)
    centre = ((big.shape[1] - 1) / 2.0, (big.shape[0] - 1) / 2.0)
    rot = cv2.getRotationMatrix2D(centre, angle, 1.0)
    turned = cv2.warpAffine(big, rot, (big.shape[1], big.shape[0]), borderMode=cv2.BORDER_REPLICATE)
    gt_turned = (gt + 60.0) @ rot[:, :2].T + rot[:, 2]
    face = detect_faces(turned)[0]
    assert _nme(predictor.predict(turned, face).points, gt_turned) < 0.10


def test_tracking_from_the_previous_mesh_keeps_the_landmarks(takeo, predictor) -> None:
    image, gt = _load(takeo)
    first = predictor.predict(image, detect_faces(image)[0])
    face = face_from_mesh(first.mesh, first.presence)
    # MediaPipe's landmarks-to-ROI: tight box of the mesh, rotation from vertex 33 to 133
    np.testing.assert_allclose(face.box[:2], first.mesh[:, :2].min(axis=0))
    np.testing.assert_allclose(face.keypoints[:2], first.mesh[[33, 133], :2])
    second = predictor.predict(image, face)
    assert _nme(second.points, gt) < 0.10
    assert _nme(second.points, first.points) < 0.05
    with pytest.raises(InferenceError, match="mesh"):
        face_from_mesh(np.zeros((68, 2)))


def test_predict_from_a_ground_truth_box_also_works(takeo, predictor) -> None:
    image, gt = _load(takeo)
    box = (*gt.min(axis=0), *gt.max(axis=0))
    assert _nme(predictor.predict(image, FaceRegion(box=box)).points, gt) < 0.10


def test_predict_batch_matches_predict(takeo, predictor) -> None:
    image, _ = _load(takeo)
    face = detect_faces(image)[0]
    flipped = cv2.flip(image, 1)
    face2 = detect_faces(flipped)[0]
    batch = predictor.predict_batch([image, flipped], [face, face2])
    for one, (img, f) in zip(batch, [(image, face), (flipped, face2)], strict=True):
        np.testing.assert_allclose(one.points, predictor.predict(img, f).points, atol=1e-3)
    assert predictor.predict_batch([], []) == []


def test_prepare_then_run_prepared_matches_predict(takeo, predictor) -> None:
    image, _ = _load(takeo)
    face = detect_faces(image)[0]
    prepared = predictor.prepare(image, face)
    assert prepared.tensor.shape == (3, 192, 192)
    (pred,) = predictor.run_prepared([prepared])
    np.testing.assert_allclose(pred.points, predictor.predict(image, face).points, atol=1e-6)
    assert predictor.run_prepared([]) == []


def test_predict_mesh_returns_the_full_mesh_and_the_presence_score(takeo, predictor) -> None:
    image, gt = _load(takeo)
    mesh, score = predictor.predict_mesh(image, detect_faces(image)[0])
    assert mesh.shape == (468, 3)
    assert 0.9 < score <= 1.0
    # mesh vertex 1 is the nose tip region: near 300W point 30
    assert np.linalg.norm(mesh[1, :2] - gt[30]) < 0.1 * np.linalg.norm(gt[36] - gt[45])


def test_predict_on_a_blank_image_reports_low_presence(predictor) -> None:
    blank = np.full((200, 200, 3), 90, np.uint8)
    pred = predictor.predict(blank, FaceRegion(box=(50.0, 50.0, 150.0, 150.0)))
    assert pred.presence < 0.5


def _convert_script():
    spec = importlib.util.spec_from_file_location(
        "convert_mediapipe", ROOT / "scripts" / "convert_mediapipe.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(spec.name, None)
    return module


@pytest.mark.parametrize(
    "onnx_name",
    [
        "blazeface_short_range.onnx",
        "blazeface_full_range.onnx",
        "mediapipe_face_landmark.onnx",
        "mediapipe_face_landmark_v2.onnx",
        "mediapipe_iris_landmark.onnx",
    ],
)
def test_committed_onnx_files_match_the_tflite_interpreter_within_1e3(onnx_name: str) -> None:
    pytest.importorskip("ai_edge_litert.interpreter", reason="dev-only TFLite interpreter")
    script = _convert_script()
    (spec,) = [s for s in script.SPECS if s.onnx_name == onnx_name]
    wheel = script.find_cached_wheel(spec.wheel)
    if wheel is None:
        pytest.skip(f"no {spec.wheel} wheel cached; run scripts/convert_mediapipe.py")
    tflite = script.read_tflite(wheel, spec.member)
    onnx_bytes = (MODELS_DIR / spec.onnx_name).read_bytes()
    assert script.parity(tflite, onnx_bytes, spec) <= 1e-3


def test_the_flipped_crop_is_the_mirrored_image_s_crop_one_crop_pixel_over() -> None:
    rng = np.random.default_rng(0)
    image = cv2.GaussianBlur(rng.integers(0, 255, (90, 120, 3), dtype=np.uint8), (0, 0), 3)
    w, side, r = image.shape[1], 60.0, 0.3
    roi = Roi(cx=50.0, cy=40.0, side=side, rotation=r)
    # the crop centre is at pixel 96, and flipping 192 columns maps 96 to 95: the mirrored
    # ROI's centre moves one crop pixel (side / 192) along its own x axis (cos r, -sin r)
    k = side / 192
    mirrored = Roi((w - 1) - 50.0 + k * np.cos(r), 40.0 - k * np.sin(r), side, -r)
    direct = cv2.warpAffine(image, roi.to_crop(192), (192, 192))
    flipped_image = np.ascontiguousarray(image[:, ::-1])
    other = cv2.warpAffine(flipped_image, mirrored.to_crop(192), (192, 192))
    diff = np.abs(direct[:, ::-1].astype(int) - other.astype(int))[20:-20, 20:-20]
    assert diff.max() <= 2  # interpolation rounding only


def test_confidence_falls_as_the_expected_error_grows() -> None:
    from facealign_gui.inference.default_model import GROUP_PRIOR, confidence_from_spread

    spread = np.zeros(68)
    spread[30] = 0.05
    conf = confidence_from_spread(spread, presence=1.0)
    # 1 / (1 + expected / 0.05): jaw prior 0.10 -> 1/3; nose 0.05 + 0.05 -> 1/3; eye 0.04 -> 5/9
    assert conf[0] == pytest.approx(1 / 3)
    assert conf[30] == pytest.approx(1 / 3)
    assert conf[36] == pytest.approx(5 / 9)
    assert GROUP_PRIOR.shape == (68,)
    prior = np.full(68, 0.05)
    assert confidence_from_spread(np.zeros(68), 0.8, prior)[0] == pytest.approx(0.4)
    # a turned face: |yaw| 0.5 doubles the prior (1 + 2 * 0.5): 1 / (1 + 0.1 / 0.05)
    assert confidence_from_spread(np.zeros(68), 1.0, prior, yaw=-0.5)[0] == pytest.approx(1 / 3)


def test_unflip_points_swaps_left_and_right_names() -> None:
    from facealign_gui.inference.default_model import unflip_points

    pts = np.arange(136.0).reshape(68, 2)
    out = unflip_points(pts)
    np.testing.assert_allclose(out[0], pts[16])  # jaw ends swap
    np.testing.assert_allclose(out[36], pts[45])  # outer eye corners swap
    np.testing.assert_allclose(out[8], pts[8])  # the chin stays


def test_yaw_cue_is_zero_centred_and_signed_by_the_nose() -> None:
    from facealign_gui.inference.default_model import yaw_cue

    mesh = np.zeros((468, 3))
    mesh[33], mesh[263] = (40, 50, 0), (60, 50, 0)
    mesh[234], mesh[454] = (20, 60, 0), (80, 60, 0)
    mesh[1] = (50, 60, 0)
    assert yaw_cue(mesh) == pytest.approx(0.0)
    mesh[1] = (65, 60, 0)  # a quarter of the width towards the subject's left
    assert yaw_cue(mesh) == pytest.approx(0.5)


def test_the_default_path_refines_mirrors_and_reports_real_confidence(takeo) -> None:
    from facealign_gui.inference.default_model import confidence_from_spread

    image, gt = _load(takeo)
    face = detect_faces(image)[0]
    full = load_default_predictor()
    single = load_default_predictor(refine=0, mirror=False, correction=None)
    assert full.refine == 1 and full.mirror and full.correction is not None
    pred = full.predict(image, face)
    assert pred.spread is not None and pred.spread.shape == (68,)
    assert len(np.unique(pred.confidence)) > 10  # not one number for every point
    assert np.all((pred.confidence > 0) & (pred.confidence <= 1))
    assert _nme(pred.points, gt) < 0.10
    one = single.predict(image, face)
    assert one.spread is not None and not one.spread.any()  # no mirrored pass: no spread
    expect = confidence_from_spread(np.zeros(68), one.presence, yaw=one.yaw)
    np.testing.assert_allclose(one.confidence, expect)


def test_track_runs_one_pass_from_the_previous_mesh(takeo) -> None:
    image, gt = _load(takeo)
    pred = load_default_predictor()
    first = pred.predict(image, detect_faces(image)[0])
    nxt = pred.track(image, first)
    assert _nme(nxt.points, gt) < 0.10
    assert pred.refine == 1 and pred.mirror  # restored after the single pass
    with pytest.raises(InferenceError, match="mesh"):
        pred.track(image, MeshPrediction(points=first.points, confidence=first.confidence))
