"""HIH, Kaggle hourglass, generic heatmap and regression decoders on hand-built tensors."""

from __future__ import annotations

import numpy as np
import pytest

from facealign_gui.inference.decoders.heatmap import decode_heatmaps
from facealign_gui.inference.decoders.hih import decode_hih
from facealign_gui.inference.decoders.regression import decode_regression
from facealign_gui.inference.types import InferenceError


def test_hih_adds_the_decimal_peak_divided_by_its_side() -> None:
    hm = np.zeros((1, 2, 64, 64), np.float32)
    off = np.zeros((1, 2, 8, 8), np.float32)
    hm[0, 0, 20, 10] = 1.0  # cell x=10, y=20
    off[0, 0, 2, 4] = 0.9  # column 4 -> +4/8, row 2 -> +2/8
    hm[0, 1, 63, 0] = 0.7
    off[0, 1, 7, 7] = 0.2
    pts, conf = decode_hih(hm, off)
    assert pts[0, 0].tolist() == [10.5, 20.25]
    assert pts[0, 1].tolist() == [0 + 7 / 8, 63 + 7 / 8]
    assert conf[0].tolist() == pytest.approx([1.0, 0.7])


def test_hih_map_without_a_positive_peak_decodes_to_zero_like_theirs() -> None:
    hm = np.full((1, 1, 8, 8), -1.0, np.float32)
    hm[0, 0, 3, 5] = -0.5
    off = np.full((1, 1, 4, 4), -2.0, np.float32)
    off[0, 0, 1, 1] = -1.0
    pts, _ = decode_hih(hm, off)
    assert pts[0, 0].tolist() == [0.0, 0.0]


def test_hih_mismatched_heads_are_refused() -> None:
    with pytest.raises(InferenceError, match="do not match"):
        decode_hih(np.zeros((1, 2, 8, 8)), np.zeros((1, 3, 4, 4)))


def test_hourglass_takes_the_first_row_major_maximum() -> None:
    hm = np.zeros((1, 1, 96, 96), np.float32)
    hm[0, 0, 40, 70] = 2.0
    hm[0, 0, 50, 10] = 2.0  # same value, later row: not chosen
    pts, conf = decode_heatmaps(hm, "none")  # the hourglass family's decoding
    assert pts[0, 0].tolist() == [70.0, 40.0] and conf[0, 0] == 2.0


def _row_peak() -> np.ndarray:
    hm = np.zeros((1, 1, 9, 9), np.float32)
    hm[0, 0, 4, 4:7] = [1.0, 3.0, 2.0]  # peak x=5, left 1, right 2
    hm[0, 0, 3, 5] = 2.5  # above 2.5, below 0
    return hm


def test_generic_heatmap_quarter_offset_moves_towards_the_larger_neighbour() -> None:
    pts, _ = decode_heatmaps(_row_peak(), "quarter")
    assert pts[0, 0].tolist() == [5.25, 3.75]
    assert decode_heatmaps(_row_peak(), "none")[0][0, 0].tolist() == [5.0, 4.0]


def test_generic_heatmap_quadratic_moves_to_the_parabola_vertex() -> None:
    pts, _ = decode_heatmaps(_row_peak(), "quadratic")
    # x: 0.5 * (2 - 1) / (2*3 - 1 - 2) = 1/6 ; y: 0.5 * (0 - 2.5) / (6 - 2.5 - 0) = -5/14
    assert pts[0, 0].tolist() == pytest.approx([5 + 1 / 6, 4 - 5 / 14])


def test_generic_heatmap_peak_on_the_border_gets_no_offset() -> None:
    hm = np.zeros((1, 1, 5, 5), np.float32)
    hm[0, 0, 0, 4] = 1.0
    hm[0, 0, 0, 3] = 0.5
    assert decode_heatmaps(hm, "quarter")[0][0, 0].tolist() == [4.0, 0.0]


def test_regression_reads_flat_or_paired_coordinates() -> None:
    flat = np.array([[0.25, 0.5, 1.0, 0.0]], np.float32)
    pts, conf = decode_regression(flat, 2, (64, 32))
    assert pts[0].tolist() == [[16.0, 16.0], [64.0, 0.0]]
    assert conf.shape == (1, 2)
    pix, _ = decode_regression(flat.reshape(1, 2, 2) * 10, 2, (64, 32), "pixels")
    assert pix[0].tolist() == [[2.5, 5.0], [10.0, 0.0]]
    with pytest.raises(InferenceError, match=r"\(N, 6\)"):
        decode_regression(flat, 3, (64, 64))
