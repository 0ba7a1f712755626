"""The fast float text is the same text as repr(), value for value."""

from __future__ import annotations

import numpy as np
import pytest

from facealign_gui.datasets import _format


def _reference(values: np.ndarray, sep: str) -> list[str]:
    return [sep.join(map(repr, row)) for row in np.asarray(values, np.float64).tolist()]


@pytest.mark.parametrize("sep", [",", " "])
def test_fast_rows_equal_repr_rows_for_pixel_coordinates(sep: str) -> None:
    rng = np.random.default_rng(7)
    v = rng.random((500, 196)) * 4000 - 500  # negatives, fractions, large pixels
    v[:, :10] = np.round(v[:, :10], 2)  # short decimals
    v[:, 10:20] = np.round(v[:, 10:20])  # whole numbers print as "12.0"
    v[0, :6] = [0.0, -0.0, 1e-4, 0.00012345, 9999999999999998.0, 123456.789]
    assert _format._fast_repr_ok(v)
    assert _format.repr_rows(v, sep) == _reference(v, sep)


@pytest.mark.parametrize("odd", [1e-5, 1e16, -2e-7, float("nan"), float("inf")])
def test_values_where_repr_uses_exponents_or_is_not_finite_take_the_repr_path(odd: float) -> None:
    v = np.full((2, 3), 12.5)
    v[1, 1] = odd
    assert not _format._fast_repr_ok(v)
    assert _format.repr_rows(v, ",") == _reference(v, ",")


def test_empty_tables_give_no_rows() -> None:
    assert _format.repr_rows(np.zeros((0, 4)), ",") == []
    assert _format.repr_rows(np.zeros((3, 0)), ",") == ["", "", ""]
