"""Click-to-refine: after a person fixes some points, re-place the others.

The fit is a Gaussian (regularised least-squares) one in the shape model's normalised frame:

* the true shape ``x`` has the PDM prior ``N(mean, C)`` (``C``: the modes with their
  variances plus the isotropic residual), widened by four flat pose directions
  (translation x/y, scale, rotation), so the similarity transform is free;
* the model's prediction is ``y = x + e`` with a model error ``e`` that is partly shaped like
  a face (``shape_error**2 * C``: a model that misjudges a mouth opening misjudges all of its
  points together), partly shared by nearby points of one contour (``local_error``), partly
  a pose error (``pose_error``: a misplaced face box moves and scales
  all points) and partly independent per point (``point_noise``, divided by the square root of
  the point's relative confidence);
* the points the person placed are observed exactly.

The refined points are the posterior mean of ``x`` given all of that (a closed form: two
linear solves of size 2K). Points the person placed are returned unchanged.

For heatmap models each heatmap is then re-read in a window around the position the fit
implies (local arg-max + sub-pixel refinement of `inference.decoders.heatmap`, recomputed by
the caller's helpers), the re-read positions become the new observations, and the fit runs
again (``iterations`` times). The re-reading lives in `inference.refine` (core does not
import inference); it passes it here as ``reread``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from facealign_gui.core.shape_model import (
    ShapeModel,
    apply_similarity,
    invert_similarity,
    similarity_transform,
)

__all__ = ["PriorCache", "RefineSettings", "Reread", "prior_for", "refine", "shape_frame"]

# image points (K, 2) -> (re-read image points (K, 2), peak values (K,))
Reread = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]

_FLAT = 1e4  # prior variance of the pose directions: effectively unconstrained
_EXACT = 1e-10  # observation variance of a point the person placed


@dataclass(frozen=True)
class RefineSettings:
    """Noise model of the fit (lengths in the normalised frame: unit RMS point norm).

    num_modes : PDM modes used (the rest join the residual variance).
    shape_error : model error as a fraction of the natural shape variability.
    pose_error : standard deviation of the model's translation / scale error.
    point_noise : standard deviation of a point's independent error at full confidence.
    min_confidence : relative confidence floor (a point at zero confidence still counts).
    iterations : fit / heatmap re-read rounds (heatmap models only; 1 otherwise).
    local_error, local_scale : a model error shared by nearby points (Gaussian kernel of
        width ``local_scale`` over the mean-shape distance), within one scheme group when
        ``local_groups`` (a jaw point's error resembles its neighbour's, not the brow's).

    The defaults were chosen on ``shared/data/dev_faces`` with the embedded MediaPipe model
    (`benchmarks/bench_effort.py`): more modes and a wide prediction error help; the result
    changes little for ``point_noise`` 0.06 ... 0.1 and ``shape_error`` 1 ... 2.
    """

    num_modes: int = 50
    shape_error: float = 0.5
    pose_error: float = 0.1
    point_noise: float = 0.06
    min_confidence: float = 0.05
    iterations: int = 3
    local_error: float = 0.0
    local_scale: float = 0.2
    local_groups: bool = True


class PriorCache:
    """The covariance matrices of one (shape model, settings) pair, built once."""

    def __init__(self, pdm: ShapeModel, settings: RefineSettings) -> None:
        model = pdm.truncated(settings.num_modes)
        k = model.num_points
        mean = model.mean.reshape(-1)
        gen = np.zeros((2 * k, 4))
        gen[0::2, 0] = 1.0
        gen[1::2, 1] = 1.0
        gen[:, 2] = mean
        rot = np.empty_like(mean)
        rot[0::2], rot[1::2] = -mean[1::2], mean[0::2]
        gen[:, 3] = rot
        shape_cov = model.covariance()
        local = np.zeros((2 * k, 2 * k))
        if settings.local_error > 0:
            pts = model.mean
            d2 = ((pts[:, None, :] - pts[None, :, :]) ** 2).sum(-1)
            ker = np.exp(-d2 / (2 * settings.local_scale**2))
            if settings.local_groups:
                ker = ker * _same_group(pdm.scheme, k)
            local[0::2, 0::2] = ker
            local[1::2, 1::2] = ker
        self.pdm = pdm
        self.settings = settings
        self.mean = mean
        self.prior = shape_cov + _FLAT * (gen @ gen.T)
        self.error = (
            settings.shape_error**2 * shape_cov
            + settings.pose_error**2 * (gen @ gen.T)
            + settings.local_error**2 * local
        )
        self._updates: dict[bytes, tuple[np.ndarray | None, np.ndarray, np.ndarray]] = {}

    def update(
        self, obs_var: np.ndarray, learned: tuple[np.ndarray, float] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(gain, posterior covariance) of conditioning the prior on a prediction with
        per-coordinate noise ``obs_var`` (and a ``learned`` error model). They do not depend
        on the points, so the drags on one face reuse them (kept for the last few)."""
        key = np.ascontiguousarray(obs_var, dtype=np.float64).tobytes()
        ref = None if learned is None else learned[0]
        if learned is not None:
            key += np.float64(learned[1]).tobytes()
        hit = self._updates.get(key)
        if hit is not None and hit[0] is ref:  # the very same learned matrix (or none)
            return hit[1], hit[2]
        sx = self.prior
        se = self.error + np.diag(obs_var)
        if learned is not None:
            cov, w = learned
            se = (1.0 - w) * se + w * (cov + np.diag(np.full(len(obs_var), 1e-6)))
        gain = np.linalg.solve(sx + se, sx).T  # sx (sx + se)^-1  (both symmetric)
        s1 = sx - gain @ sx
        if len(self._updates) >= 4:
            self._updates.pop(next(iter(self._updates)))
        self._updates[key] = (ref, gain, s1)
        return gain, s1


def _same_group(scheme: str, k: int) -> np.ndarray:
    """(K, K) 1 where two points share a scheme group (all ones for an unknown scheme)."""
    from facealign_gui.core.schemes import SCHEMES

    sch = SCHEMES.get(scheme)
    if sch is None or sch.num_points != k:
        return np.ones((k, k))
    label = np.full(k, -1)
    for g, idx in enumerate(sch.groups.values()):
        label[list(idx)] = g
    out = (label[:, None] == label[None, :]).astype(np.float64)
    out[label < 0] = 0.0
    out[:, label < 0] = 0.0
    np.fill_diagonal(out, 1.0)
    return out


_CACHE: dict[tuple[int, RefineSettings], PriorCache] = {}


def prior_for(pdm: ShapeModel, settings: RefineSettings) -> PriorCache:
    """The `PriorCache` of ``pdm`` and ``settings`` (built once, kept for reuse)."""
    key = (id(pdm), settings)
    hit = _CACHE.get(key)
    if hit is None or hit.pdm is not pdm:
        if len(_CACHE) > 16:
            _CACHE.clear()
        hit = _CACHE[key] = PriorCache(pdm, settings)
    return hit


def shape_frame(
    points: np.ndarray, pdm: ShapeModel, weights: np.ndarray | None = None
) -> np.ndarray:
    """2x3 similarity from image points (K, 2) to the shape model's normalised frame."""
    return similarity_transform(points, pdm.mean, weights)


def _point_variances(confidence: np.ndarray | None, k: int, s: RefineSettings) -> np.ndarray:
    if confidence is None:
        rel = np.ones(k)
    else:
        c = np.nan_to_num(np.asarray(confidence, dtype=np.float64).reshape(-1), nan=0.0)
        top = float(c.max()) if c.size else 0.0
        rel = c / top if top > 0 else np.ones(k)
    rel = np.clip(rel, s.min_confidence, 1.0)
    return np.repeat(s.point_noise**2 / rel, 2)


def _posterior(
    cache: PriorCache,
    y: np.ndarray,
    obs_var: np.ndarray,
    fixed: np.ndarray,
    z: np.ndarray,
    learned: tuple[np.ndarray, float] | None = None,
) -> np.ndarray:
    """Posterior mean (2K,) of the shape given the prediction ``y`` (2K,) with error
    covariance ``cache.error + diag(obs_var)`` (blended with ``learned = (covariance,
    weight)``) and the exactly known coordinates ``z`` at ``fixed``.

    Conditioning on ``y`` first and then on ``x[fixed] = z`` is exact for a Gaussian; the
    prediction's error where the person corrected it (``y - z`` there) moves the other points
    through the correlations of the error model.
    """
    a0 = cache.mean
    gain, s1 = cache.update(obs_var, learned)
    mu = a0 + gain @ (y - a0)
    if not fixed.any():
        return mu
    f = np.flatnonzero(fixed)
    s_ff = s1[np.ix_(f, f)] + _EXACT * np.eye(len(f))
    corr = np.linalg.solve(s_ff, z[f] - mu[f])
    return mu + s1[:, f] @ corr


def refine(
    points: np.ndarray,
    confidence: np.ndarray | None,
    fixed_mask: np.ndarray,
    pdm: ShapeModel,
    predicted: np.ndarray | None = None,
    reread: Reread | None = None,
    settings: RefineSettings | None = None,
    learned_error: tuple[np.ndarray, float] | None = None,
) -> np.ndarray:
    """Re-place the points the person has not fixed.

    Parameters
    ----------
    points : (K, 2) image points: the person's where ``fixed_mask``, the model's prediction
        elsewhere (pass the original prediction, not an earlier refinement, so refinements
        do not compound).
    confidence : (K,) the model's per-point confidence (relative values matter), or None.
    fixed_mask : (K,) bool, True where the person placed the point.
    pdm : the scheme's shape model (same K).
    predicted : (K, 2) the model's own prediction at *every* point (default ``points``):
        where the person moved a point, how far the model was off tells how far its
        neighbours probably are.
    reread : heatmap models: image points -> (each heatmap's peak near them, peak values);
        see `facealign_gui.inference.refine.heatmap_reader`.
    learned_error : optional (2K x 2K covariance in the shape model's frame, weight in
        [0, 1]) of this model's errors measured on verified faces
        (`session.prelabel.PreLabeller.error_covariance`), blended into the error model.

    Returns
    -------
    (K, 2) float64; rows of ``fixed_mask`` are exactly ``points``.
    """
    s = settings or RefineSettings()
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    k = pts.shape[0]
    fixed = np.asarray(fixed_mask, dtype=bool).reshape(-1)
    if k != pdm.num_points or fixed.shape != (k,):
        raise ValueError(
            f"{k} points and {fixed.shape[0]} fixed flags for a {pdm.num_points}-point shape model"
        )
    pred = pts if predicted is None else np.asarray(predicted, dtype=np.float64).reshape(-1, 2)
    if pred.shape != pts.shape:
        raise ValueError(f"predicted has shape {pred.shape}, points {pts.shape}")
    pred = np.where((fixed[:, None] & ~np.isfinite(pred)), pts, pred)
    finite = np.isfinite(pred).all(axis=1)
    fixed &= np.isfinite(pts).all(axis=1)
    cache = prior_for(pdm, s)
    obs = pred.copy()
    conf = None if confidence is None else np.asarray(confidence, dtype=np.float64).reshape(-1)
    rounds = max(1, s.iterations) if reread is not None else 1
    result = pts.copy()
    for _ in range(rounds):
        frame_pts = np.where(fixed[:, None], pts, obs)
        weights = np.where(fixed, 10.0, 1.0) * (finite | fixed)
        to_frame = shape_frame(frame_pts, pdm, weights)
        y = apply_similarity(to_frame, np.nan_to_num(obs)).reshape(-1)
        z = apply_similarity(to_frame, np.nan_to_num(pts)).reshape(-1)
        var = _point_variances(conf, k, s)
        var[np.repeat(~finite, 2)] = _FLAT
        mu = _posterior(cache, y, var, np.repeat(fixed, 2), z, learned_error)
        fitted = apply_similarity(invert_similarity(to_frame), mu.reshape(-1, 2))
        result = np.where(fixed[:, None], pts, fitted)
        if reread is None:
            break
        obs_new, peak = reread(result)
        obs = np.where(fixed[:, None], pred, obs_new)
        conf = np.where(fixed, 1.0, peak)
    return result
