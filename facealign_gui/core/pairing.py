"""Pair ground-truth faces with predicted faces: by image path, then by position in the image.

The one rule `score`, `eval` and the window use; it never pairs by row order.

1. Images are paired by their path, compared after normalising separators (``\\`` -> ``/``,
   ``./`` and ``a/../`` removed) but with case kept: ``set/Face.jpg`` and ``set/face.jpg``
   are two images.
2. An image whose exact path has no partner is paired when one path is a suffix of the other
   at a folder boundary (``helen/1.jpg`` ~ ``/data/300w/helen/1.jpg``) or, failing that, by base
   name; either only when the candidate is unique on both sides (``helen/1.jpg`` and
   ``lfpw/1.jpg`` are never confused). Anything else is reported unmatched, with the reason.
3. Several faces in one image are paired by position, one to one: largest box overlap first
   (IoU of the faces' boxes, or of their landmarks' tight boxes), then nearest centre within
   the size of the ground-truth face. Their order in the files does not matter.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Pairing", "face_boxes", "normalise_path", "pair_faces"]


@dataclass
class Pairing:
    """``gt[gt_index[j]]`` pairs with ``pred[pred_index[j]]``.

    ``unmatched_gt`` maps a ground-truth face to why it has no prediction; ``unmatched_pred``
    lists predicted faces no ground truth took. ``how`` says which rules were needed.
    """

    gt_index: np.ndarray
    pred_index: np.ndarray
    how: str
    unmatched_gt: dict[int, str] = field(default_factory=dict)
    unmatched_pred: list[int] = field(default_factory=list)


def normalise_path(name: str) -> str:
    """An image path as compared across files: forward slashes, no ``./`` or ``x/..``."""
    key = str(name).strip().replace("\\", "/")
    if not key:
        return key
    key = posixpath.normpath(key)
    return "" if key == "." else key


def face_boxes(points: np.ndarray | None, boxes: np.ndarray | None, n: int) -> np.ndarray:
    """(n, 4) x1, y1, x2, y2 per face: the given box where finite, else the tight box of the
    finite landmarks; NaN where neither exists."""
    out = np.full((n, 4), np.nan)
    if points is not None:
        p = np.asarray(points, dtype=np.float64)
        ok = np.isfinite(p).all(axis=2)
        has = ok.any(axis=1)
        if has.any():
            big = np.where(ok[..., None], p, np.inf)
            small = np.where(ok[..., None], p, -np.inf)
            out[has, :2] = big[has].min(axis=1)
            out[has, 2:] = small[has].max(axis=1)
    if boxes is not None:
        b = np.asarray(boxes, dtype=np.float64).reshape(n, 4)
        good = np.isfinite(b).all(axis=1)
        out[good] = b[good]
    return out


def _suffix_of(short: str, long: str) -> bool:
    return long == short or long.endswith("/" + short)


def _pair_images(gt_keys: list[str], pred_keys: list[str]) -> tuple[dict[str, str], set[str], str]:
    """gt image key -> pred image key, the gt keys whose base name is ambiguous, and how."""
    pred_set = set(pred_keys)
    pairs = {k: k for k in gt_keys if k in pred_set}
    how = "image path"
    rest_g = [k for k in gt_keys if k not in pairs]
    taken = set(pairs.values())
    rest_p = [k for k in pred_keys if k not in taken]
    ambiguous: set[str] = set()
    if not rest_g or not rest_p:
        return pairs, ambiguous, how
    by_base_g: dict[str, list[str]] = {}
    by_base_p: dict[str, list[str]] = {}
    for k in gt_keys:
        by_base_g.setdefault(posixpath.basename(k), []).append(k)
    for k in pred_keys:
        by_base_p.setdefault(posixpath.basename(k), []).append(k)
    for g in rest_g:
        base = posixpath.basename(g)
        cands = [p for p in by_base_p.get(base, []) if p not in taken]
        if not cands:
            continue
        # every key on both sides with this base name; uniqueness is judged over all of them
        all_g, all_p = by_base_g[base], by_base_p[base]
        suffix = [p for p in cands if _suffix_of(p, g) or _suffix_of(g, p)]
        if len(suffix) == 1:
            p = suffix[0]
            rivals = [x for x in all_g if x != g and (_suffix_of(p, x) or _suffix_of(x, p))]
            if not rivals:
                pairs[g] = p
                taken.add(p)
                how = "image path (folder suffix)"
                continue
        if len(all_g) == 1 and len(all_p) == 1:
            pairs[g] = cands[0]
            taken.add(cands[0])
            how = "image path and base name"
        else:
            ambiguous.add(g)
    return pairs, ambiguous, how


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU matrix (len(a), len(b)) of x1y1x2y2 boxes; 0 where either box is NaN."""
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = np.where(union > 0, inter / union, 0.0)
    return np.nan_to_num(iou, nan=0.0)


