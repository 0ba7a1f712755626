"""A pre-labeller that learns the person's labels: ridge regression in the face frame.

Each verified image gives one pair (the model's points, the person's points). Both are
brought into the face frame by the similarity that maps the model's points onto a reference
shape (the source scheme's mean shape, or the first verified prediction), flattened, and a
linear map with intercept from source to target is fitted in closed form:

    target = mean_target + (source - mean_source) @ W,   W = ridge(source, target, lam)

When the target scheme is the source scheme the regression predicts the *correction*
``target - source`` (so with few faces it is a mean offset: the labeller's convention), for
any other scheme (a 29-point COFW, a custom one) it predicts the target points directly, so
pre-labels exist from the first verified face on. ``lam`` is chosen at each refit among
`LAMBDAS` by the exact leave-one-out error of ridge regression (residual / (1 - leverage)),
computed from one eigendecomposition of the N x N Gram matrix: a refit is milliseconds.

`loo_report` gives the leave-one-out NME of the corrected prediction next to the raw one
(raw only when the schemes match), against the person's labels.

State round-trips through `to_dict` / `from_dict` (plain JSON types), to be stored in the
session; `reset` forgets everything.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from facealign_gui.core.shape_model import apply_similarity, invert_similarity, similarity_transform

__all__ = ["LAMBDAS", "LooReport", "PreLabeller"]

LAMBDAS = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 1e2, 1e3)
STATE_VERSION = 1


def _unit(shape: np.ndarray) -> np.ndarray:
    c = shape - shape.mean(axis=0)
    return c / max(float(np.sqrt((c**2).sum(axis=1).mean())), 1e-12)


@dataclass(frozen=True)
class LooReport:
    """Leave-one-out NME (mean over faces) of the corrected and the raw prediction."""

    faces: int
    corrected_nme: float
    raw_nme: float | None


@dataclass
class PreLabeller:
    """See the module docstring.

    Parameters
    ----------
    source_points : points per face the model gives (68, 98, 468 for a mesh, ...).
    target_points : points per face of the person's scheme.
    reference : (source_points, 2) shape defining the face frame (None: the first sample).
    normaliser : two target indices whose distance normalises the NME (inter-ocular), or
        None for the square root of the target's box area.
    min_faces : verified faces before `predict` answers.
    """

    source_points: int
    target_points: int
    reference: np.ndarray | None = None
    normaliser: tuple[int, int] | None = None
    min_faces: int = 1
    _x: list[np.ndarray] = field(default_factory=list, repr=False)
    _y: list[np.ndarray] = field(default_factory=list, repr=False)
    _fit: dict[str, np.ndarray] | None = field(default=None, repr=False)
    lam: float = 1.0

    @property
    def residual(self) -> bool:
        """Whether the map predicts a correction of the source (same point count)."""
        return self.source_points == self.target_points

    @property
    def faces(self) -> int:
        return len(self._x)

    def reset(self) -> None:
        """Forget every verified face."""
        self._x.clear()
        self._y.clear()
        self._fit = None

    # -- the face frame ----------------------------------------------------------------
    def _frame(self, source: np.ndarray) -> np.ndarray:
        src = np.asarray(source, dtype=np.float64).reshape(-1, 2)
        if src.shape[0] != self.source_points:
            raise ValueError(f"{src.shape[0]} source points, expected {self.source_points}")
        if self.reference is None:
            self.reference = _unit(src)
        return similarity_transform(src, self.reference)

    # -- learning ----------------------------------------------------------------------
    def add(self, source: np.ndarray, target: np.ndarray) -> None:
        """Learn from one verified face (image points) and refit."""
        tgt = np.asarray(target, dtype=np.float64).reshape(-1, 2)
        if tgt.shape[0] != self.target_points:
            raise ValueError(f"{tgt.shape[0]} target points, expected {self.target_points}")
        src = np.asarray(source, dtype=np.float64).reshape(-1, 2)
        if not (np.isfinite(src).all() and np.isfinite(tgt).all()):
            raise ValueError("a verified face with a missing point cannot be learned from")
        m = self._frame(src)
        xs = apply_similarity(m, src).reshape(-1)
        ys = apply_similarity(m, tgt).reshape(-1)
        self._x.append(xs)
        self._y.append(ys - xs if self.residual else ys)
        self._refit()

    def _arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return np.stack(self._x), np.stack(self._y)

    def _refit(self) -> None:
        x, y = self._arrays()
        mx, my = x.mean(axis=0), y.mean(axis=0)
        xc, yc = x - mx, y - my
        n = len(x)
        gram = xc @ xc.T
        d, u = np.linalg.eigh(gram)
        d = np.clip(d, 0.0, None)
        lam = self.lam
        if n >= 3:
            best = None
            for cand in LAMBDAS:
                err = self._loo_residuals(u, d, yc, cand)
                score = float(np.sqrt((err.reshape(n, -1, 2) ** 2).sum(-1)).mean())
                if best is None or score < best[0]:
                    best = (score, cand)
            lam = best[1]  # type: ignore[index]
        self.lam = lam
        # dual ridge: W = Xc^T (G + lam I)^-1 Yc
        alpha = u @ ((u.T @ yc) / (d + lam)[:, None])
        self._fit = {"mx": mx, "my": my, "w": xc.T @ alpha}

    @staticmethod
    def _loo_residuals(u: np.ndarray, d: np.ndarray, yc: np.ndarray, lam: float) -> np.ndarray:
        n = yc.shape[0]
        shrink = d / (d + lam)
        hat = (u * shrink) @ u.T
        resid = yc - hat @ yc
        lev = 1.0 / n + np.diag(hat)
        return resid / np.maximum(1.0 - lev, 1e-9)[:, None]

    # -- using it ----------------------------------------------------------------------
    def ready(self) -> bool:
        return self._fit is not None and self.faces >= self.min_faces

    def predict(self, source: np.ndarray) -> np.ndarray | None:
        """Target points (image) for the model's ``source`` points, or None before
        ``min_faces`` verified faces."""
        if not self.ready():
            return None
        src = np.asarray(source, dtype=np.float64).reshape(-1, 2)
        m = self._frame(src)
        xs = apply_similarity(m, src).reshape(-1)
        f = self._fit
        assert f is not None
        ys = f["my"] + (xs - f["mx"]) @ f["w"]
        if self.residual:
            ys = ys + xs
        return apply_similarity(invert_similarity(m), ys.reshape(-1, 2))

    def _nme(self, err: np.ndarray, target: np.ndarray) -> np.ndarray:
        n = err.shape[0]
        dist = np.sqrt((err.reshape(n, -1, 2) ** 2).sum(-1)).mean(axis=1)
        t = target.reshape(n, -1, 2)
        if self.normaliser is not None:
            i, j = self.normaliser
            norm = np.linalg.norm(t[:, i] - t[:, j], axis=1)
        else:
            span = t.max(axis=1) - t.min(axis=1)
            norm = np.sqrt(span[:, 0] * span[:, 1])
        return dist / np.maximum(norm, 1e-12)

    def loo_report(self) -> LooReport | None:
        """Leave-one-out NME of corrected vs raw prediction (needs 3 verified faces)."""
        if self.faces < 3:
            return None
        x, y = self._arrays()
        yc = y - y.mean(axis=0)
        xc = x - x.mean(axis=0)
        d, u = np.linalg.eigh(xc @ xc.T)
        err = self._loo_residuals(u, np.clip(d, 0.0, None), yc, self.lam)
        target = y + x if self.residual else y
        corrected = float(self._nme(err, target).mean())
        raw = float(self._nme(y, target).mean()) if self.residual else None
        return LooReport(self.faces, corrected, raw)

    def error_covariance(self, prior_faces: float = 10.0) -> tuple[np.ndarray, float] | None:
        """(covariance, weight) of the corrected prediction's leave-one-out errors in the
        face frame (2K x 2K, target points), for `core.refine.refine`'s ``learned_error``;
        the weight ``N / (N + prior_faces)`` grows with the verified faces. None before 3."""
        if self.faces < 3 or not self.residual:
            return None
        x, y = self._arrays()
        xc = x - x.mean(axis=0)
        d, u = np.linalg.eigh(xc @ xc.T)
        err = self._loo_residuals(u, np.clip(d, 0.0, None), y - y.mean(axis=0), self.lam)
        cov = err.T @ err / len(err)
        return cov, self.faces / (self.faces + float(prior_faces))

    # -- storage -----------------------------------------------------------------------
    def to_dict(self) -> dict[str, object]:
        """Plain JSON types; `from_dict` restores an identical pre-labeller."""
        return {
            "version": STATE_VERSION,
            "source_points": self.source_points,
            "target_points": self.target_points,
            "reference": None if self.reference is None else self.reference.tolist(),
            "normaliser": None if self.normaliser is None else list(self.normaliser),
            "min_faces": self.min_faces,
            "lam": self.lam,
            "x": [v.tolist() for v in self._x],
            "y": [v.tolist() for v in self._y],
        }

    @classmethod
    def from_dict(cls, state: dict[str, object]) -> PreLabeller:
        """Inverse of `to_dict`; ValueError naming what is wrong in a damaged state."""
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"pre-labeller state version {state.get('version')!r}, "
                             f"expected {STATE_VERSION}")  # fmt: skip
        try:
            ref = state["reference"]
            norm = state["normaliser"]
            out = cls(
                source_points=int(state["source_points"]),  # type: ignore[arg-type]
                target_points=int(state["target_points"]),  # type: ignore[arg-type]
                reference=None if ref is None else np.asarray(ref, dtype=np.float64),
                normaliser=None if norm is None else (int(norm[0]), int(norm[1])),  # type: ignore[index]
                min_faces=int(state["min_faces"]),  # type: ignore[arg-type]
                lam=float(state["lam"]),  # type: ignore[arg-type]
            )
            xs = [np.asarray(v, dtype=np.float64) for v in state["x"]]  # type: ignore[attr-defined]
            ys = [np.asarray(v, dtype=np.float64) for v in state["y"]]  # type: ignore[attr-defined]
        except (KeyError, TypeError, ValueError, IndexError) as e:
            raise ValueError(f"pre-labeller state is damaged: {e!r}") from None
        if (
            len(xs) != len(ys)
            or any(v.shape != (2 * out.source_points,) for v in xs)
            or any(v.shape != (2 * out.target_points,) for v in ys)
        ):
            raise ValueError("pre-labeller state is damaged: sample sizes do not match")
        out._x, out._y = xs, ys
        if xs:
            out._refit()
        return out
