"""scipy.misc.imresize as HRNet used it, re-implemented in numpy (neither exists at runtime).

``imresize`` (scipy < 1.3) first converted a float array with ``bytescale``: min..max of the
whole array stretched to 0..255, ``+ 0.5`` and truncated to uint8. It then called Pillow's
``Image.resize(size, BILINEAR)``. Pillow (>= 4) resamples separably, horizontal pass then
vertical pass, with a triangle filter whose support grows with the down-scaling factor
(anti-aliasing), coefficients normalised to sum 1 and converted to fixed point with 22
fractional bits, an 8-bit intermediate image, and round-half-up with clipping
(Pillow ``libImaging/Resample.c``). This module follows those steps.
"""

from __future__ import annotations

import numpy as np

_PRECISION_BITS = 32 - 8 - 2


def bytescale(data: np.ndarray) -> np.ndarray:
    """scipy.misc.bytescale with default arguments (uint8 input is returned unchanged)."""
    if data.dtype == np.uint8:
        return data
    arr = np.asarray(data, dtype=np.float32)
    cmin = arr.min()
    cmax = arr.max()
    cscale = cmax - cmin
    if cscale == 0:
        cscale = 1
    # NumPy < 2: Python float / float32 scalar is a float64 scalar; the array op is float32.
    scale = np.float32(255.0 / float(cscale))
    byte = (arr - cmin) * scale
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


def _resample_axis(img: np.ndarray, out_size: int, axis: int) -> np.ndarray:
    in_size = img.shape[axis]
    xmin, k = _coefficients(in_size, out_size)
    moved = np.moveaxis(img, axis, 0).astype(np.int64)
    idx = np.minimum(xmin[:, None] + np.arange(k.shape[1])[None, :], in_size - 1)
    gathered = moved[idx]  # (out, ksize, ...)
    kk = k.reshape(k.shape + (1,) * (moved.ndim - 1))
    acc = (gathered * kk).sum(axis=1) + (1 << (_PRECISION_BITS - 1))
    out = np.clip(acc >> _PRECISION_BITS, 0, 255).astype(np.uint8)
    return np.moveaxis(out, 0, axis)


def resize_bilinear(img: np.ndarray, width: int, height: int) -> np.ndarray:
    """Pillow ``Image.resize((width, height), BILINEAR)`` of a uint8 (H, W[, C]) array."""
    if img.dtype != np.uint8:
        raise ValueError(f"expected uint8, got {img.dtype}")
    out = img
    if out.shape[1] != width:
        out = _resample_axis(out, int(width), axis=1)
    if out.shape[0] != height:
        out = _resample_axis(out, int(height), axis=0)
    return np.ascontiguousarray(out)
