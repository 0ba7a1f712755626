"""PIPNet decoding: mean-face neighbour tables and the merged landmark, worked by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facealign_gui.inference.decoders.pipnet import decode_pipnet, load_meanface, neighbour_tables
from facealign_gui.inference.types import InferenceError

LINE = np.array([[0.0, 0.0], [1.0, 0.0], [3.0, 0.0], [4.0, 0.0]])


def test_neighbour_tables_for_four_points_on_a_line_match_the_hand_count() -> None:
    # num_nb=2: 0 -> (1, 2); 1 -> (0, 2); 2 -> (3, 1); 3 -> (2, 1)
    t = neighbour_tables(LINE, 2)
    assert t.indices.tolist() == [[1, 2], [0, 2], [3, 1], [2, 1]]
    # voters of 0: [1 (slot 0)]; of 1: [0 (0), 2 (1), 3 (1)]; of 2: [0 (1), 1 (1), 3 (0)];
    # of 3: [2 (0)]. max_len 3, short lists repeated cyclically.
    assert t.max_len == 3
    assert t.reverse1.reshape(4, 3).tolist() == [[1, 1, 1], [0, 2, 3], [0, 1, 3], [2, 2, 2]]
    assert t.reverse2.reshape(4, 3).tolist() == [[0, 0, 0], [0, 1, 1], [1, 1, 0], [0, 0, 0]]


def test_a_landmark_nobody_votes_for_is_refused_like_the_published_reshape() -> None:
    # num_nb=1: 0->1, 1->0, 2->1: landmark 2 has no voter, so its list cannot be padded
    with pytest.raises(InferenceError, match="landmark 2"):
        neighbour_tables(np.array([[0.0, 0.0], [1.0, 0.0], [3.0, 0.0]]), 1)


def test_wflw_meanface_tables_have_the_published_shapes_and_entries(shared_dir: Path) -> None:
    path = shared_dir / "data" / "pipnet_meanface" / "meanface_WFLW.txt"
    if not path.is_file():
        pytest.skip("PIPNet WFLW mean face is not present")
    mf = load_meanface(path)
    assert mf.shape == (98, 2)
    t = neighbour_tables(mf, 10)
    assert t.indices.shape == (98, 10)
    # independent: sort by distance with Python, drop the point itself
    for i in (0, 52, 96):
        d = ((mf - mf[i]) ** 2).sum(axis=1)
        expect = sorted(range(98), key=lambda j: d[j])[1:11]
        assert t.indices[i].tolist() == expect
    # the chin contour starts 0 -> 1 -> 2; the left pupil (96) is surrounded by eye points
    assert t.indices[0][:2].tolist() == [1, 2]
    assert set(t.indices[96][:6].tolist()) <= set(range(60, 68))
    counts = np.bincount(t.indices.ravel(), minlength=98)
    assert t.max_len == counts.max() == 17
    assert t.reverse1.shape == t.reverse2.shape == (98 * 17,)
    # landmark 52 is voted for by the fewest (3): 51, 53, 54, repeated to 17 entries
    r1 = t.reverse1.reshape(98, 17)[52].tolist()
    r2 = t.reverse2.reshape(98, 17)[52].tolist()
    assert counts[52] == 3
    assert r1 == ([51, 53, 54] * 6)[:17]
    assert r2 == [t.indices[v].tolist().index(52) for v in r1]


def test_merged_point_is_the_mean_of_own_estimate_and_padded_votes() -> None:
    t = neighbour_tables(LINE, 2)
    k, nb, h, w = 4, 2, 2, 2  # input 64, stride 32
    score = np.zeros((1, k, h, w), np.float32)
    ox = np.zeros_like(score)
    oy = np.zeros_like(score)
    nbx = np.zeros((1, k * nb, h, w), np.float32)
    nby = np.zeros_like(nbx)
    cells = [(0, 0), (1, 0), (0, 1), (1, 1)]  # (col, row) of each landmark's peak
    for lm, (c, r) in enumerate(cells):
        score[0, lm, r, c] = 0.5 + 0.1 * lm
    ox[0, 0, 0, 0], oy[0, 0, 0, 0] = 0.5, 0.25  # own estimate of 0: (0.5, 0.25) cells
    # landmark 1 at cell (1, 0) votes for its slot-0 neighbour (= landmark 0)
    nbx[0, 1 * nb + 0, 0, 1], nby[0, 1 * nb + 0, 0, 1] = -0.3, 0.25
    pts, conf = decode_pipnet(score, ox, oy, nbx, nby, t, (64, 64), 32)
    # own (0.5/2, 0.25/2) = (0.25, 0.125); vote ((1-0.3)/2, 0.25/2) = (0.35, 0.125),
    # counted three times by the padding: x = (0.25 + 3 * 0.35) / 4
    assert pts[0, 0] == pytest.approx([0.325, 0.125])
    # landmark 3 at cell (1, 1), all offsets 0: own (0.5, 0.5); its only voter is 2 at cell
    # (0, 1) with offset 0: vote (0, 0.5), three times -> x = 0.5 / 4
    assert pts[0, 3] == pytest.approx([0.125, 0.5])
    assert conf[0].tolist() == pytest.approx([0.5, 0.6, 0.7, 0.8])


def test_pipnet_output_shape_mismatch_is_named() -> None:
    t = neighbour_tables(LINE, 2)
    z = np.zeros((1, 4, 2, 2), np.float32)
    with pytest.raises(InferenceError, match="nb_x has shape"):
        decode_pipnet(z, z, z, np.zeros((1, 4, 2, 2), np.float32), z, t, (64, 64), 32)


def test_meanface_file_errors_name_the_file(tmp_path: Path) -> None:
    p = tmp_path / "mf.txt"
    p.write_text("0.1 0.2 0.3\n")
    with pytest.raises(InferenceError, match=r"mf\.txt:1: .*even number"):
        load_meanface(p)
    p.write_text("0.1 x\n")
    with pytest.raises(InferenceError, match="numbers"):
        load_meanface(p)
