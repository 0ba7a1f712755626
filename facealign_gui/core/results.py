"""One model's evaluation over one dataset, as the metrics panel and the exports see it.

Every number comes from `facealign_gui.core.metrics` (the functions the ``eval`` and
``score`` commands call), so the panel and the command line agree to the last digit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from facealign_gui.core import metrics
from facealign_gui.core.schemes import Scheme, get_scheme, scheme_for_num_points


class Dataset(Protocol):
    """What scoring reads of a dataset (`facealign_gui.datasets.model.Dataset` has it all).

    Stated here so that ``core`` does not import the ``datasets`` layer above it.
    """

    root: Any
    scheme: str | None
    images: Sequence[str]
    points: np.ndarray | None
    visible: np.ndarray | None
    attributes: dict[str, np.ndarray]
    subsets: dict[str, Any]


#: Attribute names a dataset may use for AFLW's per-sample box size.
BOX_SIZE_ATTRIBUTES = ("box_size", "box_sizes")


def _scheme(dataset: Dataset, k: int) -> Scheme:
    if dataset.scheme:
        return get_scheme(dataset.scheme)
    scheme = scheme_for_num_points(k)
    if scheme is None:
        raise ValueError(
            f"dataset {dataset.root} names no landmark scheme and no scheme has {k} points"
        )
    return scheme


def _box_sizes(dataset: Dataset) -> np.ndarray | None:
    for name in BOX_SIZE_ATTRIBUTES:
        if name in dataset.attributes:
            return np.asarray(dataset.attributes[name], dtype=np.float64)
    return None


@dataclass
class EvalResult:
    """Per-image and per-landmark errors of one model on one dataset.

    Attributes
    ----------
    model_id : the model card's id.
    dataset : a name for the dataset (its file or folder).
    scheme : landmark scheme name.
    threshold : failure threshold on NME (FR counts NME > threshold; AUC integrates to it).
    nme : (N,) per-image NME; +inf where the model gave no usable prediction (a failure in
        FR, counted as ``missing``); NaN where the face was not run or cannot be scored (no
        visible point, no normaliser): left out of NME/FR/AUC.
    landmark_errors : (N, K) point error / normaliser; NaN where invisible or failed.
    failed : (N,) True where the NME is not finite (no usable result).
    subsets : subset name -> sample indices.
    summary : `metrics.summarize` output: count, missing, nme, fr, auc, subsets.
    images : N image paths (for per-image exports), may be empty.
    """

    model_id: str
    dataset: str
    scheme: str | None
    threshold: float
    nme: np.ndarray
    landmark_errors: np.ndarray
    failed: np.ndarray
    subsets: dict[str, np.ndarray] = field(default_factory=dict)
    summary: dict = field(default_factory=dict)
    images: list[str] = field(default_factory=list)

    @classmethod
    def from_points(
        cls,
        dataset: Dataset,
        pred_points: np.ndarray,
        model_id: str,
        threshold: float = 0.1,
        normaliser: str = "default",
        evaluated: np.ndarray | None = None,
    ) -> EvalResult:
        """Score ``pred_points`` (N, K, 2; NaN rows where the model gave nothing) against the
        dataset's ground truth.

        ``evaluated`` (N,) marks the faces the model was run on: there a NaN prediction is a
        missing prediction (NME +inf, a failure). Faces not run yet are left out (NME NaN).
        By default a face counts as run when its prediction has any finite point.
        """
        if dataset.points is None:
            raise ValueError(f"dataset {dataset.root} has no ground truth to score against")
        gt = np.asarray(dataset.points, dtype=np.float64)
        pred = np.asarray(pred_points, dtype=np.float64)
        if pred.shape != gt.shape:
            raise ValueError(
                f"predictions have shape {pred.shape}, the dataset's ground truth {gt.shape}"
            )
        scheme = _scheme(dataset, gt.shape[1])
        # the same function as the eval/score commands
        nme, errors = metrics.score_faces(
            pred, gt, scheme, dataset.visible, _box_sizes(dataset), kind=normaliser
        )
        if evaluated is None:
            evaluated = np.isfinite(pred).all(axis=2).any(axis=1)
        nme[~np.asarray(evaluated, dtype=bool)] = np.nan
        subsets = {k: np.asarray(v, dtype=np.int64) for k, v in dataset.subsets.items()}
        failed = ~np.isfinite(nme)
        errors[failed] = np.nan
        return cls(
            model_id=model_id,
            dataset=str(dataset.root),
            scheme=scheme.name,
            threshold=float(threshold),
            nme=nme,
            landmark_errors=errors,
            failed=failed,
            subsets=subsets,
            summary=metrics.summarize(nme, threshold, subsets),
            images=list(dataset.images),
        )

    def __len__(self) -> int:
        return int(self.nme.shape[0])

    @property
    def num_points(self) -> int:
        return int(self.landmark_errors.shape[1])

    def indices(self, subset: str | None = None) -> np.ndarray:
        """Sample indices of ``subset`` (all samples for None or ``"all"``)."""
        if subset in (None, "all"):
            return np.arange(len(self))
        if subset not in self.subsets:
            known = ", ".join(sorted(self.subsets)) or "none"
            raise KeyError(f"unknown subset {subset!r}; known subsets: {known}")
        return self.subsets[subset]

    def per_landmark_mean(self, subset: str | None = None) -> np.ndarray:
        """(K,) mean normalised error of each landmark over the images where it has one
        (NaN for a landmark never scored)."""
        err = self.landmark_errors[self.indices(subset)]
        ok = np.isfinite(err)
        count = ok.sum(axis=0)
        total = np.where(ok, err, 0.0).sum(axis=0)
        out = np.full(err.shape[1], np.nan)
        np.divide(total, count, out=out, where=count > 0)
        return out

    def ced(self, step: float = 1e-4, subset: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(thresholds, fraction of images with NME <= threshold), as `metrics.ced_curve`."""
        return metrics.ced_curve(self.nme[self.indices(subset)], self.threshold, step)

    def above_threshold(self) -> np.ndarray:
        """(N,) True where NME > threshold or the prediction is missing: the images FR
        counts as failures."""
        with np.errstate(invalid="ignore"):
            return ~np.isnan(self.nme) & (self.nme > self.threshold)

    def compare(self, other: EvalResult) -> np.ndarray:
        """(N,) ``self.nme - other.nme``: positive where this model is worse than ``other``;
        NaN where either has no result."""
        if len(other) != len(self):
            raise ValueError(
                f"cannot compare {self.model_id} ({len(self)} images) with "
                f"{other.model_id} ({len(other)} images): not the same dataset"
            )
        both = np.isfinite(self.nme) & np.isfinite(other.nme)
        return np.where(both, self.nme - np.where(both, other.nme, 0.0), np.nan)

    def subset_rows(self) -> list[tuple[str, dict]]:
        """``[("all", {count, missing, nme, fr, auc}), (subset, {...}), ...]``."""
        rows = [("all", {k: v for k, v in self.summary.items() if k != "subsets"})]
        rows += list(self.summary.get("subsets", {}).items())
        return rows
