"""Pair the rows of two datasets (ground truth and predictions) for scoring."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from facealign_gui.datasets.model import Dataset


@dataclass
class Matching:
    """``gt[gt_index[j]]`` pairs with ``pred[pred_index[j]]``."""

    gt_index: np.ndarray
    pred_index: np.ndarray
    how: str  # "row order", "image name", or "row order (image names differ)"
    unmatched_gt: list[int] = field(default_factory=list)
    unmatched_pred: list[int] = field(default_factory=list)


def image_key(name: str) -> str:
    """Image name compared across formats: forward slashes, no ``./``, lower case."""
    key = name.replace("\\", "/").strip()
    while key.startswith("./"):
        key = key[2:]
    return key.lower()


def base_key(name: str) -> str:
    return image_key(name).rsplit("/", 1)[-1]


def match_samples(gt: Dataset, pred: Dataset) -> Matching:
    """Pair by row order when both list the same images in the same order; otherwise by
    image name (full relative path, else base name), the k-th face of an image with the
    k-th face of the same image. Two files with the same number of rows and no image name
    in common (e.g. predictions written without names) are paired by row order.
    """
    n, m = len(gt), len(pred)
    gk = [image_key(s) for s in gt.images]
    pk = [image_key(s) for s in pred.images]
    if n == m and (gk == pk or [base_key(s) for s in gk] == [base_key(s) for s in pk]):
        idx = np.arange(n, dtype=np.int64)
        return Matching(idx, idx.copy(), "row order")
    best = _by_name(gk, pk)
    if len(best[0]) < min(n, m):
        alt = _by_name([base_key(s) for s in gk], [base_key(s) for s in pk])
        if len(alt[0]) > len(best[0]):
            best = alt
    gi, pi = best
    if not gi and n == m:
        idx = np.arange(n, dtype=np.int64)
        return Matching(idx, idx.copy(), "row order (image names differ)")
    g_set, p_set = set(gi), set(pi)
    return Matching(
        np.array(gi, dtype=np.int64),
        np.array(pi, dtype=np.int64),
        "image name",
        [i for i in range(n) if i not in g_set],
        [j for j in range(m) if j not in p_set],
    )


def _by_name(gk: list[str], pk: list[str]) -> tuple[list[int], list[int]]:
    pred_rows: dict[str, list[int]] = {}
    for j, k in enumerate(pk):
        pred_rows.setdefault(k, []).append(j)
    seen: dict[str, int] = {}
    gi: list[int] = []
    pi: list[int] = []
    for i, k in enumerate(gk):
        occurrence = seen.get(k, 0)
        seen[k] = occurrence + 1
        rows = pred_rows.get(k, [])
        if occurrence < len(rows):
            gi.append(i)
            pi.append(rows[occurrence])
    return gi, pi
