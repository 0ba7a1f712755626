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
  (``bytescale``) and Pillow's bilinear resize (emulated in `facealign_gui.core._pil_resize`).
  The returned matrix is the effective pixel-centre mapping of that path. Rotation is not part
  of HRNet's test path and is refused in official mode.
"""

from __future__ import annotations

import math

import numpy as np

from facealign_gui.core import _pil_resize

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


# ------------------------------------------------------------------ HRNet's 1-based pixel maps
def _hrnet_transform(
    center: np.ndarray, scale: float, output_size: tuple[int, int], tensor_scale: bool = False
) -> np.ndarray:
    """The 3x3 matrix of HRNet's ``get_transform`` (no rotation), rounded as theirs.

    ``tensor_scale``: at decode time ``scale`` is a 0-d torch tensor, and ``number / tensor``
    is evaluated by torch as ``tensor.reciprocal() * number``; in the dataset's ``crop`` it is
    a numpy float and the division is a true division. The two differ in the last bit, which
    decides ``int()`` truncation whenever the exact result is an integer.
    """
    h = 200.0 * float(scale)
    cx, cy = float(center[0]), float(center[1])
    t = np.zeros((3, 3))
    if tensor_scale:
        r = 1.0 / h
        t[0, 0] = r * float(output_size[1])
        t[1, 1] = r * float(output_size[0])
        t[0, 2] = output_size[1] * (r * -cx + 0.5)
        t[1, 2] = output_size[0] * (r * -cy + 0.5)
    else:
        t[0, 0] = float(output_size[1]) / h
        t[1, 1] = float(output_size[0]) / h
        t[0, 2] = output_size[1] * (-cx / h + 0.5)
        t[1, 2] = output_size[0] * (-cy / h + 0.5)
    t[2, 2] = 1.0
    return t


def _float32_center(center: np.ndarray) -> np.ndarray:
    # HRNet holds the center in a float32 torch tensor (``torch.Tensor([center_w, center_h])``).
    return np.asarray(center, dtype=np.float32).astype(np.float64).reshape(2)


def hrnet_transform_pixel(
    points: np.ndarray,
    center: np.ndarray,
    scale: float,
    output_size: tuple[int, int],
    invert: bool = False,
    tensor_scale: bool = False,
) -> np.ndarray:
    """HRNet's ``transform_pixel`` for many points: 1-based in, integer 1-based out.

    Subtracts 1, applies ``get_transform`` (or its ``np.linalg.inv`` when ``invert``),
    truncates toward zero (``astype(int)``) and adds 1. ``center`` is rounded to float32 as
    HRNet stores it. ``tensor_scale=True`` reproduces the decode-time rounding (scale held in
    a torch tensor, see `_hrnet_transform`); False the dataset-time ``crop``. Returns int64
    of the same shape as ``points``.
    """
    t = _hrnet_transform(_float32_center(center), scale, output_size, tensor_scale)
    if invert:
        t = np.linalg.inv(t)
    pts = np.asarray(points, dtype=np.float64)
    x = pts[..., 0] - 1.0
    y = pts[..., 1] - 1.0
    nx = t[0, 0] * x + t[0, 1] * y + t[0, 2]
    ny = t[1, 0] * x + t[1, 1] * y + t[1, 2]
    return np.stack([np.trunc(nx), np.trunc(ny)], axis=-1).astype(np.int64) + 1


def _official_layout(
    center: np.ndarray,
    scale: float,
    output_size: tuple[int, int],
    image_size: tuple[int, int] | None,
) -> dict:
    """Integer corners and pre-shrink of HRNet's ``crop`` (test time, no rotation)."""
    if int(output_size[0]) != int(output_size[1]):
        raise ValueError(f"official mode needs a square output size, got {output_size}")
    res = int(output_size[0])
    c = _float32_center(center)
    s = float(scale)
    sf = s * 200.0 / res
    shrink = None
    if sf >= 2:
        if image_size is None:
            raise ValueError(
                "official mode needs image_size=(width, height) when 200*scale >= "
                f"2*output size (here {200 * s:.1f} px for {res} px): HRNet shrinks the image first"
            )
        wd, ht = int(image_size[0]), int(image_size[1])
        new_ht, new_wd = math.floor(ht / sf), math.floor(wd / sf)
        if math.floor(max(ht, wd) / sf) < 2:
            return {"empty": True, "res": res}
        # center_new is a float32 tensor divided in float32; scale is a float64.
        # center_new is a float32 tensor: ``center_new[0] * 1.0 / sf`` divides in float32.
        c32 = np.asarray(center, dtype=np.float32).reshape(2)
        c = (c32 / np.float32(sf)).astype(np.float64)
        s = s / sf
        shrink = (new_wd, new_ht, wd, ht)
    size = (res, res)
    ul = hrnet_transform_pixel(np.array([0.0, 0.0]), c, s, size, invert=True)
    br = hrnet_transform_pixel(np.array([float(res), float(res)]), c, s, size, invert=True)
    # transform_pixel's +1 is already inside hrnet_transform_pixel; the 0-based array slice
    # of HRNet's crop starts at ul and ends before br.
    return {"empty": False, "res": res, "ul": ul, "br": br, "shrink": shrink}


