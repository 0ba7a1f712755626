"""Synthetic data for the GUI tests, benchmark and screenshots (no downloads).

- `write_wflw_dataset`: N drawn faces (real PNG files) with 98 WFLW-style landmarks in a
  ``list_98pt_rect_attr_test.txt`` (rectangles and the six attribute flags).
- `write_tiny_model`: a small ONNX heatmap model (64x64 input, 98 heatmaps of 16x16) and an
  HRNet-family card for it. Each heatmap is a fixed bump at the template landmark plus a
  little of the (pooled) input, so predictions are near the truth and differ per image.
"""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np

K = 98


def _ellipse(
    cx: float, cy: float, rx: float, ry: float, n: int, t0: float, t1: float, closed: bool = False
) -> np.ndarray:
    t = np.linspace(t0, t1, n, endpoint=not closed)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], 1)


def template() -> np.ndarray:
    """98 points of a WFLW-like face in the unit box (x right, y down)."""
    pts = [
        _ellipse(0.5, 0.45, 0.45, 0.5, 33, math.pi, 0.0),  # 0-32 contour via the chin
        np.stack([np.linspace(0.16, 0.42, 5), [0.33, 0.29, 0.28, 0.29, 0.31]], 1),  # 33-37
        np.stack([np.linspace(0.40, 0.18, 4), [0.34, 0.33, 0.33, 0.35]], 1),  # 38-41
        np.stack([np.linspace(0.58, 0.84, 5), [0.31, 0.29, 0.28, 0.29, 0.33]], 1),  # 42-46
        np.stack([np.linspace(0.82, 0.60, 4), [0.35, 0.33, 0.33, 0.34]], 1),  # 47-50
        np.stack([[0.5] * 4, np.linspace(0.42, 0.58, 4)], 1),  # 51-54 nose bridge
        np.stack([np.linspace(0.42, 0.58, 5), [0.62, 0.635, 0.64, 0.635, 0.62]], 1),  # 55-59
        _ellipse(0.32, 0.45, 0.08, 0.035, 8, math.pi, 3 * math.pi, closed=True),  # 60-67
        _ellipse(0.68, 0.45, 0.08, 0.035, 8, math.pi, 3 * math.pi, closed=True),  # 68-75
        _ellipse(0.5, 0.76, 0.15, 0.06, 12, math.pi, 3 * math.pi, closed=True),  # 76-87
        _ellipse(0.5, 0.76, 0.10, 0.025, 8, math.pi, 3 * math.pi, closed=True),  # 88-95
        np.array([[0.32, 0.45], [0.68, 0.45]]),  # 96-97 pupils
    ]
    out = np.concatenate(pts)
    # WFLW's eye order: 60 is the right eye's outer corner, 72 the left eye's outer corner
    left = out[68:76].copy()
    out[68:76] = left[[4, 5, 6, 7, 0, 1, 2, 3]]
    assert out.shape == (K, 2)
    return out


