"""The one heatmap decoder: arg-max, HRNet's quarter-pixel shift, sub-pixel refinement.

Every heatmap family uses it: HRNet (arg-max + quarter shift, then its own transform),
the generic ``heatmap`` family (`decode_heatmaps` with the card's ``subpixel``), the Kaggle
stacked hourglass (plain arg-max) and HIH (arg-max of both of its heads).

Conventions: heatmaps are (N, K, H, W); coordinates are 0-based (x, y) heatmap pixels with
the centre of the top-left pixel at (0, 0). HRNet's ``lib/core/evaluation.py`` works 1-based
(``get_preds`` adds 1 to the flat arg-max index); the functions here return the same
locations minus 1.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SUBPIXEL", "argmax_2d", "decode_heatmaps", "quarter_offset", "subpixel_refine"]

#: ``subpixel`` values of a card's ``[decoder]`` table, as `decode_heatmaps` reads them.
SUBPIXEL = ("none", "quarter", "quadratic")


def _heatmaps(h: np.ndarray) -> np.ndarray:
    arr = np.asarray(h)
    if arr.ndim != 4:
        raise ValueError(f"heatmaps must have shape (N, K, H, W), got {arr.shape}")
    if arr.shape[2] < 1 or arr.shape[3] < 1:
        raise ValueError(f"heatmaps are empty: {arr.shape}")
    return arr


def argmax_2d(heatmaps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Location and value of each heatmap's maximum.

    Returns (coords (N, K, 2) float64 x, y; maxvals (N, K) float32). Ties go to the first
    maximum in row-major order, as ``torch.max`` and ``np.argmax`` do; a NaN is the maximum
    wherever one occurs.
    """
    h = _heatmaps(heatmaps)
    n, k, hh, ww = h.shape
    flat = h.reshape(n, k, hh * ww)
    idx = np.argmax(flat, axis=2)
    maxvals = np.take_along_axis(flat, idx[..., None], axis=2)[..., 0].astype(np.float32)
    coords = np.stack([idx % ww, idx // ww], axis=-1).astype(np.float64)
    return coords, maxvals


def _neighbour_diffs(
    h: np.ndarray, coords: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dx, dy, inside): right-left and below-above differences at integer ``coords``."""
    n, k, hh, ww = h.shape
    x = np.floor(coords[..., 0]).astype(np.int64)
    y = np.floor(coords[..., 1]).astype(np.int64)
    inside = (x >= 1) & (x <= ww - 2) & (y >= 1) & (y <= hh - 2)
    xc = np.clip(x, 1, max(ww - 2, 1))
    yc = np.clip(y, 1, max(hh - 2, 1))
    ni = np.arange(n)[:, None]
    ki = np.arange(k)[None, :]
    hf = h.astype(np.float64) if h.dtype == np.float16 else h
    if ww >= 3 and hh >= 3:
        dx = hf[ni, ki, yc, xc + 1] - hf[ni, ki, yc, xc - 1]
        dy = hf[ni, ki, yc + 1, xc] - hf[ni, ki, yc - 1, xc]
    else:
        dx = dy = np.zeros((n, k))
    return np.asarray(dx, dtype=np.float64), np.asarray(dy, dtype=np.float64), inside


def quarter_offset(heatmaps: np.ndarray, coords: np.ndarray) -> np.ndarray:
    """HRNet's rule: move 0.25 px toward the larger neighbour along x and along y.

    HRNet (``decode_preds``) applies it only when the 1-based peak ``p`` satisfies
    ``1 < p < size`` on both axes, i.e. 0-based ``1 <= x <= W-2`` and ``1 <= y <= H-2``;
    the step is ``sign(right - left) * 0.25`` (0 when the neighbours are equal). The sign of
    a difference of two floats does not depend on the precision it is computed in.

    Parameters
    ----------
    heatmaps : (N, K, H, W).
    coords : (N, K, 2) integer-valued 0-based peaks (from `argmax_2d`).
    """
    h = _heatmaps(heatmaps)
    c = np.asarray(coords, dtype=np.float64)
    dx, dy, inside = _neighbour_diffs(h, c)
    step = np.nan_to_num(np.stack([np.sign(dx), np.sign(dy)], axis=-1)) * 0.25  # NaN: no step
    return c + np.where(inside[..., None], step, 0.0)


def subpixel_refine(
    heatmaps: np.ndarray, coords: np.ndarray, method: str = "quadratic"
) -> np.ndarray:
    """Sub-pixel peak for generic heatmaps (not part of HRNet's published decoding).

    method
        ``"quadratic"``: per axis, the vertex of the parabola through the peak and its two
        neighbours, clipped to +-0.5 px.
        ``"dark"``: the same on ``log(max(h, eps))`` (DARK's Taylor step for Gaussian
        heatmaps, per axis, without its pre-blur).
    Peaks on the border are left as they are.
    """
    if method not in ("quadratic", "dark"):
        raise ValueError(f"unknown method {method!r}; expected 'quadratic' or 'dark'")
    h = _heatmaps(heatmaps).astype(np.float64)
    if method == "dark":
        h = np.log(np.maximum(h, 1e-10))
    c = np.asarray(coords, dtype=np.float64)
    n, k, hh, ww = h.shape
    x = np.floor(c[..., 0]).astype(np.int64)
    y = np.floor(c[..., 1]).astype(np.int64)
    inside = (x >= 1) & (x <= ww - 2) & (y >= 1) & (y <= hh - 2)
    if not inside.any():
        return c.copy()
    xc = np.clip(x, 1, max(ww - 2, 1))
    yc = np.clip(y, 1, max(hh - 2, 1))
    ni = np.arange(n)[:, None]
    ki = np.arange(k)[None, :]
    mid = h[ni, ki, yc, xc]
    out = c.copy()
    for axis, (a, b) in enumerate(
        (
            (h[ni, ki, yc, xc - 1], h[ni, ki, yc, xc + 1]),
            (h[ni, ki, yc - 1, xc], h[ni, ki, yc + 1, xc]),
        )
    ):
        curv = a - 2.0 * mid + b
        ok = inside & (curv < 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            off = np.where(ok, 0.5 * (a - b) / np.where(ok, curv, -1.0), 0.0)
        out[..., axis] += np.clip(off, -0.5, 0.5)
    return out


def decode_heatmaps(heatmaps: np.ndarray, subpixel: str = "none") -> tuple[np.ndarray, np.ndarray]:
    """(N, K, H, W) -> (x, y) in heatmap pixels (N, K, 2) float64 and peak values (N, K).

    ``none``: the arg-max; ``quarter``: HRNet's quarter-pixel step toward the larger
    neighbour (`quarter_offset`); ``quadratic``: the parabola vertex of `subpixel_refine`.
    Peaks on the border of the map are not moved.
    """
    if subpixel not in SUBPIXEL:
        raise ValueError(f"unknown sub-pixel mode {subpixel!r}; expected one of {SUBPIXEL}")
    xy, maxv = argmax_2d(heatmaps)
    if subpixel == "quarter":
        xy = quarter_offset(heatmaps, xy)
    elif subpixel == "quadratic":
        xy = subpixel_refine(heatmaps, xy, "quadratic")
    return xy, maxv
