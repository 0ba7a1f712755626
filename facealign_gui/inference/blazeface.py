"""BlazeFace (MediaPipe's short- and full-range face detectors) post-processing, in numpy.

Everything here follows the options of MediaPipe's ``face_detection_short_range`` graph
(the full-range graph differs only where `FULL_RANGE_ANCHORS` says):

* SSD anchors (``SsdAnchorsCalculator``): 128x128 input, ``num_layers`` 4, strides
  8, 16, 16, 16, ``min_scale`` 0.1484375, ``max_scale`` 0.75, anchor offsets 0.5, one aspect
  ratio 1.0 plus the interpolated one (``interpolated_scale_aspect_ratio`` 1.0) and
  ``fixed_anchor_size`` (every anchor is 1x1). Layers with the same stride share one grid, so
  the 16x16 grid carries 2 anchors per cell and the 8x8 grid 6: 512 + 384 = 896 anchors.
* decoding (``TensorsToDetectionsCalculator``): 16 values per anchor in x, y, w, h order
  (``reverse_output_order``) then six (x, y) key points, all divided by 128 (``x/y/w/h_scale``)
  and offset by the anchor; scores are ``sigmoid(clip(raw, -100, 100))`` and kept when
  ``>= min_score_thresh`` (0.5). Boxes with a negative width or height are dropped.
* weighted non-maximum suppression (``NonMaxSuppressionCalculator``, ``WEIGHTED``,
  ``INTERSECTION_OVER_UNION``, ``min_suppression_threshold`` 0.3): take the best remaining
  detection, gather every remaining detection whose IoU with it is above 0.3 (itself
  included), replace its box and key points by their score-weighted mean, keep its score.
* letterbox (``ImageToTensorCalculator`` with ``keep_aspect_ratio`` and ``BORDER_ZERO``): the
  image is centred in a square of side max(width, height), zero-padded, and scaled to 128.

Key points, in the detector's order: right eye, left eye, nose tip, mouth centre, right ear
tragion, left ear tragion ("right" is the subject's right, on the image's left).

Coordinates: "normalised" values are fractions of the 128x128 tensor; image coordinates
follow the project convention (pixel centres at integers), the same frame cv2.warpAffine
uses, so the letterbox matrix maps both ways exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KEYPOINT_NAMES = (
    "right_eye",
    "left_eye",
    "nose_tip",
    "mouth_center",
    "right_ear_tragion",
    "left_ear_tragion",
)


@dataclass(frozen=True)
class AnchorOptions:
    """``SsdAnchorsCalculatorOptions`` as used by the short-range face detector."""

    input_size: tuple[int, int] = (128, 128)  # (width, height)
    strides: tuple[int, ...] = (8, 16, 16, 16)
    min_scale: float = 0.1484375
    max_scale: float = 0.75
    anchor_offset: tuple[float, float] = (0.5, 0.5)
    aspect_ratios: tuple[float, ...] = (1.0,)
    interpolated_scale_aspect_ratio: float = 1.0
    fixed_anchor_size: bool = True

    @property
    def num_layers(self) -> int:
        return len(self.strides)


@dataclass(frozen=True)
class DecodeOptions:
    """``TensorsToDetectionsCalculatorOptions`` + NMS options of the short-range graph."""

    num_keypoints: int = 6
    box_scale: tuple[float, float, float, float] = (128.0, 128.0, 128.0, 128.0)  # x, y, w, h
    score_clipping: float = 100.0
    min_score: float = 0.5
    iou_threshold: float = 0.3


@dataclass
class Detections:
    """Detections in normalised tensor coordinates.

    Attributes
    ----------
    boxes : (N, 4) float64 ``xmin, ymin, xmax, ymax``.
    keypoints : (N, K, 2) float64 ``x, y``.
    scores : (N,) float64 in [0, 1].
    """

    boxes: np.ndarray
    keypoints: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return int(self.scores.shape[0])

    @classmethod
    def empty(cls, num_keypoints: int = 6) -> Detections:
        return cls(np.zeros((0, 4)), np.zeros((0, num_keypoints, 2)), np.zeros(0))

    def take(self, index: np.ndarray | list[int]) -> Detections:
        idx = np.asarray(index, dtype=np.intp)
        return Detections(self.boxes[idx], self.keypoints[idx], self.scores[idx])


SHORT_RANGE_ANCHORS = AnchorOptions()

# ``face_detection_full_range_common.pbtxt``: a 192x192 input, one layer at stride 4 (a
# 48x48 grid), no interpolated anchor, so one anchor per cell: 2304 anchors. Decoding is the
# short-range one with every scale 192 (the input size).
FULL_RANGE_ANCHORS = AnchorOptions(
    input_size=(192, 192), strides=(4,), interpolated_scale_aspect_ratio=0.0
)


def anchor_options_for(size: int) -> AnchorOptions:
    """The anchor options of the BlazeFace model with a ``size`` x ``size`` input."""
    if size == 128:
        return SHORT_RANGE_ANCHORS
    if size == 192:
        return FULL_RANGE_ANCHORS
    raise ValueError(f"no BlazeFace anchor layout for a {size}x{size} input (128 or 192)")


def concat(parts: list[Detections]) -> Detections:
    """All detections of ``parts`` in one `Detections` (same key-point count)."""
    parts = [d for d in parts if len(d)]
    if not parts:
        return Detections.empty()
    return Detections(
        np.concatenate([d.boxes for d in parts]),
        np.concatenate([d.keypoints for d in parts]),
        np.concatenate([d.scores for d in parts]),
    )


def _layer_scale(opts: AnchorOptions, layer: int) -> float:
    if opts.num_layers == 1:
        return (opts.min_scale + opts.max_scale) / 2.0
    return opts.min_scale + (opts.max_scale - opts.min_scale) * layer / (opts.num_layers - 1)


def ssd_anchors(opts: AnchorOptions | None = None) -> np.ndarray:
    """SSD anchors as an (N, 4) float64 array of ``x_center, y_center, w, h`` (normalised).

    Consecutive layers with the same stride share one feature map; per cell, anchors are
    listed layer by layer, each layer giving its aspect ratios and then the interpolated one.
    """
    opts = opts or AnchorOptions()
    width, height = opts.input_size
    out: list[np.ndarray] = []
    layer = 0
    while layer < opts.num_layers:
        sizes: list[tuple[float, float]] = []  # (w, h) of each anchor in a cell
        last = layer
        while last < opts.num_layers and opts.strides[last] == opts.strides[layer]:
            scale = _layer_scale(opts, last)
            for ratio in opts.aspect_ratios:
                sizes.append((scale * np.sqrt(ratio), scale / np.sqrt(ratio)))
            if opts.interpolated_scale_aspect_ratio > 0.0:
                nxt = 1.0 if last == opts.num_layers - 1 else _layer_scale(opts, last + 1)
                inter = float(np.sqrt(scale * nxt))
                r = opts.interpolated_scale_aspect_ratio
                sizes.append((inter * np.sqrt(r), inter / np.sqrt(r)))
            last += 1
        stride = opts.strides[layer]
        fw, fh = int(np.ceil(width / stride)), int(np.ceil(height / stride))
        ys, xs = np.meshgrid(np.arange(fh), np.arange(fw), indexing="ij")
        cx = (xs.ravel() + opts.anchor_offset[0]) / fw
        cy = (ys.ravel() + opts.anchor_offset[1]) / fh
        n = len(sizes)
        wh = np.ones((n, 2)) if opts.fixed_anchor_size else np.asarray(sizes, dtype=np.float64)
        block = np.empty((fw * fh, n, 4))
        block[:, :, 0] = cx[:, None]
        block[:, :, 1] = cy[:, None]
        block[:, :, 2:] = wh[None, :, :]
        out.append(block.reshape(-1, 4))
        layer = last
    return np.concatenate(out, axis=0)


def sigmoid_scores(raw: np.ndarray, clip: float = 100.0) -> np.ndarray:
    """``1 / (1 + exp(-clip(raw, -clip, clip)))`` as float64."""
    x = np.clip(np.asarray(raw, dtype=np.float64), -clip, clip)
    return 1.0 / (1.0 + np.exp(-x))


def decode(
    raw_boxes: np.ndarray,
    raw_scores: np.ndarray,
    anchors: np.ndarray,
    opts: DecodeOptions | None = None,
) -> Detections:
    """Raw detector outputs for one image to detections above ``opts.min_score``.

    Parameters
    ----------
    raw_boxes : (N, 4 + 2K) regressors (any leading batch axis of size 1 is dropped).
    raw_scores : (N,) or (N, 1) logits.
    anchors : (N, 4) from `ssd_anchors`.
    """
    opts = opts or DecodeOptions()
    boxes = np.asarray(raw_boxes, dtype=np.float64).reshape(len(anchors), -1)
    logits = np.asarray(raw_scores).reshape(len(anchors))
    k = opts.num_keypoints
    if boxes.shape[1] < 4 + 2 * k:
        raise ValueError(f"expected {4 + 2 * k} values per anchor, got {boxes.shape[1]}")
    scores = sigmoid_scores(logits, opts.score_clipping)
    keep = np.nonzero(scores >= opts.min_score)[0]
    if keep.size == 0:
        return Detections.empty(k)
    b, a = boxes[keep], anchors[keep]
    sx, sy, sw, sh = opts.box_scale
    cx = b[:, 0] / sx * a[:, 2] + a[:, 0]
    cy = b[:, 1] / sy * a[:, 3] + a[:, 1]
    w = b[:, 2] / sw * a[:, 2]
    h = b[:, 3] / sh * a[:, 3]
    out_boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    kp = b[:, 4 : 4 + 2 * k].reshape(-1, k, 2)
    kx = kp[:, :, 0] / sx * a[:, 2:3] + a[:, 0:1]
    ky = kp[:, :, 1] / sy * a[:, 3:4] + a[:, 1:2]
    valid = (w >= 0) & (h >= 0) & np.isfinite(w) & np.isfinite(h)
    det = Detections(out_boxes, np.stack([kx, ky], axis=2), scores[keep])
    return det.take(np.nonzero(valid)[0])


def iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Intersection over union of one ``xmin, ymin, xmax, ymax`` box with each of ``boxes``.

    Zero when the boxes do not overlap or the union is empty (as MediaPipe's
    ``OverlapSimilarity``).
    """
    boxes = np.atleast_2d(boxes)
    ix = np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0])
    iy = np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1])
    inter = np.where((ix > 0) & (iy > 0), ix * iy, 0.0)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = area + areas - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def weighted_nms(
    det: Detections, iou_threshold: float = 0.3, max_detections: int | None = None
) -> Detections:
    """MediaPipe's WEIGHTED non-maximum suppression.

    Repeatedly take the highest-scoring remaining detection; every remaining detection whose
    IoU with it exceeds ``iou_threshold`` (the detection itself included) is removed and
    merged into it: box corners and key points become their score-weighted means, the score
    stays the best one. Output is sorted by score, best first.
    """
    if len(det) == 0:
        return det
    order = np.argsort(-det.scores, kind="stable")
    remaining = order
    boxes, kps, scores = [], [], []
    while remaining.size and (max_detections is None or len(scores) < max_detections):
        top = remaining[0]
        overlap = iou(det.boxes[top], det.boxes[remaining]) > iou_threshold
        overlap[0] = True  # a degenerate (zero-area) box still absorbs itself
        members = remaining[overlap]
        w = det.scores[members]
        total = w.sum()
        boxes.append((det.boxes[members] * w[:, None]).sum(axis=0) / total)
        kps.append((det.keypoints[members] * w[:, None, None]).sum(axis=0) / total)
        scores.append(det.scores[top])
        remaining = remaining[~overlap]
    return Detections(np.asarray(boxes), np.asarray(kps), np.asarray(scores))


