"""NME, failure rate, CED and AUC as the published evaluation code computes them.

Conventions
-----------
- Arrays: ``pred``/``gt`` are (N, K, 2) image pixels; per-image results are (N,).
- NME of an image = mean over its visible points of ||pred - gt|| / normaliser
  (HRNet ``lib/core/evaluation.py`` ``compute_nme``: sum over all K points / (norm * K);
  with ``visible=None`` every point counts, exactly as there).
- Normalisers: the scheme's published pair of ground-truth points (300W 36/45, WFLW 60/72,
  COFW 8/9), or the per-sample ``box_size`` for AFLW-19 (HRNet ``meta['box_size']``).
- Failure: an image fails when NME > threshold (HRNet ``function.py``: ``nme > 0.10``).
- CED/AUC follow PIPNet ``lib/functions.py`` ``compute_fr_and_auc``: thresholds
  ``np.arange(0, t + step, step)``, the fraction of images with NME <= each threshold, Simpson's
  rule as old ``scipy.integrate.simps(ys, x=xs)`` (``even='avg'`` when the number of samples
  is even), divided by t. Implemented in numpy here; scipy is not needed at runtime.
- Missing predictions: a ground-truth face the model gave no usable prediction for (no
  prediction, an all-NaN prediction, a NaN on a point that counts, a failed image) has NME
  ``+inf`` (`score_faces`). It is left out of the mean NME but counts as a failure in FR and
  as an error beyond every threshold in the CED and AUC (``summarize(...)["missing"]``).
- Unscorable faces: a NaN NME (no visible ground-truth point, no normaliser) says nothing
  about the model; it is left out of NME, FR and AUC and counted as ``unscorable``.
"""

from __future__ import annotations

import numpy as np

from facealign_gui.core.schemes import Scheme

__all__ = [
    "auc",
    "ced_curve",
    "counted_points",
    "failure_rate",
    "landmark_errors",
    "missing_reasons",
    "nme_per_image",
    "normalisers",
    "restrict_subsets",
    "score_faces",
    "summarize",
]

NORMALISER_KINDS = ("default", "inter_ocular", "inter_pupil", "box", "bbox_diag", "bbox_sqrt_area")


