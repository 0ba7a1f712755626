"""Helpers of the default model's post-processing (used by `mediapipe.MediaPipePredictor`).

* `yaw_cue`: a signed head-turn cue from the mesh, the input of the learned correction;
* `unflip_points`: 300W points of a mirrored pass back to the direct pass's numbering;
* `confidence_from_spread`: per-point confidence from the mirrored-pass disagreement.
"""

from __future__ import annotations

import numpy as np

from facealign_gui.core.schemes import get_scheme

# Expected NME of each 300W group before any spread is seen: the jaw is the least reliable.
GROUP_PRIOR = np.array([0.10] * 17 + [0.06] * 10 + [0.05] * 9 + [0.04] * 12 + [0.05] * 20)


def yaw_cue(mesh: np.ndarray) -> float:
    """Where the nose tip (vertex 1) sits between the face sides (234 right, 454 left)
    along the eye line: -1 at the subject's right edge, +1 at the left edge, 0 centred."""
    xy = np.asarray(mesh, dtype=np.float64)[:, :2]
    axis = xy[263] - xy[33]
    axis /= max(float(np.linalg.norm(axis)), 1e-9)
    right, left, nose = (float(xy[i] @ axis) for i in (234, 454, 1))
    half = max((left - right) / 2.0, 1e-9)
    return float(np.clip((nose - (left + right) / 2.0) / half, -1.0, 1.0))


def inter_ocular(points68: np.ndarray) -> float:
    """Distance between the outer eye corners 36 and 45 (300W's normaliser)."""
    return float(np.linalg.norm(points68[36] - points68[45]))


SPREAD_WEIGHT = 1.0
YAW_WEIGHT = 2.0


def confidence_from_spread(
    spread: np.ndarray,
    presence: float = 1.0,
    prior: np.ndarray | None = None,
    yaw: float = 0.0,
    weight: float = SPREAD_WEIGHT,
    yaw_weight: float = YAW_WEIGHT,
) -> np.ndarray:
    """Per-point confidence from the pose and the mirrored-pass disagreement.

    The expected error of point k (inter-ocular units) is modelled as
    ``prior[k] * (1 + yaw_weight * |yaw|) + weight * spread[k]``, where ``prior`` is the
    learned correction's remaining error per point (`Correction.expected`) or, without one,
    `GROUP_PRIOR`, and ``yaw`` is `yaw_cue` (turned faces are the hard ones: on the dev
    faces |yaw| ranks the per-face NME with Spearman 0.68, the spread alone hardly). The
    confidence is ``presence / (1 + expected / 0.05)``: 1 for a perfect, certain point,
    0.5 at an expected error of 0.05 inter-ocular.
    """
    base = GROUP_PRIOR if prior is None else np.asarray(prior, dtype=np.float64)
    base = base * (1.0 + yaw_weight * abs(float(yaw)))
    expected = base + weight * np.asarray(spread, dtype=np.float64)
    return (float(presence) / (1.0 + expected / 0.05)).astype(np.float32)


def unflip_points(points68: np.ndarray) -> np.ndarray:
    """300W points from a mirrored pass whose x is already flipped back: the subject's
    right and left points swap names (300W's flip pairs)."""
    perm = np.asarray(get_scheme("300w68").flip_permutation())
    return np.asarray(points68, dtype=np.float64)[perm]
