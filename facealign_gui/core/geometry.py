"""Crop geometry: HRNet's center/scale boxes, the image->crop affine, and its inverse.

Conventions
-----------
- Image coordinates are float pixels, 0-based, with the centre of the top-left pixel at
  (0, 0) (OpenCV, HRNet CSVs). A crop/heatmap of size S uses the same convention.
- ``scale`` is HRNet's: box side in pixels / 200 (``lib/datasets/*.py`` read it from the CSV).
  HRNet's datasets multiply it by ``HRNET_SCALE_FACTOR`` (1.25) *before* cropping
  (``face300w.py``: ``scale *= 1.25``), and its test decodes with that enlarged value
  (``meta['scale']``). Every function here takes the scale **as used by the crop**: callers
  holding a CSV scale pass ``csv_scale * HRNET_SCALE_FACTOR``. Nothing here enlarges silently.
- ``output_size`` is (width, height).
- ``mode="precise"``: the ideal similarity transform. Image point ``c`` maps to the crop's
  geometric middle ((W - 1) / 2, (H - 1) / 2); the crop spans ``200 * scale`` image pixels,
  so a heatmap of any size is consistent with the input crop (pixel-centre aligned).
- ``mode="official"``: HRNet's published test-time path (``lib/utils/transforms.py``
  ``crop``/``transform_pixel``/``transform_preds``): integer crop corners computed with their
  1-based ``transform_pixel`` (``int()`` truncation, then ``+ 1``), a pre-shrink of the whole
  image when the box is at least twice the output size, scipy's ``imresize`` contrast stretch
  (``bytescale``) and Pillow's bilinear resize (Pillow itself, see `_hrnet_official`).
  The returned matrix is the effective pixel-centre mapping of that path. Rotation is not part
  of HRNet's test path and is refused in official mode.
"""

from __future__ import annotations

import math

import numpy as np

from facealign_gui.core._hrnet_official import (
    hrnet_transform_pixel,
    official_crop,
    official_layout,
    official_matrix,
)

__all__ = [
    "HRNET_SCALE_FACTOR",
    "box_from_points",
    "center_scale_from_box",
    "center_scale_from_points",
    "crop_image",
    "crop_matrix",
    "hrnet_transform_pixel",
    "invert_affine",
    "transform_points",
    "transform_preds",
]

HRNET_SCALE_FACTOR = 1.25
"""HRNet's datasets enlarge the CSV scale by this factor before cropping and decoding."""

_MODES = ("official", "precise")


def _check_mode(mode: str) -> None:
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")


def _valid_xy(points: np.ndarray, visible: np.ndarray | None) -> np.ndarray:
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise ValueError(f"points must have shape (K, 2), got {pts.shape}")
    keep = np.all(np.isfinite(pts), axis=1)
    if visible is not None:
        vis = np.asarray(visible, dtype=bool)
        if vis.shape != (pts.shape[0],):
            raise ValueError(f"visible must have shape ({pts.shape[0]},), got {vis.shape}")
        keep &= vis
    if not keep.any():
        raise ValueError("no visible, finite landmark to compute a box from")
    return pts[keep]


def box_from_points(points: np.ndarray, visible: np.ndarray | None = None) -> np.ndarray:
    """Tight float box (x1, y1, x2, y2) around the visible, finite points."""
    pts = _valid_xy(points, visible)
    return np.concatenate([pts.min(axis=0), pts.max(axis=0)])


def center_scale_from_box(box: np.ndarray) -> tuple[np.ndarray, float]:
    """HRNet's center (box middle) and scale (longer side / 200) of an (x1, y1, x2, y2) box."""
    x1, y1, x2, y2 = (float(v) for v in np.asarray(box, dtype=np.float64).reshape(4))
    center = np.array([(x1 + x2) / 2.0, (y1 + y2) / 2.0])
    return center, max(x2 - x1, y2 - y1) / 200.0


