"""detect_faces: BlazeFace on real faces, letterboxing, several faces, the Haar fallback."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from facealign_gui.inference import blazeface, detect
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


def _det(boxes, scores) -> blazeface.Detections:
    boxes = np.asarray(boxes, dtype=np.float64)
    kps = np.repeat(boxes[:, None, :2], 6, axis=1)  # key points at each box's corner
    return blazeface.Detections(boxes, kps, np.asarray(scores, dtype=np.float64))


def test_merging_two_models_averages_the_same_face_by_score_and_keeps_other_faces() -> None:
    short = _det([[100, 100, 200, 200]], [0.9])
    full = _det([[110, 100, 210, 200], [400, 50, 440, 90]], [0.6, 0.8])
    merged = detect.merge([short, full])
    # IoU of the two big boxes = 90*100 / (2*10000 - 9000) = 0.818 > 0.3: one face,
    # box = (0.9 * 100 + 0.6 * 110) / 1.5 = 104 on the left, 204 on the right
    assert len(merged) == 2
    np.testing.assert_allclose(merged.boxes[0], [104, 100, 204, 200])
    np.testing.assert_allclose(merged.keypoints[0, 0], [104, 100])
    np.testing.assert_allclose(merged.scores, [0.9, 0.8])  # best first, best score kept
    np.testing.assert_allclose(merged.boxes[1], [400, 50, 440, 90])


def test_tiles_cover_the_image_with_a_quarter_overlap() -> None:
    # 2000 wide, tiles of 960 stepping at most 720: ceil(1040 / 720) + 1 = 3 origins
    assert detect.tile_origins(2000, 960) == [0, 520, 1040]
    assert detect.tile_origins(900, 960) == [0]
    assert detect.tile_origins(960, 960) == [0]
    assert detect.tiles(2000, 900, 960) == [(0, 0), (520, 0), (1040, 0)]


def test_shift_moves_boxes_and_key_points_from_a_tile_to_the_image() -> None:
    moved = detect.shift(_det([[1, 2, 3, 4]], [0.5]), 10.0, 20.0)
    np.testing.assert_allclose(moved.boxes[0], [11, 22, 13, 24])
    np.testing.assert_allclose(moved.keypoints[0, 0], [11, 22])


def test_full_range_card_loads_with_its_2304_anchors() -> None:
    det = detect.get_detector(detect.FULL_RANGE_CARD)
    assert det.size == 192 and det.anchors.shape == (2304, 4)


def test_detect_faces_rejects_an_unknown_range() -> None:
    with pytest.raises(ValueError, match="ranges"):
        detect.detect_faces(np.zeros((50, 50, 3), np.uint8), ranges="far")  # type: ignore[arg-type]


def _dev_faces(shared_dir: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    from facealign_gui.datasets.pts import parse_pts

    folder = shared_dir / "data" / "dev_faces"
    out = []
    for pts in sorted(folder.glob("*.pts")):
        for suffix in (".jpg", ".png"):
            if pts.with_suffix(suffix).is_file():
                img = cv2.imread(str(pts.with_suffix(suffix)), cv2.IMREAD_COLOR)
                if img is not None:
                    out.append((img, parse_pts(pts)))
                break
    if len(out) < 4:
        pytest.skip("dev_faces are not present")
    return out


def _paste_small(face: np.ndarray, gt: np.ndarray, side: int) -> tuple[np.ndarray, np.ndarray]:
    """A square crop around the face, shrunk (area filter) so that the annotated face is
    ``side`` pixels wide, and its points in the shrunk crop."""
    x1, y1 = gt.min(axis=0)
    x2, y2 = gt.max(axis=0)
    cx, cy, half = (x1 + x2) / 2, (y1 + y2) / 2, 0.9 * max(x2 - x1, y2 - y1)
    big = cv2.copyMakeBorder(face, *(int(half) + 1,) * 4, cv2.BORDER_REPLICATE)
    pad = int(half) + 1
    x0, y0 = round(float(cx - half)) + pad, round(float(cy - half)) + pad
    n = round(float(2 * half))
    k = side / (x2 - x1)
    out = max(1, round(float(n * k)))
    patch = cv2.resize(big[y0 : y0 + n, x0 : x0 + n], (out, out), interpolation=cv2.INTER_AREA)
    return patch, (gt + pad - [x0, y0]) * (out / n)


@pytest.mark.parametrize("size", [(960, 1280), (1950, 2600)])
def test_small_faces_pasted_on_a_large_canvas_are_all_found(shared_dir, size) -> None:
    canvas = np.full((*size, 3), 128, np.uint8)
    truth = []
    faces = _dev_faces(shared_dir)[:4]
    for k, (img, gt) in enumerate(faces):
        patch, pts = _paste_small(img, gt, 40 + 10 * k)  # faces 40..70 pixels wide
        x0, y0 = 100 + 280 * k, 300 + 120 * (k % 2)
        h, w = patch.shape[:2]
        canvas[y0 : y0 + h, x0 : x0 + w] = patch
        truth.append(pts + np.array([x0, y0]))
    found = detect.detect_faces(canvas)
    centres = [((f.box[0] + f.box[2]) / 2, (f.box[1] + f.box[3]) / 2) for f in found]
    for pts in truth:
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        hits = [c for c in centres if lo[0] <= c[0] <= hi[0] and lo[1] <= c[1] <= hi[1]]
        assert len(hits) == 1, (lo, hi, centres)


def test_a_tile_keeps_only_small_faces_away_from_its_inner_edges() -> None:
    # tile of 100x100 at (100, 0) in a 300x100 image: left and right edges are inner,
    # top and bottom are the image's
    det = _det(
        [[10, 0, 40, 30], [1, 10, 31, 40], [60, 60, 98, 98], [20, 20, 80, 80], [50, 10, 90, 50]],
        [0.9] * 5,
    )
    keep = detect.inner_faces(det, 100, 100, (100, 0), (300, 100))
    # 0: touches the image's top edge, kept; 1: on the inner left edge; 2: on the inner
    # right edge (98 > 100 - 1 - 2); 3: side 60 > 50; 4: kept
    assert keep.tolist() == [0, 4]


def test_tiles_of_a_shrunk_image_map_back_to_full_size_pixels(takeo) -> None:
    image, _ = _load(takeo)
    canvas = np.full((1000, 1000, 3), 128, np.uint8)
    small = cv2.resize(image, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    h, w = small.shape[:2]
    canvas[600 : 600 + h, 300 : 300 + w] = small
    full = detect.get_detector(detect.FULL_RANGE_CARD)
    direct = detect._tiled(full, canvas, 480, 4096, 0.5)
    shrunk = detect._tiled(full, canvas, 480, 800, 0.5)  # tiled at 0.8 scale, mapped back
    a = detect.merge([direct]).boxes[0]
    b = detect.merge([shrunk]).boxes[0]
    assert np.abs(a - b).max() < 0.1 * (a[2] - a[0])
