"""Pair the faces of two datasets (ground truth and predictions) for scoring.

The rule itself is `facealign_gui.core.pairing.pair_faces` (by image path, then by position
in the image; never by row order); this module feeds it a `Dataset`'s names and boxes.
"""

from __future__ import annotations

from facealign_gui.core.pairing import Pairing, pair_faces
from facealign_gui.datasets.model import Dataset

__all__ = ["Pairing", "match_samples"]


def match_samples(gt: Dataset, pred: Dataset) -> Pairing:
    """Pair ``gt``'s faces with ``pred``'s by image path and position (`pair_faces`)."""
    return pair_faces(
        gt.images,
        pred.images,
        gt_points=gt.points,
        pred_points=pred.points,
        gt_boxes=gt.boxes,
        pred_boxes=pred.boxes,
    )