def center_scale_from_points(
    points: np.ndarray, visible: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """The center/scale HRNet's 300W CSVs store for a face's landmarks.

    The box is ``floor`` of the smallest and ``ceil`` of the largest visible coordinate;
    center = its middle, scale = max(width, height) / 200. This reproduces the ``scale``,
    ``center_w`` and ``center_h`` columns of all four ``face_landmarks_300w_*.csv`` files
    bit for bit (the stored decimals parse to the same doubles; see tests/core).
    """
    x1, y1, x2, y2 = box_from_points(points, visible)
    return center_scale_from_box(np.array([math.floor(x1), math.floor(y1), math.ceil(x2),
                                           math.ceil(y2)], dtype=np.float64))  # fmt: skip


def transform_points(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Apply a 2x3 affine to points of shape (..., 2)."""
    pts = np.asarray(points, dtype=np.float64)
    m = np.asarray(matrix, dtype=np.float64)
    if m.shape != (2, 3):
        raise ValueError(f"matrix must be 2x3, got {m.shape}")
    return pts @ m[:, :2].T + m[:, 2]


def invert_affine(matrix: np.ndarray) -> np.ndarray:
    """Inverse of a 2x3 affine, as 2x3."""
    m = np.asarray(matrix, dtype=np.float64)
    if m.shape != (2, 3):
        raise ValueError(f"matrix must be 2x3, got {m.shape}")
    a = m[:, :2]
    det = a[0, 0] * a[1, 1] - a[0, 1] * a[1, 0]
    if det == 0 or not np.isfinite(det):
        raise ValueError("affine matrix is singular")
    inv = np.linalg.inv(a)
    return np.hstack([inv, -(inv @ m[:, 2])[:, None]])


def _precise_matrix(
    center: np.ndarray, scale: float, output_size: tuple[int, int], rotation: float
) -> np.ndarray:
    w, h = float(output_size[0]), float(output_size[1])
    k = w / (200.0 * float(scale))
    r = math.radians(rotation)
    cs, sn = math.cos(r), math.sin(r)
    # Positive rotation turns the face content counter-clockwise on screen (y down), as
    # HRNet's get_transform / imrotate do.
    a = k * np.array([[cs, sn], [-sn, cs]])
    c = np.asarray(center, dtype=np.float64).reshape(2)
    t = np.array([(w - 1.0) / 2.0, (h - 1.0) / 2.0]) - a @ c
    return np.hstack([a, t[:, None]])


def crop_matrix(
    center: np.ndarray,
    scale: float,
    output_size: tuple[int, int],
    rotation: float = 0.0,
    mode: str = "official",
    image_size: tuple[int, int] | None = None,
) -> np.ndarray:
    """2x3 affine mapping image pixels to crop pixels.

    Parameters
    ----------
    center, scale : the crop's center and scale, scale **already enlarged** by the caller
        (HRNet: ``csv_scale * HRNET_SCALE_FACTOR``).
    output_size : (width, height) of the crop.
    rotation : degrees, counter-clockwise on screen (precise mode only).
    mode : ``"official"`` (HRNet's integer corners) or ``"precise"``.
    image_size : (width, height) of the source image; official mode needs it only when the
        box is at least twice the output size (HRNet then shrinks the whole image first).
    """
    _check_mode(mode)
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale}")
    if mode == "precise":
        return _precise_matrix(center, scale, output_size, rotation)
    if rotation != 0:
        raise ValueError("official mode reproduces HRNet's test-time crop, which has no rotation")
    return official_matrix(official_layout(center, scale, output_size, image_size))


def crop_image(
    image: np.ndarray,
    center: np.ndarray,
    scale: float,
    output_size: tuple[int, int],
    rotation: float = 0.0,
    mode: str = "official",
) -> tuple[np.ndarray, np.ndarray]:
    """Crop ``image`` (H, W[, C]); returns (crop, 2x3 image->crop matrix).

    official: HRNet's test-time ``crop`` reproduced step by step: the contrast stretch of
    scipy's ``imresize`` (min..max of the float image to 0..255), Pillow's bilinear resize,
    zero padding outside the image; returns uint8 like theirs.
    precise: ``cv2.warpAffine`` with the precise matrix, bilinear, zero border, the image's
    dtype, no contrast stretch. When the crop shrinks the face by 2x or more, the region it
    reads is first box-averaged by the integer factor (``cv2.INTER_AREA``) so that bilinear
    sampling does not alias; the returned matrix is unchanged (it still maps image pixels).
    """
    _check_mode(mode)
    img = np.asarray(image)
    if img.ndim not in (2, 3):
        raise ValueError(f"image must be (H, W) or (H, W, C), got shape {img.shape}")
    if mode == "precise":
        m = crop_matrix(center, scale, output_size, rotation, mode="precise")
        size = (int(output_size[0]), int(output_size[1]))
        return _warp_antialiased(img, m, size), m
    if rotation != 0:
        raise ValueError("official mode reproduces HRNet's test-time crop, which has no rotation")
    return official_crop(img, center, scale, output_size)


def _warp_antialiased(img: np.ndarray, m: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    import cv2

    a = m[:, :2]
    factor = int(1.0 / max(np.sqrt(abs(a[0, 0] * a[1, 1] - a[0, 1] * a[1, 0])), 1e-12))
    src, mat = img, m
    if factor >= 2:
        # image region the crop reads, one small pixel of margin, whole multiples of factor
        corners = np.array([[-1.0, -1.0], [size[0], -1.0], [-1.0, size[1]], [size[0], size[1]]])
        box = transform_points(corners, invert_affine(m))
        x0 = max(0, int(np.floor(box[:, 0].min())) - factor)
        y0 = max(0, int(np.floor(box[:, 1].min())) - factor)
        x1 = min(img.shape[1], int(np.ceil(box[:, 0].max())) + factor)
        y1 = min(img.shape[0], int(np.ceil(box[:, 1].max())) + factor)
        w, h = (x1 - x0) // factor, (y1 - y0) // factor
        if w >= 1 and h >= 1:
            region = img[y0 : y0 + h * factor, x0 : x0 + w * factor]
            src = cv2.resize(region, (w, h), interpolation=cv2.INTER_AREA)
            # small pixel u covers image pixels x0 + f*u .. x0 + f*u + f - 1:
            # x = f * u + x0 + (f - 1) / 2
            up = np.array(
                [[factor, 0.0, x0 + (factor - 1) / 2], [0.0, factor, y0 + (factor - 1) / 2]]
            )
            mat = np.hstack([a @ up[:, :2], (a @ up[:, 2] + m[:, 2])[:, None]])
    out = cv2.warpAffine(
        src, mat, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0
    )
    if img.ndim == 3 and out.ndim == 2:
        out = out[:, :, None]
    return out


def transform_preds(
    coords: np.ndarray,
    center: np.ndarray,
    scale: float,
    output_size: tuple[int, int],
    mode: str = "official",
) -> np.ndarray:
    """Heatmap coordinates of one face -> image coordinates.

    Parameters
    ----------
    coords : (K, 2) **0-based** heatmap pixel coordinates (argmax index plus any sub-pixel
        offset), in a heatmap of ``output_size`` = (width, height).
    center, scale : the crop's center and (already enlarged) scale.
    mode : ``"official"``: HRNet's ``decode_preds`` + ``transform_preds``: their coordinate
        is ours + 1 (1-based index) + 0.5, then ``transform_pixel(invert=1)`` subtracts 1,
        applies ``inv(get_transform)``, truncates toward zero and adds 1. The results are
        integers (float dtype). ``"precise"``: the float inverse of
        ``crop_matrix(center, scale, output_size, mode="precise")``.

    Notes
    -----
    official = trunc(precise) + 1 for points inside the image: HRNet's decoded points sit on
    average half a pixel right of and below the precise ones. Non-finite coordinates give NaN.
    """
    _check_mode(mode)
    c0 = np.asarray(coords, dtype=np.float64)
    if mode == "precise":
        inv = invert_affine(crop_matrix(center, scale, output_size, mode="precise"))
        return transform_points(c0, inv)
    finite = np.isfinite(c0).all(axis=-1)
    theirs = np.where(finite[..., None], c0, 0.0) + 1.5
    out = hrnet_transform_pixel(theirs, center, scale, output_size, invert=True, tensor_scale=True)
    return np.where(finite[..., None], out.astype(np.float64), np.nan)


# -- many faces at once ------------------------------------------------------------------
# `centers_scales_from_points` gives, row for row, exactly the doubles that
# `center_scale_from_points` gives for one face: the same float64 operations in the same
# order (tests/datasets/test_wflw_list_fast.py checks it on the real WFLW lists).

NO_POINT = "no visible, finite landmark to compute a box from"


def centers_scales_from_points(
    points: np.ndarray, visible: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Centre (N, 2) and scale (N,) of every face of ``points`` (N, K, 2).

    A point counts when its coordinates are finite (and, with ``visible`` (N, K), when it is
    visible). A face with no such point gets NaN centre and scale.
    """
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim != 3 or pts.shape[2] != 2:
        raise ValueError(f"points must have shape (N, K, 2), got {pts.shape}")
    keep = np.isfinite(pts).all(axis=2)
    if visible is not None:
        vis = np.asarray(visible, dtype=bool)
        if vis.shape != keep.shape:
            raise ValueError(f"visible must have shape {keep.shape}, got {vis.shape}")
        keep &= vis
    some = keep.any(axis=1)
    if keep.all():
        lo, hi = pts.min(axis=1), pts.max(axis=1)
    else:
        lo = np.where(keep[..., None], pts, np.inf).min(axis=1)
        hi = np.where(keep[..., None], pts, -np.inf).max(axis=1)
        lo[~some] = 0.0  # keeps inf - inf (and its warning) out of the arithmetic below
        hi[~some] = 0.0
    lo, hi = np.floor(lo), np.ceil(hi)
    centers = (lo + hi) / 2.0
    side = hi - lo
    scales = np.maximum(side[:, 0], side[:, 1]) / 200.0
    centers[~some] = np.nan
    scales[~some] = np.nan
    return centers, scales


# -- the authors' integer box rules ----------------------------------------------------


def _finite_box(box: np.ndarray) -> np.ndarray:
    b = np.asarray(box, dtype=np.float64).reshape(4)
    if not np.isfinite(b).all():
        raise ValueError(f"face box {tuple(b)} is not finite")
    return b


def pfld_square(box: np.ndarray, enlarge: float) -> tuple[int, int, int]:
    """PFLD's square crop of a landmark box as ``(x0, y0, side)`` in image pixels.

    PFLD's ``data/SetPreparation.py`` (whose crops HIH trains and tests on) reads the
    landmarks as float32 and takes ``xy = min.astype(int32)``, ``zz = max.astype(int32)``:
    truncation toward zero, so a landmark at -1.5 gives -1, not -2. Then ``wh = zz - xy + 1``,
    ``centre = (xy + wh / 2).astype(int32)``, ``side = int(max(wh) * enlarge)`` and the
    square starts at ``centre - side // 2``. Outputs are fractions of that square.
    """
    b = _finite_box(box)
    lo = b[:2].astype(np.float32).astype(np.int64)  # astype(int) truncates toward zero
    hi = b[2:].astype(np.float32).astype(np.int64)
    wh = hi - lo + 1
    centre = np.trunc(lo + wh / 2.0).astype(np.int64)
    side = int(float(np.max(wh)) * enlarge)
    x0, y0 = (int(v) for v in centre - side // 2)
    return x0, y0, side


def pipnet_300w_box(
    box: np.ndarray,
    pad: tuple[float, float, float, float],
    width: int,
    height: int,
    clip: bool = True,
) -> tuple[int, int, int, int]:
    """PIPNet's 300W test crop of a landmark box as ``(x0, y0, w, h)`` in their pixel frame.

    ``process_300w`` in PIPNet's ``lib/preprocess.py`` reads the 1-based ``.pts`` values and
    truncates each with ``int(float(x))``; the box is the min/max of those integers; its
    corner moves out by ``int(pad * size)``; the size becomes ``int(size * (1 + pad_left +
    pad_right))`` (their ``scale = 1.1``: pad 0.05 per side); with ``clip`` the corner is
    clamped at 0 and the size at ``image_size - corner - 1``. The crop is
    ``image[y0:y0 + h, x0:x0 + w]`` and a prediction u maps to ``.pts`` coordinate
    ``x0 + u * w``, i.e. to our 0-based ``x0 + u * w - 1``.

    ``box`` is our 0-based landmark box; ``width``/``height`` the image size.
    """
    b = _finite_box(box) + 1.0  # back to the 1-based values of the .pts file
    x1, y1, x2, y2 = (int(v) for v in b)  # int(float(x)): toward zero, as they do
    bw, bh = x2 - x1, y2 - y1
    x1 -= int(pad[0] * bw)
    y1 -= int(pad[1] * bh)
    bw = int(bw * (1.0 + pad[0] + pad[2]))
    bh = int(bh * (1.0 + pad[1] + pad[3]))
    if clip:
        x1, y1 = max(x1, 0), max(y1, 0)
        bw, bh = min(bw, width - x1 - 1), min(bh, height - y1 - 1)
    return x1, y1, bw, bh