def _pair_in_image(
    g: list[int], p: list[int], gt_box: np.ndarray, pred_box: np.ndarray
) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """One-to-one pairs of the faces of one image by overlap, then by nearest centre."""
    if len(g) == 1 and len(p) == 1:
        return [(g[0], p[0])], [], []
    a, b = gt_box[g], pred_box[p]
    pairs: list[tuple[int, int]] = []
    free_g, free_p = set(range(len(g))), set(range(len(p)))
    iou = _iou(a, b)
    for flat in np.argsort(-iou, axis=None, kind="stable"):
        i, j = divmod(int(flat), len(p))
        if iou[i, j] <= 0:
            break
        if i in free_g and j in free_p:
            pairs.append((g[i], p[j]))
            free_g.discard(i)
            free_p.discard(j)
    if free_g and free_p:
        ca = (a[:, :2] + a[:, 2:]) / 2
        cb = (b[:, :2] + b[:, 2:]) / 2
        reach = np.hypot(a[:, 2] - a[:, 0], a[:, 3] - a[:, 1])
        cand = []
        for i in free_g:
            for j in free_p:
                d = float(np.hypot(*(ca[i] - cb[j])))
                if np.isfinite(d) and d <= reach[i]:
                    cand.append((d, i, j))
        for _, i, j in sorted(cand):
            if i in free_g and j in free_p:
                pairs.append((g[i], p[j]))
                free_g.discard(i)
                free_p.discard(j)
    return pairs, [g[i] for i in sorted(free_g)], [p[j] for j in sorted(free_p)]


def pair_faces(
    gt_images: Sequence[str],
    pred_images: Sequence[str],
    gt_points: np.ndarray | None = None,
    pred_points: np.ndarray | None = None,
    gt_boxes: np.ndarray | None = None,
    pred_boxes: np.ndarray | None = None,
) -> Pairing:
    """Pair faces by image path, then by position; see the module docstring for the rule.

    ``*_images`` name each face's image (one entry per face; an image with several faces
    appears several times). Points (N, K, 2) or boxes (N, 4) place the faces of one image.
    """
    n, m = len(gt_images), len(pred_images)
    gk = [normalise_path(s) for s in gt_images]
    pk = [normalise_path(s) for s in pred_images]
    g_faces: dict[str, list[int]] = {}
    p_faces: dict[str, list[int]] = {}
    for i, k in enumerate(gk):
        g_faces.setdefault(k, []).append(i)
    for j, k in enumerate(pk):
        p_faces.setdefault(k, []).append(j)
    image_pairs, ambiguous, how = _pair_images(list(g_faces), list(p_faces))
    gt_box = face_boxes(gt_points, gt_boxes, n)
    pred_box = face_boxes(pred_points, pred_boxes, m)
    gi: list[int] = []
    pi: list[int] = []
    unmatched_gt: dict[int, str] = {}
    used_pred: set[int] = set()
    by_position = False
    for key, faces in g_faces.items():
        partner = image_pairs.get(key)
        if partner is None:
            reason = (
                f"{gt_images[faces[0]]}: no prediction has this path, and its base name "
                "is not unique, so it cannot be paired by name (write predictions with "
                "the same relative image paths)"
                if key in ambiguous
                else f"{gt_images[faces[0]]}: no prediction for this image"
            )
            for i in faces:
                unmatched_gt[i] = reason
            continue
        preds = p_faces[partner]
        by_position |= len(faces) > 1 or len(preds) > 1
        pairs, free_g, _ = _pair_in_image(faces, preds, gt_box, pred_box)
        for a, b in pairs:
            gi.append(a)
            pi.append(b)
            used_pred.add(b)
        for i in free_g:
            unmatched_gt[i] = f"{gt_images[i]}: no predicted face at this face's position"
    order = np.argsort(np.asarray(gi, dtype=np.int64), kind="stable")
    if by_position:
        how += ", faces by position"
    return Pairing(
        gt_index=np.asarray(gi, dtype=np.int64)[order],
        pred_index=np.asarray(pi, dtype=np.int64)[order],
        how=how,
        unmatched_gt=dict(sorted(unmatched_gt.items())),
        unmatched_pred=[j for j in range(m) if j not in used_pred],
    )
