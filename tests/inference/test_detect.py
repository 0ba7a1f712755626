"""detect_faces: BlazeFace on real faces, letterboxing, several faces, the Haar fallback."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from facealign_gui.inference import detect
from facealign_gui.inference.runtime import get_session
from facealign_gui.inference.types import FaceRegion, InferenceError


def _load(takeo: tuple[Path, Path]) -> tuple[np.ndarray, np.ndarray]:
    img_path, pts_path = takeo
    image = cv2.imread(str(img_path), cv2.IMREAD_COLOR)
    lines = pts_path.read_text().splitlines()
    start = lines.index("{") + 1
    pts = np.array([[float(v) for v in ln.split()] for ln in lines[start : start + 68]])
    return image, pts - 1.0  # .pts is 1-based


def _eye_centres(gt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return gt[36:42].mean(axis=0), gt[42:48].mean(axis=0)


def test_detect_faces_finds_takeo_with_eye_keypoints_on_the_eyes(takeo) -> None:
    image, gt = _load(takeo)
    faces = detect.detect_faces(image)
    assert len(faces) == 1
    face = faces[0]
    assert face.score > 0.8
    right, left = _eye_centres(gt)
    iod = np.linalg.norm(gt[36] - gt[45])
    assert np.linalg.norm(face.keypoints[0] - right) < 0.1 * iod  # subject's right eye
    assert np.linalg.norm(face.keypoints[1] - left) < 0.1 * iod
    x1, y1, x2, y2 = face.box
    assert x1 < gt[30, 0] < x2 and y1 < gt[30, 1] < y2  # the nose tip is inside the box


def test_detect_faces_maps_back_through_the_letterbox_of_a_640x480_frame(takeo) -> None:
    image, gt = _load(takeo)
    big = cv2.resize(image, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_LINEAR)
    frame = np.zeros((480, 640, 3), np.uint8)
    frame[15 : 15 + 450, 170 : 170 + 300] = big
    # resizing by 2 maps pixel centre x to 2x + 0.5
    gt_frame = gt * 2.0 + 0.5 + np.array([170.0, 15.0])
    faces = detect.detect_faces(frame)
    assert len(faces) == 1
    right, left = _eye_centres(gt_frame)
    iod = np.linalg.norm(gt_frame[36] - gt_frame[45])
    assert np.linalg.norm(faces[0].keypoints[0] - right) < 0.1 * iod
    assert np.linalg.norm(faces[0].keypoints[1] - left) < 0.1 * iod


def test_detect_faces_finds_two_faces_side_by_side_best_first(takeo) -> None:
    image, _ = _load(takeo)
    pair = np.concatenate([image, cv2.flip(image, 1)], axis=1)
    faces = detect.detect_faces(pair)
    assert len(faces) == 2
    assert faces[0].score >= faces[1].score
    centres = sorted((f.box[0] + f.box[2]) / 2 for f in faces)
    assert centres[0] < 150 < centres[1]
    assert len(detect.detect_faces(pair, max_faces=1)) == 1


def test_detect_faces_finds_nothing_on_a_blank_image() -> None:
    assert detect.detect_faces(np.full((240, 320, 3), 128, np.uint8)) == []


def test_detect_faces_accepts_gray_images(takeo) -> None:
    image, _ = _load(takeo)
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    assert len(detect.detect_faces(gray)) == 1


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (np.zeros((10, 10, 3), np.float32), "uint8"),
        (np.zeros((10, 10, 2), np.uint8), "shape"),
        (np.zeros((0, 10, 3), np.uint8), "empty"),
        ("image.png", "numpy array"),
    ],
)
def test_detect_faces_rejects_bad_images_with_a_clear_message(bad, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        detect.detect_faces(bad)


def test_detect_faces_rejects_bad_options() -> None:
    image = np.zeros((32, 32, 3), np.uint8)
    with pytest.raises(ValueError, match="backend"):
        detect.detect_faces(image, backend="yolo")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_faces"):
        detect.detect_faces(image, max_faces=0)


def test_the_detector_is_loaded_once_and_uses_the_shared_session() -> None:
    first = detect.get_detector()
    assert detect.get_detector() is first
    onnx = detect.DEFAULT_DETECTOR_CARD.with_suffix(".onnx")
    assert first.session is get_session(onnx, sha256=_card_sha())


def _card_sha() -> str:
    from facealign_gui.inference.card import load_card

    return load_card(detect.DEFAULT_DETECTOR_CARD).sha256


def _broken_card(tmp_path: Path) -> Path:
    card = tmp_path / "broken.toml"
    text = detect.DEFAULT_DETECTOR_CARD.read_text(encoding="utf-8")
    card.write_text(text.replace('onnx = "blazeface_short_range.onnx"', 'onnx = "missing.onnx"'))
    return card


def test_auto_backend_falls_back_to_haar_when_blazeface_cannot_load(tmp_path, monkeypatch) -> None:
    sentinel = [FaceRegion(box=(1.0, 2.0, 3.0, 4.0))]
    monkeypatch.setattr(detect, "detect_faces_haar", lambda image, max_faces=None: sentinel)
    image = np.zeros((32, 32, 3), np.uint8)
    assert detect.detect_faces(image, card_path=_broken_card(tmp_path)) is sentinel
    with pytest.raises(InferenceError, match=r"missing\.onnx"):
        detect.detect_faces(image, backend="blazeface", card_path=_broken_card(tmp_path))


def test_auto_backend_names_both_failures_when_no_detector_is_available(tmp_path) -> None:
    if detect.haar_available():
        pytest.skip("this OpenCV ships the Haar cascade")
    with pytest.raises(InferenceError, match=r"missing\.onnx.*Haar"):
        detect.detect_faces(np.zeros((32, 32, 3), np.uint8), card_path=_broken_card(tmp_path))


def test_haar_backend_finds_takeo_when_opencv_ships_the_cascade(takeo) -> None:
    if not detect.haar_available():
        pytest.skip("OpenCV without cv2.CascadeClassifier / haarcascades (OpenCV 5)")
    image, gt = _load(takeo)
    faces = detect.detect_faces(image, backend="haar")
    assert len(faces) >= 1
    x1, y1, x2, y2 = faces[0].box
    assert x1 < gt[30, 0] < x2 and y1 < gt[30, 1] < y2
    assert faces[0].keypoints is None


def test_to_chw_reorders_bgr_to_rgb_before_the_per_channel_constants() -> None:
    patch = np.zeros((2, 3, 3), np.uint8)
    patch[:, :] = (10, 20, 30)  # B, G, R
    scale = np.array([1.0, 2.0, 3.0], np.float32)  # R, G, B order
    offset = np.array([0.5, 0.0, -1.0], np.float32)
    x = detect.to_chw(patch, True, scale, offset)
    assert x.shape == (3, 2, 3) and x.dtype == np.float32 and x.flags.c_contiguous
    np.testing.assert_allclose(x[:, 0, 0], [30 * 1 + 0.5, 20 * 2, 10 * 3 - 1.0])
    np.testing.assert_allclose(detect.to_chw(patch, False, scale, offset)[:, 1, 2], [10.5, 40, 89])