def letterbox_matrix(width: int, height: int, size: int = 128) -> np.ndarray:
    """2x3 affine matrix from image pixels to the ``size`` x ``size`` letterboxed tensor.

    The image is centred in a square of side ``max(width, height)`` whose corners map to the
    tensor's corners (MediaPipe's ``keep_aspect_ratio``), so the tensor is zero-padded above
    and below (or left and right) by equal amounts.
    """
    if width <= 0 or height <= 0:
        raise ValueError(f"image size must be positive, got {width}x{height}")
    side = float(max(width, height))
    s = size / side
    x0 = width / 2.0 - side / 2.0
    y0 = height / 2.0 - side / 2.0
    return np.array([[s, 0.0, -s * x0], [0.0, s, -s * y0]])


def to_image(det: Detections, matrix: np.ndarray, size: int = 128) -> Detections:
    """Map normalised tensor detections back to image pixels through the inverse of
    ``matrix`` (a scale-and-translate letterbox matrix from `letterbox_matrix`)."""
    s, tx, ty = matrix[0, 0], matrix[0, 2], matrix[1, 2]
    if len(det) == 0:
        return det
    boxes = det.boxes * size
    boxes = (boxes - np.array([tx, ty, tx, ty])) / s
    kps = (det.keypoints * size - np.array([tx, ty])) / s
    return Detections(boxes, kps, det.scores.copy())
