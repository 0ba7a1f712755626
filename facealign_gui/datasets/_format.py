"""Number text for the writers: whole tables at a time, exact on reading back.

Formatting a float is the one cost a text writer cannot avoid (``repr`` is ~0.5 µs per
number); everything here keeps the rest to one ``tolist()`` and one format call per row.
"""

from __future__ import annotations

import numpy as np

# Below this magnitude a value's six-decimal text is decided exactly by float arithmetic:
# ulp(1e8) * 1e6 < 0.02, far from the 0.5 that could change the rounded integer.
_SIX_EXACT_LIMIT = 1e8


# orjson writes the same shortest round-trip text as repr() for finite floats in this range;
# below 1e-4 and from 1e16 on, repr switches to exponents ("1e-05") and orjson does not.
_FAST_MIN, _FAST_MAX = 1e-4, 1e16


def _odd_values(v: np.ndarray) -> np.ndarray:
    """Mask of the values whose repr() orjson does not write (exponents, NaN, inf)."""
    mag = np.abs(v)
    return ~((mag == 0) | ((mag >= _FAST_MIN) & (mag < _FAST_MAX)))


def _fast_repr_ok(v: np.ndarray) -> bool:
    """True when every value of a non-empty 2-D table is one orjson writes as repr() does."""
    if v.ndim != 2 or v.shape[0] == 0 or v.shape[1] == 0:
        return False
    return not _odd_values(v).any()


def repr_rows(values: np.ndarray, sep: str) -> list[str]:
    """Every row of a 2-D array as the shortest text of each float64 that reads back exactly.

    The text is exactly ``sep.join(map(repr, row))``. orjson's compiled formatter (Ryu)
    writes it ~15x faster for every value in the range where the two agree; the few values
    outside it (below 1e-4, from 1e16, NaN, inf) are written by ``repr`` one by one, so one
    odd value costs one ``repr``, not the whole table.
    """
    import orjson

    v = np.ascontiguousarray(values, dtype=np.float64)
    if v.ndim != 2 or v.shape[0] == 0 or v.shape[1] == 0:
        join = sep.join
        return [join(map(repr, row)) for row in v.tolist()]
    odd = _odd_values(v)
    table = v
    if odd.any():
        table = v.copy()
        table[odd] = 0.0  # a placeholder orjson can write; replaced just below
    text = orjson.dumps(table, option=orjson.OPT_SERIALIZE_NUMPY).decode("ascii")
    rows = text[2:-2].split("],[")
    if table is not v:
        rr, cc = np.nonzero(odd)  # row-major: each row's odd values come together
        row, cells = -1, []
        for r, c, x in zip(rr.tolist(), cc.tolist(), v[rr, cc].tolist(), strict=True):
            if r != row:
                if row >= 0:
                    rows[row] = ",".join(cells)
                row, cells = r, rows[r].split(",")
            cells[c] = repr(x)
        rows[row] = ",".join(cells)
    return rows if sep == "," else [r.replace(",", sep) for r in rows]


def six_decimal_rows(values: np.ndarray, sep: str) -> list[str]:
    """Every row of a 2-D array with six decimals (``"%.6f"``, like WFLW's lists)."""
    v = np.asarray(values, dtype=np.float64)
    fmt = sep.join(["%.6f"] * (v.shape[1] if v.ndim == 2 else 0))
    return [fmt % tuple(row) for row in v.tolist()]


def int_rows(values: np.ndarray, sep: str) -> list[str]:
    """Every row of a 2-D array of whole numbers as integers (``str(int(v))``)."""
    v = np.asarray(values)
    fmt = sep.join(["%d"] * (v.shape[1] if v.ndim == 2 else 0))
    return [fmt % tuple(row) for row in v.tolist()]


def six_decimals_are_exact(values: np.ndarray) -> bool:
    """True when the ``"%.6f"`` text of every value reads back as the same float64.

    For finite values below 1e8 in magnitude this is ``round(v * 1e6) / 1e6 == v`` (both
    sides name the same nearest six-decimal number); otherwise every text is parsed back.
    """
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        return True
    if np.isfinite(v).all() and float(np.abs(v).max()) < _SIX_EXACT_LIMIT:
        return bool((np.round(v * 1e6) / 1e6 == v).all())
    flat = v.ravel().tolist()
    back = np.array([f"{x:.6f}" for x in flat], dtype=np.float64)
    return bool(np.array_equal(back, v.ravel()))


def exact_rows(values: np.ndarray, sep: str) -> list[str]:
    """Six decimals when they read back as the same float64 (all of them), else ``repr``."""
    if six_decimals_are_exact(values):
        return six_decimal_rows(values, sep)
    return repr_rows(values, sep)
