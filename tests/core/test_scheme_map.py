"""300-W points expressed as WFLW points."""

from __future__ import annotations

import numpy as np
import pytest

from facealign_gui.core.scheme_map import can_map, map_points
from facealign_gui.core.shape_model import shipped_shape_model


@pytest.fixture(scope="module")
def wflw_face() -> np.ndarray:
    return shipped_shape_model("wflw98").mean * 100.0 + [300.0, 200.0]


def _as_300w(w: np.ndarray) -> np.ndarray:
    """The 300-W points a WFLW face implies (the picks the mapping inverts)."""
    p = np.full((68, 2), np.nan)
    p[0:17] = w[0:33:2]
    p[17:22], p[22:27] = w[33:38], w[42:47]
    p[27:36] = w[51:60]
    p[36], p[39], p[42], p[45] = w[60], w[64], w[68], w[72]
    p[37], p[38] = (2 * w[61] + w[62]) / 3, (w[62] + 2 * w[63]) / 3
    p[40], p[41] = (2 * w[65] + w[66]) / 3, (w[66] + 2 * w[67]) / 3
    p[43], p[44] = (2 * w[69] + w[70]) / 3, (w[70] + 2 * w[71]) / 3
    p[46], p[47] = (2 * w[73] + w[74]) / 3, (w[74] + 2 * w[75]) / 3
    p[48:68] = w[76:96]
    return p


def test_shared_points_map_exactly_and_the_rest_lands_close(wflw_face: np.ndarray) -> None:
    got = map_points(_as_300w(wflw_face), "300w68", "wflw98")
    same = [*range(0, 33, 2), *range(33, 38), *range(42, 47), *range(51, 60), 60, 64, 68, 72,
            *range(76, 96)]  # fmt: skip
    np.testing.assert_allclose(got[same], wflw_face[same], atol=1e-9)
    jaw = list(range(1, 33, 2))  # half way along the jaw between two 300-W points
    assert np.linalg.norm(got[jaw] - wflw_face[jaw], axis=1).max() < 0.5  # px, ~200 px face
    # lids: 300-W's two lid points at thirds, WFLW's three at quarters of a ~30 px eye
    lids = [61, 62, 63, 65, 66, 67, 69, 70, 71, 73, 74, 75]
    assert np.linalg.norm(got[lids] - wflw_face[lids], axis=1).max() < 3.0
    assert np.isnan(got[38:42]).all()  # no lower brow in 300-W


def test_with_a_shape_model_the_lower_brows_are_filled_in(wflw_face: np.ndarray) -> None:
    model = shipped_shape_model("wflw98")
    got = map_points(_as_300w(wflw_face), "300w68", "wflw98", model)
    assert np.isfinite(got).all()
    assert np.linalg.norm(got[38:42] - wflw_face[38:42], axis=1).max() < 3.0


def test_unknown_pairs_are_refused() -> None:
    assert can_map("300w68", "wflw98") and can_map("cofw29", "cofw29")
    assert not can_map("wflw98", "cofw29")
    with pytest.raises(ValueError, match="no mapping"):
        map_points(np.zeros((29, 2)), "cofw29", "aflw19")
