"""BlazeFace post-processing, checked against numbers worked by hand from MediaPipe's options."""

from __future__ import annotations

import math

import numpy as np
import pytest

from facealign_gui.inference import blazeface as bf


def test_short_range_anchors_are_896_on_16x16_and_8x8_grids() -> None:
    a = bf.ssd_anchors()
    assert a.shape == (896, 4)
    # stride 8: 16x16 cells, 2 anchors each (aspect 1.0 + interpolated) -> 512
    np.testing.assert_allclose(a[0], [0.5 / 16, 0.5 / 16, 1.0, 1.0])
    np.testing.assert_allclose(a[1], a[0])
    np.testing.assert_allclose(a[2], [1.5 / 16, 0.5 / 16, 1.0, 1.0])
    np.testing.assert_allclose(a[511], [15.5 / 16, 15.5 / 16, 1.0, 1.0])
    # strides 16, 16, 16 share an 8x8 grid, 3 layers x 2 = 6 anchors per cell -> 384
    np.testing.assert_allclose(a[512], [0.5 / 8, 0.5 / 8, 1.0, 1.0])
    np.testing.assert_allclose(a[517], a[512])
    np.testing.assert_allclose(a[518], [1.5 / 8, 0.5 / 8, 1.0, 1.0])
    np.testing.assert_allclose(a[-1], [7.5 / 8, 7.5 / 8, 1.0, 1.0])


def test_anchor_sizes_follow_the_layer_scales_when_not_fixed() -> None:
    a = bf.ssd_anchors(bf.AnchorOptions(fixed_anchor_size=False))
    s0 = 0.1484375
    s1 = 0.1484375 + (0.75 - 0.1484375) * 1 / 3  # 0.34895833...
    np.testing.assert_allclose(a[0, 2:], [s0, s0])
    np.testing.assert_allclose(a[1, 2:], [math.sqrt(s0 * s1)] * 2)
    # last anchor of the 8x8 cells: interpolated anchor of the last layer, next scale 1.0
    np.testing.assert_allclose(a[-1, 2:], [math.sqrt(0.75 * 1.0)] * 2)


def test_decode_turns_a_hand_made_raw_output_into_the_expected_box() -> None:
    anchors = bf.ssd_anchors()
    raw = np.zeros((896, 16))  # float64: 12.8 is not exact in float32
    logits = np.full(896, -10.0)
    # anchor 0 sits at (0.03125, 0.03125), size 1x1; values are in 128ths
    raw[0, :4] = [12.8, -3.2, 32.0, 64.0]  # dx=0.1, dy=-0.025, w=0.25, h=0.5
    raw[0, 4:6] = [6.4, 6.4]  # right eye: +0.05, +0.05
    logits[0] = 0.0  # sigmoid 0.5: kept (>= 0.5)
    logits[700] = -0.01  # just below 0.5: dropped
    det = bf.decode(raw[None], logits[None, :, None], anchors)
    assert len(det) == 1
    cx, cy = 0.03125 + 0.1, 0.03125 - 0.025
    np.testing.assert_allclose(det.boxes[0], [cx - 0.125, cy - 0.25, cx + 0.125, cy + 0.25])
    np.testing.assert_allclose(det.keypoints[0, 0], [0.08125, 0.08125])
    np.testing.assert_allclose(det.keypoints[0, 1], [0.03125, 0.03125])  # raw 0: the anchor
    assert det.scores[0] == pytest.approx(0.5)


def test_decode_clips_raw_scores_at_100_and_drops_negative_sizes() -> None:
    anchors = bf.ssd_anchors()
    raw = np.zeros((896, 16), np.float32)
    raw[:, 2:4] = 10.0
    raw[5, 2] = -1.0  # negative width: dropped even with a high score
    logits = np.full(896, -1e4, np.float32)
    logits[[3, 5]] = 1e4
    det = bf.decode(raw, logits, anchors)
    assert len(det) == 1
    assert det.scores[0] == pytest.approx(1.0 / (1.0 + math.exp(-100.0)))


def test_weighted_nms_merges_two_overlapping_boxes_by_score() -> None:
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [20, 20, 30, 30]], float)
    kps = np.zeros((3, 6, 2))
    kps[0, 0] = [2, 2]
    kps[1, 0] = [5, 2]
    kps[2, 0] = [25, 25]
    det = bf.Detections(boxes, kps, np.array([0.9, 0.6, 0.7]))
    out = bf.weighted_nms(det, 0.3)
    # IoU(A, B) = 90 / 110 > 0.3: merged with weights 0.9 and 0.6 (total 1.5)
    assert len(out) == 2
    np.testing.assert_allclose(out.boxes[0], [0.4, 0.0, 10.4, 10.0])  # (0*.9+1*.6)/1.5 ...
    np.testing.assert_allclose(out.keypoints[0, 0], [3.2, 2.0])  # (2*.9+5*.6)/1.5
    assert out.scores[0] == pytest.approx(0.9)
    np.testing.assert_allclose(out.boxes[1], [20, 20, 30, 30])
    assert out.scores[1] == pytest.approx(0.7)


