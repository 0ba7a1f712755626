"""scipy.misc.imresize as HRNet used it, re-implemented in numpy (neither exists at runtime).

``imresize`` (scipy < 1.3) first converted a float array with ``bytescale``: min..max of the
whole array stretched to 0..255, ``+ 0.5`` and truncated to uint8. It then called Pillow's
``Image.resize(size, BILINEAR)``. Pillow (>= 4) resamples separably, horizontal pass then
vertical pass, with a triangle filter whose support grows with the down-scaling factor
(anti-aliasing), coefficients normalised to sum 1 and converted to fixed point with 22
fractional bits, an 8-bit intermediate image, and round-half-up with clipping
(Pillow ``libImaging/Resample.c``). This module follows those steps, bit for bit against
Pillow 6.2 (read) and 10.0 (run). Pillow 13 (PR #9549) runs the vertical pass first when the
height shrinks much more than the width, which can move a pixel by 1 level; HRNet's results
predate that, so the horizontal-first order is kept.
"""

from __future__ import annotations

import numpy as np

_PRECISION_BITS = 32 - 8 - 2


def bytescale(data: np.ndarray, cmin: float | None = None, cmax: float | None = None) -> np.ndarray:
    """scipy.misc.bytescale (uint8 input is returned unchanged).

    ``cmin``/``cmax`` default to the array's own min/max; pass the whole image's values to
    scale a window of it exactly as the whole image would be.
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


def _coefficients(in_size: int, out_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Per output pixel: first input index and fixed-point weights (out_size, ksize)."""
    scale = in_size / out_size
    filterscale = max(scale, 1.0)
    support = 1.0 * filterscale
    ksize = int(np.ceil(support)) * 2 + 1
    xx = np.arange(out_size, dtype=np.float64)
    center = (xx + 0.5) * scale
    xmin = np.trunc(center - support + 0.5).astype(np.int64)
    xmin = np.maximum(xmin, 0)
    xmax = np.minimum(np.trunc(center + support + 0.5).astype(np.int64), in_size) - xmin
    taps = np.arange(ksize)
    arg = (taps[None, :] + xmin[:, None] - center[:, None] + 0.5) * (1.0 / filterscale)
    w = np.clip(1.0 - np.abs(arg), 0.0, None)
    w[taps[None, :] >= xmax[:, None]] = 0.0
    ww = w.sum(axis=1, keepdims=True)
    w = np.divide(w, ww, out=np.zeros_like(w), where=ww != 0)
    scaled = w * (1 << _PRECISION_BITS)
    fixed = np.where(scaled < 0, np.trunc(scaled - 0.5), np.trunc(scaled + 0.5)).astype(np.int64)
    return xmin, fixed


def _resample_axis(
    img: np.ndarray, in_size: int, out_size: int, axis: int, lo: int, hi: int, start: int
) -> np.ndarray:
    """Outputs ``lo:hi`` along ``axis``; ``img`` holds input pixels ``start:`` of ``in_size``."""
    xmin, k = _coefficients(in_size, out_size)
    xmin, k = xmin[lo:hi], k[lo:hi]
    # contiguous along the resampled axis first: gathers then copy whole slabs
    src = np.ascontiguousarray(np.moveaxis(img, axis, 0), dtype=np.int32)
    n = hi - lo
    # Pillow accumulates in INT32: 255 * 2**22 * (sum of weights ~ 1) stays below 2**31.
    acc = np.full((n, *src.shape[1:]), 1 << (_PRECISION_BITS - 1), dtype=np.int32)
    shape = (n,) + (1,) * (src.ndim - 1)
    for t in range(k.shape[1]):
        if not k[:, t].any():
            continue
        idx = np.clip(xmin + t - start, 0, src.shape[0] - 1)
        acc += src[idx] * k[:, t].astype(np.int32).reshape(shape)
    out = np.clip(acc >> _PRECISION_BITS, 0, 255).astype(np.uint8)
    return np.moveaxis(out, 0, axis)


def _needed(in_size: int, out_size: int, lo: int, hi: int) -> tuple[int, int]:
    if in_size == out_size:
        return lo, hi
    xmin, k = _coefficients(in_size, out_size)
    return int(xmin[lo:hi].min()), int(min(in_size, (xmin[lo:hi] + k.shape[1]).max()))


def source_window(
    in_size: tuple[int, int], out_size: tuple[int, int], region: tuple[int, int, int, int]
) -> tuple[int, int, int, int]:
    """Input pixels (x0, y0, x1, y1) that the output ``region`` (x0, y0, x1, y1) reads."""
    x0, x1 = _needed(in_size[0], out_size[0], region[0], region[2])
    y0, y1 = _needed(in_size[1], out_size[1], region[1], region[3])
    return x0, y0, x1, y1


def resize_bilinear(
    img: np.ndarray,
    width: int,
    height: int,
    region: tuple[int, int, int, int] | None = None,
    window: tuple[int, int, int, int] | None = None,
) -> np.ndarray:
    """Pillow ``Image.resize((width, height), BILINEAR)`` of a uint8 (H, W[, C]) array.

    ``region`` (x0, y0, x1, y1) computes only that part of the output, bit for bit as the
    full resize would. ``window`` = (x0, y0, W, H) says ``img`` is only the part of a W x H
    image starting at (x0, y0) (at least `source_window` of the region).
    """
    if img.dtype != np.uint8:
        raise ValueError(f"expected uint8, got {img.dtype}")
    if window is None:
        window = (0, 0, img.shape[1], img.shape[0])
    wx0, wy0, in_w, in_h = window
    rx0, ry0, rx1, ry1 = region if region is not None else (0, 0, width, height)
    sx0, sy0, sx1, sy1 = source_window((in_w, in_h), (width, height), (rx0, ry0, rx1, ry1))
    if sx0 < wx0 or sy0 < wy0 or sx1 - wx0 > img.shape[1] or sy1 - wy0 > img.shape[0]:
        raise ValueError(f"window {window} of shape {img.shape[:2]} misses pixels the region needs")
    out = img[sy0 - wy0 : sy1 - wy0]
    if in_w != width:  # Pillow: horizontal pass first, over the rows the vertical pass reads
        out = _resample_axis(out, in_w, width, 1, rx0, rx1, wx0)
    else:
        out = out[:, rx0 - wx0 : rx1 - wx0]
    if in_h != height:
        out = _resample_axis(out, in_h, height, 0, ry0, ry1, sy0)
    return np.ascontiguousarray(out)
