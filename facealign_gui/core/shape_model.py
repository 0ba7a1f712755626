"""Point-distribution model (PDM) of one landmark scheme: mean shape + principal modes.

A shape is K points (x, y). Training shapes are aligned to each other by generalised
Procrustes analysis (similarity: translation, rotation, uniform scale), each normalised to
zero centroid and unit root-mean-square point norm; principal component analysis of the
aligned shapes gives the modes. A shape in the image is then

    x = s R (mean + modes.T @ b) + t

with ``b`` the mode coefficients (prior variance ``variances``) and the discarded modes
lumped into an isotropic ``residual_variance`` per coordinate (probabilistic PCA).

``box_mean`` is the mean shape relative to the face box in HRNet's convention (points minus
box centre, divided by 200 x scale); it places the mean shape in a face box without any
landmark (the "manual" start of a labelling benchmark).

So that no face is ever scored by a model fitted on it, a model also keeps the training
faces' scatter matrix and count and a *fingerprint* per face (its first `FINGERPRINT_MODES`
mode coefficients): `ShapeModel.without` finds the faces of an evaluation set that were in
the training set and removes them exactly (the mean and scatter are downdated, the modes
recomputed), as if the model had been fitted without them.

Files are ``.npz`` written without pickle (`save` / `load`); ``source`` states what the
model was fitted on.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

__all__ = [
    "SHIPPED_DIR",
    "ShapeModel",
    "apply_similarity",
    "fit_shape_model",
    "load_shape_model",
    "shipped_shape_model",
    "similarity_transform",
]

SHIPPED_DIR = Path(__file__).resolve().parents[1] / "models"  # shape_<scheme>.npz

FORMAT_VERSION = 1
FINGERPRINT_MODES = 8
FINGERPRINT_TOLERANCE = 1e-3  # normalised units (~0.1 px on a 100 px face)


def similarity_transform(
    src: np.ndarray, dst: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """2x3 matrix of the similarity that maps ``src`` onto ``dst`` in weighted least squares.

    Parameters
    ----------
    src, dst : (K, 2) points; rows with a non-finite value or zero weight are ignored.
    weights : (K,) non-negative weights (default 1).

    Returns
    -------
    (2, 3) matrix ``[[a, -b, tx], [b, a, ty]]`` minimising
    ``sum_i w_i |A src_i + t - dst_i|^2`` (Umeyama without reflection).
    """
    s = np.asarray(src, dtype=np.float64).reshape(-1, 2)
    d = np.asarray(dst, dtype=np.float64).reshape(-1, 2)
    if s.shape != d.shape:
        raise ValueError(f"src {s.shape} and dst {d.shape} differ in shape")
    w = np.ones(len(s)) if weights is None else np.asarray(weights, dtype=np.float64).ravel()
    w = np.where(np.isfinite(s).all(1) & np.isfinite(d).all(1), w, 0.0)
    total = w.sum()
    if total <= 0:
        raise ValueError("no finite point with a positive weight to align")
    ms = (w[:, None] * np.nan_to_num(s)).sum(0) / total
    md = (w[:, None] * np.nan_to_num(d)).sum(0) / total
    sc = np.nan_to_num(s) - ms
    dc = np.nan_to_num(d) - md
    denom = float((w * (sc**2).sum(1)).sum())
    if denom <= 1e-18:  # one point (or all coincide): translation only
        a, b = 1.0, 0.0
    else:
        a = float((w * (sc * dc).sum(1)).sum()) / denom
        b = float((w * (sc[:, 0] * dc[:, 1] - sc[:, 1] * dc[:, 0])).sum()) / denom
    rot = np.array([[a, -b], [b, a]])
    t = md - rot @ ms
    return np.hstack([rot, t[:, None]])


def apply_similarity(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """``points`` (K, 2) mapped by a 2x3 matrix."""
    m = np.asarray(matrix, dtype=np.float64)
    p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    return p @ m[:, :2].T + m[:, 2]


def invert_similarity(matrix: np.ndarray) -> np.ndarray:
    """Inverse of a 2x3 similarity (any invertible affine) matrix."""
    m = np.asarray(matrix, dtype=np.float64)
    inv = np.linalg.inv(m[:, :2])
    return np.hstack([inv, (-inv @ m[:, 2])[:, None]])


def _normalise(shape: np.ndarray) -> np.ndarray:
    c = shape - shape.mean(axis=0)
    return c / np.sqrt((c**2).sum(axis=1).mean())


@dataclass(frozen=True)
class ShapeModel:
    """A fitted PDM (see the module docstring).

    Attributes
    ----------
    scheme : landmark scheme name (or a custom label).
    mean : (K, 2) mean shape, zero centroid, unit RMS point norm.
    modes : (M, 2K) orthonormal principal directions over the flattened ``x0, y0, x1, ...``.
    variances : (M,) variance of each mode's coefficient (descending).
    residual_variance : variance per coordinate of what the M modes leave out.
    box_mean : (K, 2) mean of (points - box centre) / (200 * scale), or None.
    source : what the model was fitted on (files, number of faces).
    count : number of training faces (0: unknown).
    scatter : (2K, 2K) sum of the aligned training faces' outer products about the mean, or
        None (then `without` cannot remove faces).
    fingerprints : (count, F) float32 coefficients of the training faces on
        ``fingerprint_basis`` (F, 2K), both about ``reference`` (K, 2): the mean, the modes
        and the alignment target as fitted, which `without` leaves unchanged.
    """

    scheme: str
    mean: np.ndarray
    modes: np.ndarray
    variances: np.ndarray
    residual_variance: float
    box_mean: np.ndarray | None = None
    source: str = ""
    count: int = 0
    scatter: np.ndarray | None = None
    fingerprints: np.ndarray | None = None
    fingerprint_basis: np.ndarray | None = None
    reference: np.ndarray | None = None

    @property
    def num_points(self) -> int:
        return int(self.mean.shape[0])

    @property
    def num_modes(self) -> int:
        return int(self.modes.shape[0])

    def truncated(self, num_modes: int) -> ShapeModel:
        """The same model with only its first ``num_modes`` modes (the rest join the
        residual variance)."""
        m = max(0, min(int(num_modes), self.num_modes))
        dims = 2 * self.num_points - 4
        dropped = float(self.variances[m:].sum())
        kept_dims = max(dims - self.num_modes, 1)
        extra_dims = max(dims - m, 1)
        resid = (self.residual_variance * kept_dims + dropped) / extra_dims
        return replace(self, modes=self.modes[:m], variances=self.variances[:m],
                       residual_variance=resid)  # fmt: skip

    def shape(self, coefficients: np.ndarray) -> np.ndarray:
        """(K, 2) normalised shape for mode coefficients ``b`` (M,)."""
        b = np.asarray(coefficients, dtype=np.float64)
        return self.mean + (self.modes[: len(b)].T @ b).reshape(-1, 2)

    def place_in_box(self, center: tuple[float, float], scale: float) -> np.ndarray:
        """The mean shape in a face box given as HRNet centre / scale (side = 200 * scale)."""
        if self.box_mean is None:
            raise ValueError(f"shape model {self.scheme!r} has no box mean")
        return self.box_mean * (200.0 * float(scale)) + np.asarray(center, dtype=np.float64)

    def covariance(self) -> np.ndarray:
        """(2K, 2K) prior covariance of a normalised shape (modes + isotropic residual)."""
        cov = (self.modes.T * self.variances) @ self.modes
        cov[np.diag_indices_from(cov)] += self.residual_variance
        return cov

    # -- leaving faces out --------------------------------------------------------------
    def aligned(self, shapes: np.ndarray) -> np.ndarray:
        """(N, 2K) shapes normalised and aligned to the fitted mean, as the training faces
        were (NaN rows for shapes with a missing point)."""
        ref = self.mean if self.reference is None else self.reference
        arr = np.asarray(shapes, dtype=np.float64).reshape(-1, self.num_points, 2)
        out = np.full((len(arr), 2 * self.num_points), np.nan)
        for i, sh in enumerate(arr):
            if np.isfinite(sh).all():
                n = _normalise(sh)
                out[i] = apply_similarity(similarity_transform(n, ref), n).reshape(-1)
        return out

    def _fingerprint(self, aligned: np.ndarray) -> np.ndarray:
        assert self.reference is not None and self.fingerprint_basis is not None
        return (aligned - self.reference.reshape(-1)) @ self.fingerprint_basis.T

    def contains(self, shapes: np.ndarray) -> np.ndarray:
        """(N,) bool: which ``shapes`` (N, K, 2) were training faces of this model."""
        al = self.aligned(shapes)
        if (
            self.fingerprints is None
            or self.fingerprint_basis is None
            or not len(self.fingerprints)
        ):
            return np.zeros(len(al), dtype=bool)
        fp = self._fingerprint(np.nan_to_num(al, nan=1e6))
        d = np.sqrt(((fp[:, None, :] - self.fingerprints[None].astype(np.float64)) ** 2).sum(-1))
        return (d.min(axis=1) < FINGERPRINT_TOLERANCE) & np.isfinite(al).all(axis=1)

    def without(self, shapes: np.ndarray) -> tuple[ShapeModel, int]:
        """This model with every training face among ``shapes`` removed, and how many were.

        The mean and scatter are downdated exactly (Welford), then the modes, variances and
        residual variance are recomputed with the same number of modes.
        """
        inside = self.contains(shapes)
        if not inside.any():
            return self, 0
        if self.scatter is None or self.count - int(inside.sum()) < 3:
            raise ValueError(f"shape model {self.scheme!r} cannot leave faces out "
                             f"(no scatter matrix, or too few faces left)")  # fmt: skip
        al = self.aligned(shapes)[inside]
        fp_all = self.fingerprints.astype(np.float64)  # type: ignore[union-attr]
        keep = np.ones(len(fp_all), dtype=bool)
        for f in self._fingerprint(al):
            keep[int(np.argmin(((fp_all - f) ** 2).sum(axis=1)))] = False
        mean = self.mean.reshape(-1).copy()
        scatter = self.scatter.copy()
        n = self.count
        for x in al:
            d = x - mean
            scatter -= (n / (n - 1.0)) * np.outer(d, d)
            mean -= d / (n - 1.0)
            n -= 1
        model = _from_scatter(self, mean.reshape(-1, 2), scatter, n, self.num_modes)
        removed = int(inside.sum())
        return replace(model, fingerprints=self.fingerprints[keep],  # type: ignore[index]
                       source=f"{self.source}; minus {removed} evaluated faces that were in it"
                       ), removed  # fmt: skip

    # -- files -------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        meta = {"format": FORMAT_VERSION, "scheme": self.scheme, "source": self.source}
        arrays = {
            "mean": self.mean,
            "modes": self.modes,
            "variances": self.variances,
            "residual_variance": np.array([self.residual_variance]),
            "meta": np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8),
        }
        if self.box_mean is not None:
            arrays["box_mean"] = self.box_mean
        if self.scatter is not None and self.fingerprints is not None:
            arrays["scatter"] = self.scatter
            arrays["count"] = np.array([self.count])
            arrays["fingerprints"] = self.fingerprints.astype(np.float32)
            arrays["fingerprint_basis"] = self.fingerprint_basis
            arrays["reference"] = self.reference
        buf = io.BytesIO()
        np.savez_compressed(buf, **arrays)
        return buf.getvalue()

    def save(self, path: str | Path) -> Path:
        """Write atomically as ``.npz`` (no pickle)."""
        from facealign_gui.fileio import atomic_write_bytes

        return atomic_write_bytes(path, self.to_bytes())


def load_shape_model(path: str | Path) -> ShapeModel:
    """Read a file written by `ShapeModel.save`; ValueError naming the file otherwise."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(bytes(z["meta"]).decode("utf-8"))
            if meta.get("format") != FORMAT_VERSION:
                raise ValueError(f"format {meta.get('format')!r}, expected {FORMAT_VERSION}")
            mean = np.asarray(z["mean"], dtype=np.float64)
            modes = np.asarray(z["modes"], dtype=np.float64)
            variances = np.asarray(z["variances"], dtype=np.float64)
            resid = float(z["residual_variance"][0])
            box = np.asarray(z["box_mean"], dtype=np.float64) if "box_mean" in z else None
            scatter = np.asarray(z["scatter"], dtype=np.float64) if "scatter" in z else None
            count = int(z["count"][0]) if "count" in z else 0
            prints = basis = ref = None
            if scatter is not None:
                prints = np.asarray(z["fingerprints"], dtype=np.float32)
                basis = np.asarray(z["fingerprint_basis"], dtype=np.float64)
                ref = np.asarray(z["reference"], dtype=np.float64)
    except (OSError, KeyError, ValueError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: not a shape model file: {e}") from None
    k = mean.shape[0]
    if mean.shape != (k, 2) or modes.ndim != 2 or modes.shape[1] != 2 * k:
        raise ValueError(f"{path}: mean {mean.shape} and modes {modes.shape} do not match")
    if variances.shape != (modes.shape[0],):
        raise ValueError(f"{path}: {variances.shape[0]} variances for {modes.shape[0]} modes")
    return ShapeModel(str(meta.get("scheme", "")), mean, modes, variances, resid, box,
                      str(meta.get("source", "")), count, scatter, prints, basis, ref)  # fmt: skip


def shipped_shape_model(scheme: str | None) -> ShapeModel | None:
    """The shape model shipped for ``scheme`` (``models/shape_<scheme>.npz``), or None."""
    if not scheme:
        return None
    path = SHIPPED_DIR / f"shape_{scheme}.npz"
    return load_shape_model(path) if path.is_file() else None


def fit_shape_model(
    shapes: np.ndarray,
    *,
    scheme: str = "",
    num_modes: int = 20,
    centers: np.ndarray | None = None,
    scales: np.ndarray | None = None,
    source: str = "",
    iterations: int = 10,
) -> ShapeModel:
    """Fit a PDM to ``shapes`` (N, K, 2); shapes with a non-finite point are left out.

    ``centers`` (N, 2) / ``scales`` (N,) give each face's HRNet box, for ``box_mean``.
    """
    arr = np.asarray(shapes, dtype=np.float64)
    if arr.ndim != 3 or arr.shape[2] != 2:
        raise ValueError(f"shapes must have shape (N, K, 2), got {arr.shape}")
    ok = np.isfinite(arr).all(axis=(1, 2))
    if ok.sum() < 2:
        raise ValueError(f"need at least 2 complete shapes to fit a shape model, got {ok.sum()}")
    good = arr[ok]
    n, k, _ = good.shape
    norm = np.stack([_normalise(s) for s in good])
    mean = norm[0].copy()
    for _ in range(iterations):
        aligned = np.stack([apply_similarity(similarity_transform(s, mean), s) for s in norm])
        new_mean = _normalise(aligned.mean(axis=0))
        # fix the mean's rotation to the first shape's so the iteration cannot spin
        new_mean = apply_similarity(similarity_transform(new_mean, mean), new_mean)
        new_mean = _normalise(new_mean)
        done = np.abs(new_mean - mean).max() < 1e-10
        mean = new_mean
        if done:
            break
    aligned = np.stack([apply_similarity(similarity_transform(s, mean), s) for s in norm])
    flat = aligned.reshape(n, 2 * k) - mean.reshape(-1)
    box_mean = None
    if centers is not None and scales is not None:
        c = np.asarray(centers, dtype=np.float64)[ok]
        s = np.asarray(scales, dtype=np.float64)[ok]
        fine = np.isfinite(c).all(1) & np.isfinite(s) & (s > 0)
        if fine.any():
            rel = (good[fine] - c[fine][:, None, :]) / (200.0 * s[fine])[:, None, None]
            box_mean = rel.mean(axis=0)
    base = ShapeModel(scheme, mean, np.zeros((0, 2 * k)), np.zeros(0), 1e-12, box_mean,
                      source or f"{n} shapes")  # fmt: skip
    model = _from_scatter(base, mean, flat.T @ flat, n, max(num_modes, FINGERPRINT_MODES))
    model = replace(model, fingerprint_basis=model.modes[:FINGERPRINT_MODES].copy(),
                    reference=mean.copy())  # fmt: skip
    model = replace(model, fingerprints=model._fingerprint(flat + mean.reshape(-1)).astype(
        np.float32))  # fmt: skip
    return model.truncated(num_modes) if model.num_modes > num_modes else model


def _from_scatter(
    like: ShapeModel, mean: np.ndarray, scatter: np.ndarray, count: int, num_modes: int
) -> ShapeModel:
    """A model with ``like``'s names and box mean from a mean, scatter matrix and count."""
    k = mean.shape[0]
    cov = scatter / max(count - 1, 1)
    eig, vec = np.linalg.eigh((cov + cov.T) / 2)
    order = np.argsort(eig)[::-1]
    eig, vec = np.clip(eig[order], 0.0, None), vec[:, order]
    dims = 2 * k - 4  # similarity removes four degrees of freedom
    m = max(0, min(int(num_modes), dims))
    resid = float(eig[m:dims].sum() / max(dims - m, 1)) if dims > m else 0.0
    modes = vec[:, :m].T.copy()
    # a deterministic sign per mode: its largest component is positive
    flip = np.sign(modes[np.arange(m), np.abs(modes).argmax(axis=1)])
    modes *= np.where(flip == 0, 1.0, flip)[:, None]
    return replace(like, mean=mean, modes=modes, variances=eig[:m].copy(),
                   residual_variance=max(resid, 1e-12), count=int(count),
                   scatter=scatter, fingerprints=like.fingerprints)  # fmt: skip