def _points(a: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(a, dtype=np.float64)
    if arr.ndim != 3 or arr.shape[2] != 2:
        raise ValueError(f"{name} must have shape (N, K, 2), got {arr.shape}")
    return arr


def normalisers(
    gt: np.ndarray,
    scheme: Scheme,
    box_sizes: np.ndarray | None = None,
    kind: str = "default",
) -> np.ndarray:
    """Per-image NME denominators, shape (N,).

    kind
        ``"default"``: the scheme's published normaliser (``inter_ocular`` or ``box``).
        ``"inter_ocular"``: distance between ``scheme.normaliser_indices``.
        ``"inter_pupil"``: distance between the means of ``scheme.pupils``.
        ``"box"``: ``box_sizes`` as given (AFLW's per-sample box size).
        ``"bbox_diag"`` / ``"bbox_sqrt_area"``: diagonal / sqrt(area) of the tight box of
        the finite ground-truth points.
    """
    g = _points(gt, "gt")
    if g.shape[1] != scheme.num_points:
        raise ValueError(
            f"gt has {g.shape[1]} points, scheme {scheme.name} has {scheme.num_points}"
        )
    if kind not in NORMALISER_KINDS:
        raise ValueError(f"unknown normaliser kind {kind!r}; expected one of {NORMALISER_KINDS}")
    if kind == "default":
        kind = "box" if scheme.normaliser_kind == "box" else "inter_ocular"
    if kind == "inter_ocular":
        if scheme.normaliser_indices is None:
            raise ValueError(f"scheme {scheme.name} has no inter-ocular pair; use kind='box'")
        i, j = scheme.normaliser_indices
        return np.hypot(*(g[:, i] - g[:, j]).T)
    if kind == "inter_pupil":
        if scheme.pupils is None:
            raise ValueError(f"scheme {scheme.name} defines no pupils")
        a = g[:, list(scheme.pupils[0])].mean(axis=1)
        b = g[:, list(scheme.pupils[1])].mean(axis=1)
        return np.hypot(*(a - b).T)
    if kind == "box":
        if box_sizes is None:
            raise ValueError(f"normaliser 'box' for {scheme.name} needs box_sizes (one per image)")
        bs = np.asarray(box_sizes, dtype=np.float64).reshape(-1)
        if bs.shape[0] != g.shape[0]:
            raise ValueError(f"box_sizes has {bs.shape[0]} values for {g.shape[0]} images")
        return bs
    finite = np.isfinite(g).all(axis=2)
    lo = np.where(finite[..., None], g, np.inf).min(axis=1)
    hi = np.where(finite[..., None], g, -np.inf).max(axis=1)
    wh = hi - lo
    wh[~finite.any(axis=1)] = np.nan
    if kind == "bbox_diag":
        return np.hypot(wh[:, 0], wh[:, 1])
    return np.sqrt(wh[:, 0] * wh[:, 1])


def _visibility(visible: np.ndarray | None, shape: tuple[int, int]) -> np.ndarray:
    if visible is None:
        return np.ones(shape, dtype=bool)
    vis = np.asarray(visible, dtype=bool)
    if vis.shape != shape:
        raise ValueError(f"visible must have shape {shape}, got {vis.shape}")
    return vis


def _distances(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Euclidean point distances (N, K), in few full-array passes."""
    p, g = _points(pred, "pred"), _points(gt, "gt")
    if p.shape != g.shape:
        raise ValueError(f"pred {p.shape} and gt {g.shape} differ in shape")
    d = np.subtract(p, g)
    np.multiply(d, d, out=d)
    dist = d[..., 0] + d[..., 1]
    return np.sqrt(dist, out=dist)


def _norm_vector(norm: np.ndarray, n: int) -> np.ndarray:
    """Normalisers as (N,), NaN where not a positive finite number."""
    v = np.asarray(norm, dtype=np.float64).reshape(-1)
    if v.shape[0] != n:
        raise ValueError(f"norm has {v.shape[0]} values for {n} images")
    return np.where(np.isfinite(v) & (v > 0), v, np.nan)


def landmark_errors(
    pred: np.ndarray, gt: np.ndarray, norm: np.ndarray, visible: np.ndarray | None = None
) -> np.ndarray:
    """Point distances / normaliser, (N, K); NaN where a point is not visible."""
    dist = _distances(pred, gt)
    err = dist / _norm_vector(norm, dist.shape[0])[:, None]
    if visible is not None:
        err[~_visibility(visible, dist.shape)] = np.nan
    return err


def nme_per_image(
    pred: np.ndarray, gt: np.ndarray, norm: np.ndarray, visible: np.ndarray | None = None
) -> np.ndarray:
    """Mean normalised error over each image's visible points, (N,); NaN when undefined.

    As HRNet: sum of the point distances / (normaliser * number of points counted).
    """
    dist = _distances(pred, gt)
    n = _norm_vector(norm, dist.shape[0])
    if visible is None:
        return dist.sum(axis=1) / (n * dist.shape[1])
    vis = _visibility(visible, dist.shape)
    count = vis.sum(axis=1)
    total = np.where(vis, dist, 0.0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(count > 0, total / (n * count), np.nan)


def _scored(nme: np.ndarray) -> np.ndarray:
    """The NMEs that count: finite ones and +inf (a missing prediction); NaN left out."""
    arr = np.asarray(nme, dtype=np.float64).reshape(-1)
    return arr[~np.isnan(arr)]


def failure_rate(nme: np.ndarray, threshold: float = 0.1) -> float:
    """Fraction of images with NME > threshold; a missing prediction (+inf) is a failure,
    an unscorable face (NaN) is left out; NaN if none is left."""
    v = _scored(nme)
    return float(np.count_nonzero(v > threshold) / v.size) if v.size else float("nan")


def ced_curve(
    nme: np.ndarray, threshold: float = 0.1, step: float = 1e-4
) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative error distribution: (thresholds, fraction of images with NME <= each).

    A missing prediction (+inf) is an error beyond every threshold; NaN is left out.
    Thresholds are PIPNet's ``np.arange(0, threshold + step, step)``; floating-point arange
    may add one sample past ``threshold`` (e.g. 0.07 -> last 0.0701), as in PIPNet.
    """
    if not (threshold > 0 and step > 0):
        raise ValueError("threshold and step must be positive")
    xs = np.arange(0, threshold + step, step)
    v = np.sort(_scored(nme))
    if v.size == 0:
        return xs, np.full(xs.shape, np.nan)
    ys = np.searchsorted(v, xs, side="right") / float(v.size)
    return xs, ys


def _basic_simpson(y: np.ndarray, x: np.ndarray, start: int, stop: int) -> float:
    h = np.diff(x)
    h0 = h[start:stop:2]
    h1 = h[start + 1 : stop + 1 : 2]
    y0 = y[start:stop:2]
    y1 = y[start + 1 : stop + 1 : 2]
    y2 = y[start + 2 : stop + 2 : 2]
    hsum = h0 + h1
    hprod = h0 * h1
    h0divh1 = h0 / h1
    tmp = hsum / 6.0 * (y0 * (2 - 1.0 / h0divh1) + y1 * hsum * hsum / hprod + y2 * (2 - h0divh1))
    return float(np.sum(tmp))


def simpson(y: np.ndarray, x: np.ndarray) -> float:
    """Old ``scipy.integrate.simps(y, x=x)`` (``even='avg'``) for 1-D samples."""
    y = np.asarray(y, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    n = y.shape[0]
    if n < 2:
        return 0.0
    if n == 2:
        return float(0.5 * (x[1] - x[0]) * (y[0] + y[1]))
    if n % 2 == 1:
        return _basic_simpson(y, x, 0, n - 2)
    val = 0.5 * (x[-1] - x[-2]) * (y[-1] + y[-2])
    result = _basic_simpson(y, x, 0, n - 3)
    val += 0.5 * (x[1] - x[0]) * (y[1] + y[0])
    result += _basic_simpson(y, x, 1, n - 2)
    return float(result / 2.0 + val / 2.0)


def auc(nme: np.ndarray, threshold: float = 0.1, step: float = 1e-4) -> float:
    """Area under the CED up to ``threshold``, divided by ``threshold`` (PIPNet)."""
    xs, ys = ced_curve(nme, threshold, step)
    if np.isnan(ys).any():
        return float("nan")
    return simpson(ys, xs) / threshold


def _one(nme: np.ndarray, threshold: float, step: float) -> dict:
    arr = np.asarray(nme, dtype=np.float64).reshape(-1)
    finite = np.isfinite(arr)
    v = arr[finite]
    scored = arr[~np.isnan(arr)]
    return {
        "count": int(v.size),
        "missing": int(np.count_nonzero(np.isposinf(arr))),
        "unscorable": int(np.count_nonzero(np.isnan(arr))),
        "nme": float(v.mean()) if v.size else float("nan"),
        "fr": failure_rate(scored, threshold),
        "auc": auc(scored, threshold, step),
    }


def summarize(
    nme: np.ndarray,
    threshold: float = 0.1,
    subsets: dict[str, np.ndarray] | None = None,
    step: float = 1e-4,
) -> dict:
    """NME, FR and AUC of a split and of its subsets.

    Returns ``{"count", "missing", "unscorable", "nme", "fr", "auc", "subsets"}``: ``count``
    is the number of faces with a finite NME (the mean NME averages over them), ``missing``
    the faces with no usable prediction (+inf: failures in FR, beyond every threshold in
    AUC), ``unscorable`` the NaN NMEs left out of everything. ``subsets`` maps a name to a
    boolean mask or integer indices into ``nme``; each subset gets the same keys without
    ``subsets``.
    """
    arr = np.asarray(nme, dtype=np.float64).reshape(-1)
    out = _one(arr, threshold, step)
    out["subsets"] = {}
    for name, sel in (subsets or {}).items():
        s = np.asarray(sel)
        if s.dtype == bool and s.shape != arr.shape:
            raise ValueError(f"subset {name!r}: mask has {s.shape[0]} entries for {arr.size}")
        out["subsets"][name] = _one(arr[s], threshold, step)
    return out


def counted_points(gt: np.ndarray, visible: np.ndarray | None = None) -> np.ndarray:
    """(N, K) mask of the ground-truth points that count: visible and with coordinates.

    The one rule `score`, `eval` and the window's metrics share (a Kaggle NaN point, an
    invisible point or a missing row never counts).
    """
    mask = np.isfinite(np.asarray(gt, dtype=np.float64)).all(axis=2)
    if visible is not None:
        mask &= np.asarray(visible, dtype=bool)
    return mask


def score_faces(
    pred: np.ndarray,
    gt: np.ndarray,
    scheme: Scheme,
    visible: np.ndarray | None = None,
    box_sizes: np.ndarray | None = None,
    kind: str = "default",
) -> tuple[np.ndarray, np.ndarray]:
    """Per-image NME (N,) and per-landmark normalised errors (N, K) of ``pred`` against ``gt``.

    Uses `counted_points` for which points count and `normalisers` for the denominator. A
    face whose prediction lacks a counted point (NaN, or no prediction at all) gets NME
    ``+inf``: a missing prediction, which `summarize` counts as a failure. Raises ValueError
    when the normaliser cannot be computed for ``kind``.
    """
    norm = normalisers(gt, scheme, box_sizes=box_sizes, kind=kind)
    mask = counted_points(gt, visible)
    nme = nme_per_image(pred, gt, norm, mask)
    lacking = (mask & ~np.isfinite(np.asarray(pred, dtype=np.float64)).all(axis=2)).any(axis=1)
    nme[lacking & mask.any(axis=1) & _has_norm(norm)] = np.inf
    return nme, landmark_errors(pred, gt, norm, mask)


def _has_norm(norm: np.ndarray) -> np.ndarray:
    v = np.asarray(norm, dtype=np.float64).reshape(-1)
    return np.isfinite(v) & (v > 0)


def missing_reasons(
    pred: np.ndarray, gt: np.ndarray, visible: np.ndarray | None = None
) -> list[str | None]:
    """Why each face's prediction is unusable (None where it is usable): no points at all,
    or which counted points are missing (0-based indices)."""
    p = np.asarray(pred, dtype=np.float64)
    mask = counted_points(gt, visible)
    ok = np.isfinite(p).all(axis=2)
    out: list[str | None] = []
    for i in range(p.shape[0]):
        lacking = np.flatnonzero(mask[i] & ~ok[i])
        if lacking.size == 0:
            out.append(None)
        elif not ok[i].any():
            out.append("the prediction has no points")
        else:
            shown = ", ".join(str(int(j)) for j in lacking[:8])
            more = f" and {lacking.size - 8} more" if lacking.size > 8 else ""
            out.append(f"the prediction lacks point(s) {shown}{more}")
    return out


def restrict_subsets(
    subsets: dict[str, np.ndarray], rows: np.ndarray, total: int
) -> dict[str, np.ndarray]:
    """Re-index subsets of a ``total``-sample dataset to positions within ``rows``.

    ``rows`` are the dataset indices that were scored, in the order of the scored arrays;
    a subset keeps only its members that were scored.
    """
    position = np.full(total, -1, dtype=np.int64)
    position[np.asarray(rows, dtype=np.int64)] = np.arange(len(rows))
    out = {}
    for name, idx in subsets.items():
        pos = position[np.asarray(idx, dtype=np.int64)]
        out[name] = np.sort(pos[pos >= 0])
    return out
