"""The mirror pass, Qt-free: predict the horizontally flipped image and map the result back.

A model run on the flipped image, flipped back through the scheme's flip pairs, should agree
with its run on the image; where the two disagree the model is unsure (see
`inference.uncertainty.flip_inconsistency`). With pixel centres at integer coordinates,
column ``x`` of the flipped image is column ``width - 1 - x`` of the original, and
left/right landmark pairs swap names.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from facealign_gui.core.annotation import Prediction
from facealign_gui.core.mirror import flip_box, flip_permutation, unflip_points
from facealign_gui.inference.types import FaceRegion, Predictor

__all__ = [
    "flip_box",
    "flip_permutation",
    "mirror_region",
    "predict_mirrored",
    "unflip_prediction",
]

# BlazeFace key points: right eye, left eye, nose tip, mouth, right ear, left ear
_KEYPOINT_SWAP = np.array([1, 0, 2, 3, 5, 4])


def mirror_region(face: FaceRegion, width: int) -> FaceRegion:
    """``face`` as it lies in the horizontally flipped image (box, centre and key points)."""
    center = None if face.center is None else (width - 1 - face.center[0], face.center[1])
    box = None if face.box is None else flip_box(face.box, width)
    kp = None
    if face.keypoints is not None:
        kp = np.array(face.keypoints, dtype=np.float64, copy=True)
        kp[:, 0] = width - 1 - kp[:, 0]
        if len(kp) == len(_KEYPOINT_SWAP):
            kp = kp[_KEYPOINT_SWAP]
    return FaceRegion(center=center, scale=face.scale, box=box, keypoints=kp, score=face.score)


def unflip_prediction(
    pred: Prediction, width: int, flip_pairs: Sequence[tuple[int, int]]
) -> Prediction:
    """A prediction made on the flipped image, in the original image and point order.

    Heatmaps are permuted and flipped left-right, and their heatmap-to-image matrix is
    composed with both flips, so they overlay the original image.
    """
    k = pred.num_points
    perm = flip_permutation(k, flip_pairs)
    pts = unflip_points(pred.points, width, flip_pairs)
    conf = np.asarray(pred.confidence)[perm].copy()
    hm = m = None
    if pred.heatmaps is not None:
        hm = np.ascontiguousarray(np.asarray(pred.heatmaps)[perm][:, :, ::-1])
        if pred.crop_to_image is not None:
            wh = hm.shape[2]
            flip_hm = np.array([[-1.0, 0.0, wh - 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
            flip_im = np.array([[-1.0, 0.0, width - 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
            inner = np.vstack([np.asarray(pred.crop_to_image, dtype=np.float64), [0, 0, 1]])
            m = (flip_im @ inner @ flip_hm)[:2]
    return Prediction(points=pts, confidence=conf, heatmaps=hm, crop_to_image=m,
                      model_id=pred.model_id, seconds=pred.seconds)  # fmt: skip


def predict_mirrored(
    predictor: Predictor,
    image: np.ndarray,
    face: FaceRegion,
    flip_pairs: Sequence[tuple[int, int]],
) -> Prediction:
    """Run ``predictor`` on the flipped ``image`` (BGR) with ``face`` mirrored, and return
    the prediction mapped back onto ``image`` (`unflip_prediction`)."""
    width = int(image.shape[1])
    flipped = np.ascontiguousarray(image[:, ::-1])
    pred = predictor.predict(flipped, mirror_region(face, width))
    return unflip_prediction(pred, width, flip_pairs)
