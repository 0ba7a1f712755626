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


@pytest.mark.parametrize("sep", [",", " "])
def test_odd_values_scattered_through_a_table_keep_the_repr_text(sep: str) -> None:
    rng = np.random.default_rng(11)
    v = rng.random((300, 40)) * 2000 - 1000
    odd = [1e-5, -2e-7, 5e-324, 1e16, -3.5e20, 1e300, float("nan"), float("inf"), -float("inf")]
    rows, cols = rng.integers(0, 300, 60), rng.integers(0, 40, 60)
    v[rows, cols] = rng.choice(odd, 60)
    v[7, :] = 1e-6  # a whole row of them
    v[:, 0] = -0.0  # and a column of negative zeros, which stay on the fast path
    assert not _format._fast_repr_ok(v)
    assert _format.repr_rows(v, sep) == _reference(v, sep)


def test_one_tiny_value_costs_one_repr_call_not_one_per_value_of_the_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[float] = []

    def counting_repr(x: object) -> str:
        calls.append(x)  # type: ignore[arg-type]
        return repr(x)

    v = np.full((1000, 20), 12.5)
    v[500, 3] = 1e-5
    monkeypatch.setattr(_format, "repr", counting_repr, raising=False)
    rows = _format.repr_rows(v, ",")
    monkeypatch.undo()
    assert calls == [1e-5]
    assert rows == _reference(v, ",")
    assert rows[500].split(",")[3] == "1e-05"
