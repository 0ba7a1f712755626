"""Test-only reference: Pillow's bilinear resize as the authors' Pillow ran it, in numpy.

The package calls Pillow itself (`facealign_gui.core._hrnet_official.pil_resize`); this
slow, independent re-implementation cross-checks it, so a Pillow release that changes the
arithmetic or the pass order (Pillow 13) cannot silently change the official crop.

Pillow (>= 4) resamples separably, horizontal pass then
vertical pass, with a triangle filter whose support grows with the down-scaling factor
(anti-aliasing), coefficients normalised to sum 1 and converted to fixed point with 22
fractional bits, an 8-bit intermediate image, and round-half-up with clipping
(Pillow ``libImaging/Resample.c``). This module follows those steps, bit for bit against
Pillow 6.2 (read) and 10.0 (run). Pillow 13 (PR #9549) runs the vertical pass first when the
height shrinks much more than the width (tall images), which can move a pixel by 1 level;
HRNet's results predate that, so the horizontal-first order is kept.
"""

from __future__ import annotations

import numpy as np

_PRECISION_BITS = 32 - 8 - 2


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


def _resample_axis(img: np.ndarray, in_size: int, out_size: int, axis: int) -> np.ndarray:
    """Resample ``img`` along ``axis`` from ``in_size`` to ``out_size`` pixels."""
    xmin, k = _coefficients(in_size, out_size)
    # contiguous along the resampled axis first: gathers then copy whole slabs
    src = np.ascontiguousarray(np.moveaxis(img, axis, 0), dtype=np.int32)
    n = out_size
    # Pillow accumulates in INT32: 255 * 2**22 * (sum of weights ~ 1) stays below 2**31.
    acc = np.full((n, *src.shape[1:]), 1 << (_PRECISION_BITS - 1), dtype=np.int32)
    shape = (n,) + (1,) * (src.ndim - 1)
    for t in range(k.shape[1]):
        if not k[:, t].any():
            continue
        idx = np.clip(xmin + t, 0, src.shape[0] - 1)
        acc += src[idx] * k[:, t].astype(np.int32).reshape(shape)
    out = np.clip(acc >> _PRECISION_BITS, 0, 255).astype(np.uint8)
    return np.moveaxis(out, 0, axis)


def resize_bilinear(img: np.ndarray, width: int, height: int) -> np.ndarray:
    """Pillow (4 to 12) ``Image.resize((width, height), BILINEAR)`` of a uint8 (H, W[, C])."""
    if img.dtype != np.uint8:
        raise ValueError(f"expected uint8, got {img.dtype}")
    out = img
    if img.shape[1] != width:  # horizontal pass first
        out = _resample_axis(out, img.shape[1], width, 1)
    if img.shape[0] != height:
        out = _resample_axis(out, img.shape[0], height, 0)
    return np.ascontiguousarray(out)
