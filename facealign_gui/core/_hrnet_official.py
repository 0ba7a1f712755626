"""HRNet's published test-time crop and pixel maps, reproduced step by step.

Source: HRNet-Facial-Landmark-Detection ``lib/utils/transforms.py`` (``get_transform``,
``transform_pixel``, ``crop``) as driven by ``lib/datasets/face300w.py`` at test time
(no rotation) and ``lib/core/evaluation.py`` ``decode_preds``. Their pixel maps are 1-based:
``transform_pixel`` subtracts 1, applies the 3x3 transform, truncates toward zero
(``astype(int)``) and adds 1. Floating-point details that decide truncation at exact integer
results are kept: the center is held in float32, and at decode time ``number / scale`` is
computed by torch as ``scale.reciprocal() * number``. Public entry points are in
`facealign_gui.core.geometry`.

Their resizes are ``scipy.misc.imresize`` (scipy < 1.3): ``bytescale`` (the array's min..max
stretched to 0..255, ``+ 0.5``, truncated to uint8) and then Pillow's
``Image.resize(size, BILINEAR)``. Pillow is called here too (the same C code); since every
value reaching ``bytescale`` is an integer 0..255, it is applied as a 256-entry lookup table
computed with scipy's float32 arithmetic, which gives the same bytes.
"""

from __future__ import annotations

import math

import numpy as np


def bytescale(data: np.ndarray, cmin: float | None = None, cmax: float | None = None) -> np.ndarray:
    """scipy.misc.bytescale (uint8 input is returned unchanged).

    ``cmin``/``cmax`` default to the array's own min/max.
    """
    if data.dtype == np.uint8:
        return data
    arr = np.asarray(data, dtype=np.float32)
    lo = arr.min() if cmin is None else np.float32(cmin)
    hi = arr.max() if cmax is None else np.float32(cmax)
    cscale = hi - lo
    if cscale == 0:
        cscale = 1
    # NumPy < 2: Python float / float32 scalar is a float64 scalar; the array op is float32.
    scale = np.float32(255.0 / float(cscale))
    byte = (arr - lo) * scale
    return (np.clip(byte, 0, 255) + np.float32(0.5)).astype(np.uint8)


def bytescale_levels(img: np.ndarray) -> np.ndarray:
    """``bytescale`` of a uint8 image's values taken as float32 (what HRNet passes), via a LUT."""
    import cv2

    flat = img.reshape(img.shape[0], -1)
    lo, hi = (int(v) for v in cv2.minMaxLoc(flat)[:2])
    if lo == 0 and hi == 255:  # the stretch is the identity
        return img
    lut = bytescale(np.arange(256, dtype=np.float32), lo, hi)
    return cv2.LUT(flat, lut).reshape(img.shape)


def pil_resize(img: np.ndarray, width: int, height: int) -> np.ndarray:
    """Pillow's ``Image.resize((width, height), BILINEAR)`` of a uint8 (H, W[, 3]) array.

    As one horizontal then one vertical pass, each a separate single-axis Pillow resize:
    that is the order of every Pillow the authors could use (4 to 12) and equals their
    two-pass resize bit for bit (same coefficients, same 8-bit intermediate). Pillow 13 may
    run the vertical pass first for tall images, which moves some pixels by one level.
    """
    from PIL import Image

    if img.dtype != np.uint8:
        raise ValueError(f"expected uint8, got {img.dtype}")
    h, w = img.shape[:2]
    im = Image.fromarray(img)
    if width != w:
        im = im.resize((width, h), Image.Resampling.BILINEAR)
    if height != h:
        im = im.resize((width, height), Image.Resampling.BILINEAR)
    return np.asarray(im)


def imresize(img: np.ndarray, width: int, height: int) -> np.ndarray:
    """``scipy.misc.imresize(img, (height, width))``, bilinear: bytescale, then Pillow."""
    byte = bytescale_levels(img) if img.dtype == np.uint8 else bytescale(img)
    return pil_resize(byte, width, height)


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


def official_layout(
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
    if br[0] <= ul[0] or br[1] <= ul[1]:
        raise ValueError(f"crop box is empty for center {center} and scale {scale}")
    return {"empty": False, "res": res, "ul": ul, "br": br, "shrink": shrink}


def official_matrix(layout: dict) -> np.ndarray:
    """Effective pixel-centre image->crop map: pre-shrink (Pillow's resize), slice, resize."""
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


def official_crop(
    img: np.ndarray, center: np.ndarray, scale: float, output_size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """HRNet's ``crop`` at test time: (uint8 crop, effective 2x3 image->crop matrix)."""
    ht, wd = img.shape[:2]
    layout = official_layout(center, scale, output_size, (wd, ht))
    res = layout["res"]
    m = official_matrix(layout)
    if layout["empty"]:
        return np.zeros((res, res, *img.shape[2:]), dtype=np.uint8), m
    ul, br = layout["ul"], layout["br"]
    if layout["shrink"] is not None:
        rows, cols = layout["shrink"][1], layout["shrink"][0]
    else:
        rows, cols = ht, wd
    # HRNet's canvas is float32; integer pixels 0..255 fit uint8 exactly (LUT bytescale)
    dtype = np.uint8 if img.dtype == np.uint8 else np.float32
    new = np.zeros((br[1] - ul[1], br[0] - ul[0], *img.shape[2:]), dtype=dtype)
    nx = max(0, -ul[0]), min(br[0], cols) - ul[0]
    ny = max(0, -ul[1]), min(br[1], rows) - ul[1]
    ox = max(0, ul[0]), min(cols, br[0])
    oy = max(0, ul[1]), min(rows, br[1])
    if nx[1] > nx[0] and ny[1] > ny[0]:
        src = img if layout["shrink"] is None else imresize(img, cols, rows)
        new[ny[0] : ny[1], nx[0] : nx[1]] = src[oy[0] : oy[1], ox[0] : ox[1]]
    return imresize(new, res, res), m