def draw_face(rng: np.random.Generator, size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """One BGR image and its 98 points (pixel centres, top-left = 0,0)."""
    side = rng.uniform(0.45, 0.7) * size
    x0, y0 = rng.uniform(0.05 * size, size - side - 0.05 * size, 2)
    angle = rng.uniform(-0.25, 0.25)
    c, s = math.cos(angle), math.sin(angle)
    t = template() + rng.normal(0, 0.006, (K, 2))
    centred = (t - 0.5) * side
    pts = centred @ np.array([[c, s], [-s, c]]) + (x0 + side / 2, y0 + side / 2)
    bg = np.array(rng.uniform(30, 90, 3))
    img = np.empty((size, size, 3), np.uint8)
    img[:] = bg.astype(np.uint8)
    skin = tuple(float(v) for v in rng.uniform([120, 150, 190], [170, 190, 235]))
    face = pts[0:33].astype(np.int32)
    top = np.array([pts[32], pts[32] + (0, -0.35 * side), pts[0] + (0, -0.35 * side), pts[0]])
    cv2.fillPoly(img, [np.concatenate([face, top.astype(np.int32)])], skin, cv2.LINE_AA)
    dark = (40, 45, 60)
    for a, b in ((33, 42), (42, 51)):
        cv2.polylines(img, [pts[a:b].astype(np.int32)], True, dark, 2, cv2.LINE_AA)
    for a, b in ((60, 68), (68, 76)):
        cv2.fillPoly(img, [pts[a:b].astype(np.int32)], (235, 235, 235), cv2.LINE_AA)
    for p in pts[96:98]:
        cv2.circle(
            img, (int(p[0]), int(p[1])), max(2, int(side * 0.025)), (60, 40, 20), -1, cv2.LINE_AA
        )
    cv2.polylines(img, [pts[51:55].astype(np.int32)], False, (90, 100, 140), 2, cv2.LINE_AA)
    cv2.polylines(img, [pts[55:60].astype(np.int32)], False, (90, 100, 140), 2, cv2.LINE_AA)
    cv2.fillPoly(img, [pts[76:88].astype(np.int32)], (80, 80, 170), cv2.LINE_AA)
    cv2.fillPoly(img, [pts[88:96].astype(np.int32)], (50, 40, 90), cv2.LINE_AA)
    noise = rng.normal(0, 6, img.shape)
    img = np.clip(img + noise, 0, 255).astype(np.uint8)
    return cv2.GaussianBlur(img, (3, 3), 0), pts


def write_wflw_dataset(
    folder: Path, n: int = 12, seed: int = 0, size: int = 256, distinct_images: int | None = None
) -> Path:
    """Write ``n`` faces and their list file; returns the list file's path.

    With ``distinct_images`` only that many images are drawn and the rows reuse them (a
    10,000-row benchmark dataset does not need 10,000 image files).
    """
    rng = np.random.default_rng(seed)
    img_dir = folder / "WFLW_images" / "synthetic"
    img_dir.mkdir(parents=True, exist_ok=True)
    m = n if distinct_images is None else min(n, distinct_images)
    faces = []
    for j in range(m):
        img, pts = draw_face(rng, size)
        cv2.imwrite(str(img_dir / f"face_{j:05d}.png"), img)
        faces.append(pts)
    lines = []
    for i in range(n):
        pts = faces[i % m]
        lo, hi = pts.min(0), pts.max(0)
        flags = (rng.random(6) < 0.3).astype(int)
        coords = " ".join(f"{v:.3f}" for v in pts.ravel())
        rect = f"{lo[0]:.0f} {lo[1]:.0f} {hi[0]:.0f} {hi[1]:.0f}"
        attrs = " ".join(str(f) for f in flags)
        lines.append(f"{coords} {rect} {attrs} synthetic/face_{i % m:05d}.png")
    path = folder / "list_98pt_rect_attr_test.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def write_tiny_model(folder: Path, model_id: str = "tiny_heatmap") -> Path:
    """Write ``<model_id>.onnx`` and ``<model_id>.toml``; returns the card's path."""
    from onnx import TensorProto, helper, numpy_helper

    folder.mkdir(parents=True, exist_ok=True)
    hm = 16
    yy, xx = np.mgrid[0:hm, 0:hm]
    # where the HRNet crop (1.25 x the landmark box) puts the template in heatmap pixels,
    # fitted once over drawn faces: u = 13.9 * t + (0.63, -0.90)
    pos = 13.9 * template() + (0.63, -0.90)
    bumps = np.stack([np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / 2.0) for x, y in pos])
    nodes = [
        helper.make_node("ReduceMean", ["input", "axes"], ["grey"], keepdims=1),
        helper.make_node("AveragePool", ["grey"], ["pooled"], kernel_shape=[4, 4], strides=[4, 4]),
        helper.make_node("Mul", ["pooled", "weight"], ["scaled"]),
        helper.make_node("Add", ["scaled", "bumps"], ["heatmaps"]),
    ]
    inits = [
        numpy_helper.from_array(np.array([1], np.int64), "axes"),
        numpy_helper.from_array(np.array([0.3], np.float32), "weight"),
        numpy_helper.from_array(bumps[None].astype(np.float32), "bumps"),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny_heatmap",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 64, 64])],
        [helper.make_tensor_value_info("heatmaps", TensorProto.FLOAT, ["N", K, hm, hm])],
        initializer=inits,
    )
    return _save_hrnet_like(graph, folder, model_id, K, "wflw98", "Tiny test heatmap model")


RED_RGB = (255, 0, 0)
BLUE_RGB = (0, 0, 255)


def mark_colours(list_file: Path) -> None:
    """Paint a pure red square top-left and a pure blue one top-right into every image of a
    `write_wflw_dataset` folder, so a test can check the shown pixels' channel order."""
    for png in (list_file.parent / "WFLW_images" / "synthetic").glob("*.png"):
        img = cv2.imread(str(png))
        img[0:16, 0:16] = RED_RGB[::-1]  # OpenCV writes BGR
        img[0:16, -16:] = BLUE_RGB[::-1]
        cv2.imwrite(str(png), img)


