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


def _fast_repr_ok(v: np.ndarray) -> bool:
    if v.ndim != 2 or v.shape[0] == 0 or v.shape[1] == 0 or not np.isfinite(v).all():
        return False
    mag = np.abs(v)
    return bool(((mag == 0) | ((mag >= _FAST_MIN) & (mag < _FAST_MAX))).all())


def repr_rows(values: np.ndarray, sep: str) -> list[str]:
    """Every row of a 2-D array as the shortest text of each float64 that reads back exactly.

    The text is exactly ``sep.join(map(repr, row))``; where every value is in the range
    where the two agree, orjson's compiled formatter (Ryu) writes it ~15x faster.
    """
    v = np.ascontiguousarray(values, dtype=np.float64)
    if _fast_repr_ok(v):
        try:
            import orjson
        except ImportError:  # pragma: no cover - orjson is a dependency; keep the slow path
            orjson = None
        if orjson is not None:
            text = orjson.dumps(v, option=orjson.OPT_SERIALIZE_NUMPY).decode("ascii")
            rows = text[2:-2].split("],[")
            return rows if sep == "," else [r.replace(",", sep) for r in rows]
    join = sep.join
    return [join(map(repr, row)) for row in v.tolist()]


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