def test_weighted_nms_keeps_boxes_whose_iou_is_at_most_the_threshold() -> None:
    kps = np.zeros((2, 6, 2))
    scores = np.array([0.8, 0.7])
    merged = bf.Detections(np.array([[0, 0, 10, 10], [5, 0, 15, 10]], float), kps, scores)
    kept = bf.Detections(np.array([[0, 0, 10, 10], [6, 0, 16, 10]], float), kps, scores)
    assert len(bf.weighted_nms(merged, 0.3)) == 1  # IoU 50/150 = 0.333
    assert len(bf.weighted_nms(kept, 0.3)) == 2  # IoU 40/160 = 0.25
    assert len(bf.weighted_nms(kept, 0.3, max_detections=1)) == 1


def test_iou_is_zero_for_disjoint_and_degenerate_boxes() -> None:
    box = np.array([0.0, 0.0, 1.0, 1.0])
    others = np.array([[2.0, 2.0, 3.0, 3.0], [0.5, 0.5, 0.5, 0.5], [0.0, 0.0, 1.0, 1.0]])
    np.testing.assert_allclose(bf.iou(box, others), [0.0, 0.0, 1.0])


def test_letterbox_matrix_centres_a_landscape_image_with_padding_above_and_below() -> None:
    m = bf.letterbox_matrix(640, 480, 128)
    # square of side 640 centred on (320, 240): its corner (0, -80) maps to (0, 0)
    np.testing.assert_allclose(m @ [0, -80, 1], [0, 0])
    np.testing.assert_allclose(m @ [320, 240, 1], [64, 64])
    np.testing.assert_allclose(m @ [0, 0, 1], [0, 16])  # 16 rows of zero padding on top
    with pytest.raises(ValueError, match="positive"):
        bf.letterbox_matrix(0, 10)


def test_to_image_inverts_the_letterbox() -> None:
    m = bf.letterbox_matrix(300, 500, 128)
    pts = np.array([[10.0, 20.0], [250.0, 400.0]])
    norm = (pts @ m[:, :2].T + m[:, 2]) / 128
    det = bf.Detections(norm.reshape(1, 4), np.tile(norm, (3, 1))[None], np.ones(1))
    back = bf.to_image(det, m, 128)
    np.testing.assert_allclose(back.boxes[0], pts.ravel())
    np.testing.assert_allclose(back.keypoints[0, :2], pts)


def test_full_range_anchors_are_2304_on_one_48x48_grid() -> None:
    a = bf.ssd_anchors(bf.FULL_RANGE_ANCHORS)
    assert a.shape == (2304, 4)
    # one anchor per cell (no interpolated one), row-major, centres at (i + 0.5) / 48
    np.testing.assert_allclose(a[0], [0.5 / 48, 0.5 / 48, 1.0, 1.0])
    np.testing.assert_allclose(a[1], [1.5 / 48, 0.5 / 48, 1.0, 1.0])
    np.testing.assert_allclose(a[48], [0.5 / 48, 1.5 / 48, 1.0, 1.0])
    np.testing.assert_allclose(a[-1], [47.5 / 48, 47.5 / 48, 1.0, 1.0])


def test_anchor_options_are_chosen_by_input_size() -> None:
    assert bf.anchor_options_for(128) is bf.SHORT_RANGE_ANCHORS
    assert bf.anchor_options_for(192) is bf.FULL_RANGE_ANCHORS
    with pytest.raises(ValueError, match="100x100"):
        bf.anchor_options_for(100)


def test_concat_joins_detections_and_skips_empty_ones() -> None:
    one = bf.Detections(np.array([[0.0, 0, 1, 1]]), np.zeros((1, 6, 2)), np.array([0.9]))
    two = bf.Detections(np.array([[5.0, 5, 6, 6]]), np.ones((1, 6, 2)), np.array([0.7]))
    both = bf.concat([one, bf.Detections.empty(), two])
    assert len(both) == 2
    np.testing.assert_allclose(both.scores, [0.9, 0.7])
    assert len(bf.concat([])) == 0