def _official_matrix(layout: dict) -> np.ndarray:
    res = layout["res"]
    if layout["empty"]:
        return np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    m = np.eye(3)
    if layout["shrink"] is not None:
        new_wd, new_ht, wd, ht = layout["shrink"]
        sx, sy = new_wd / wd, new_ht / ht
        m = np.array([[sx, 0.0, 0.5 * sx - 0.5], [0.0, sy, 0.5 * sy - 0.5], [0.0, 0.0, 1.0]])
    ul, br = layout["ul"], layout["br"]
    kx = res / float(br[0] - ul[0])
    ky = res / float(br[1] - ul[1])
    crop = np.array(
        [
            [kx, 0.0, (0.5 - ul[0]) * kx - 0.5],
            [0.0, ky, (0.5 - ul[1]) * ky - 0.5],
            [0.0, 0.0, 1.0],
        ]
    )
    return (crop @ m)[:2]


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
    return _official_matrix(_official_layout(center, scale, output_size, image_size))


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
    dtype, no contrast stretch.
    """
    _check_mode(mode)
    img = np.asarray(image)
    if img.ndim not in (2, 3):
        raise ValueError(f"image must be (H, W) or (H, W, C), got shape {img.shape}")
    if mode == "precise":
        import cv2

        m = crop_matrix(center, scale, output_size, rotation, mode="precise")
        size = (int(output_size[0]), int(output_size[1]))
        out = cv2.warpAffine(
            img, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0
        )
        if img.ndim == 3 and out.ndim == 2:
            out = out[:, :, None]
        return out, m
    if rotation != 0:
        raise ValueError("official mode reproduces HRNet's test-time crop, which has no rotation")
    ht, wd = img.shape[:2]
    layout = _official_layout(center, scale, output_size, (wd, ht))
    res = layout["res"]
    m = _official_matrix(layout)
    if layout["empty"]:
        return np.zeros((res, res, *img.shape[2:]), dtype=np.uint8), m
    ul, br = layout["ul"], layout["br"]
    if layout["shrink"] is not None:
        rows, cols = layout["shrink"][1], layout["shrink"][0]
    else:
        rows, cols = ht, wd
    new = np.zeros((br[1] - ul[1], br[0] - ul[0], *img.shape[2:]), dtype=np.float32)
    nx = max(0, -ul[0]), min(br[0], cols) - ul[0]
    ny = max(0, -ul[1]), min(br[1], rows) - ul[1]
    ox = max(0, ul[0]), min(cols, br[0])
    oy = max(0, ul[1]), min(rows, br[1])
    if nx[1] > nx[0] and ny[1] > ny[0]:
        new[ny[0] : ny[1], nx[0] : nx[1]] = _official_source(img, layout, ox, oy)
    out = _pil_resize.resize_bilinear(_pil_resize.bytescale(new), res, res)
    return out, m


def _official_source(
    img: np.ndarray, layout: dict, ox: tuple[int, int], oy: tuple[int, int]
) -> np.ndarray:
    """Pixels [oy, ox] of the image HRNet crops from: the image itself, or its shrunk copy.

    HRNet shrinks the whole image (``imresize``: bytescale over the whole image, then
    Pillow's resize); only the shrunk pixels inside the crop are computed here, with the
    whole image's min/max, which gives the same values.
    """
    if layout["shrink"] is None:
        return img[oy[0] : oy[1], ox[0] : ox[1]].astype(np.float32)
    new_wd, new_ht, wd, ht = layout["shrink"]
    region = (ox[0], oy[0], ox[1], oy[1])
    x0, y0, x1, y1 = _pil_resize.source_window((wd, ht), (new_wd, new_ht), region)
    lo, hi = np.float32(img.min()), np.float32(img.max())
    window = _pil_resize.bytescale(img[y0:y1, x0:x1].astype(np.float32), lo, hi)
    part = _pil_resize.resize_bilinear(window, new_wd, new_ht, region, (x0, y0, wd, ht))
    return part.astype(np.float32)


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
    average half a pixel right of and below the precise ones.
    """
    _check_mode(mode)
    c0 = np.asarray(coords, dtype=np.float64)
    if mode == "precise":
        inv = invert_affine(crop_matrix(center, scale, output_size, mode="precise"))
        return transform_points(c0, inv)
    theirs = c0 + 1.5
    out = hrnet_transform_pixel(theirs, center, scale, output_size, invert=True, tensor_scale=True)
    return out.astype(np.float64)