def write_dev_faces_set(
    dev_faces: Path, folder: Path, per_image: int = 13, seed: int = 0, max_side: int = 360
) -> Path:
    """A folder of ``16 * per_image`` colour faces with 68-point ``.pts`` files, made from the
    real 300-W faces in ``dev_faces`` (research-only: written under a test's tmp_path, never
    committed): each face as it is, mirrored (points re-indexed with the 300-W flip pairs),
    cropped around the face at several offsets and sizes, and with its brightness changed."""
    from facealign_gui.core.schemes import get_scheme
    from facealign_gui.datasets.pts import format_pts, parse_pts
    from facealign_gui.session.mirror import flip_permutation

    perm = flip_permutation(68, get_scheme("300w68").flip_pairs)
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for pts_file in sorted(dev_faces.glob("*.pts")):
        img_file = next(
            pts_file.with_suffix(s) for s in (".jpg", ".png") if pts_file.with_suffix(s).exists()
        )
        img = cv2.imread(str(img_file))
        pts = parse_pts(pts_file)
        f = max_side / max(img.shape[:2])  # small images: a journey of hundreds stays fast
        if f < 1:
            img = cv2.resize(img, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
            pts = (pts + 0.5) * f - 0.5
        h, w = img.shape[:2]
        for v in range(per_image):
            out, p = img, pts.copy()
            if v % 2 == 1:  # mirrored
                out = out[:, ::-1]
                p = p[perm].copy()
                p[:, 0] = w - 1 - p[:, 0]
            if v >= 2:  # a crop around the face, shifted and sized at random
                lo, hi = np.nanmin(p, axis=0), np.nanmax(p, axis=0)
                side = (hi - lo).max() * rng.uniform(1.4, 2.2)
                cx, cy = (lo + hi) / 2 + rng.uniform(-0.15, 0.15, 2) * side
                x0 = int(np.clip(cx - side / 2, 0, w - 2))
                y0 = int(np.clip(cy - side / 2, 0, h - 2))
                x1 = int(np.clip(cx + side / 2, x0 + 2, w))
                y1 = int(np.clip(cy + side / 2, y0 + 2, h))
                out = out[y0:y1, x0:x1]
                p = p - (x0, y0)
            if v % 3 == 2:
                out = np.clip(out.astype(np.float32) * rng.uniform(0.7, 1.3), 0, 255).astype(
                    np.uint8
                )
            name = f"{pts_file.stem}_v{v:02d}"
            cv2.imwrite(str(folder / f"{name}.jpg"), np.ascontiguousarray(out))
            (folder / f"{name}.pts").write_text(format_pts(p))
    return folder


def write_random_model(
    folder: Path, model_id: str = "random_68", k: int = 68, seed: int = 1
) -> Path:
    """A random-weight 68-point heatmap model (64x64 input, heatmaps of 16x16) and its card:
    a "second model" that disagrees with any trained one."""
    from onnx import TensorProto, helper, numpy_helper

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    hm = 16
    w = rng.normal(0, 0.2, (k, 3, 4, 4)).astype(np.float32)  # a random 4x4 stride-4 conv
    nodes = [
        helper.make_node("Conv", ["input", "w"], ["heatmaps"], kernel_shape=[4, 4], strides=[4, 4])
    ]
    graph = helper.make_graph(
        nodes,
        model_id,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 64, 64])],
        [helper.make_tensor_value_info("heatmaps", TensorProto.FLOAT, ["N", k, hm, hm])],
        initializer=[numpy_helper.from_array(w, "w")],
    )
    return _save_hrnet_like(graph, folder, model_id, k, "300w68", "Random-weight test model")


def _save_hrnet_like(
    graph: object, folder: Path, model_id: str, k: int, scheme: str, name: str
) -> Path:
    """Save ``graph`` (64x64 input, heatmaps of stride 4) with an HRNet-style card."""
    import onnx
    from onnx import helper

    from facealign_gui.inference.card import CropSpec, DecoderSpec, InputSpec, ModelCard, save_card

    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx_path = folder / f"{model_id}.onnx"
    onnx.save(model, str(onnx_path))
    card = ModelCard(
        id=model_id,
        family="hrnet",
        num_points=k,
        onnx=onnx_path.name,
        scheme=scheme,
        name=name,
        input=InputSpec(name="input", size=(64, 64), colour="rgb"),
        crop=CropSpec(rule="hrnet_center_scale", scale_factor=1.25, box_source="dataset"),
        decoder=DecoderSpec(subpixel="quarter", heatmap_stride=4.0),
        outputs={"heatmaps": "heatmaps"},
    )
    card_path = folder / f"{model_id}.toml"
    save_card(card, card_path)
    return card_path
