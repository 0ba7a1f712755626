"""Review order: which image a person should look at next.

``uncertainty`` (alias ``mean``): lowest mean per-point confidence of the current prediction
first; ``min``: lowest single-point confidence first; ``mirror``: largest disagreement between
the prediction and the un-flipped prediction of the mirrored image first; ``index``: file
order. Images without the needed number come after the others, in file order.
"""

from __future__ import annotations

import sqlite3

ORDERS = ("uncertainty", "min", "mirror", "index")

_KEY = {
    "uncertainty": "p.mean_conf",
    "mean": "p.mean_conf",
    "min": "p.min_conf",
}


def review_order(conn: sqlite3.Connection, order: str, include_verified: bool) -> list[int]:
    where = "" if include_verified else "WHERE i.status != 'verified'"
    if order == "index":
        sql = f"SELECT i.id FROM images i {where} ORDER BY i.id"
    elif order in _KEY:
        key = _KEY[order]
        sql = (
            f"SELECT i.id FROM images i LEFT JOIN predictions p ON p.id = i.prediction_id "
            f"{where} ORDER BY {key} IS NULL, {key}, i.id"
        )
    elif order == "mirror":
        sql = (
            "SELECT i.id FROM images i LEFT JOIN ("
            "  SELECT image_id, disagreement AS d FROM predictions"
            "  WHERE id IN (SELECT MAX(id) FROM predictions WHERE role='mirror' GROUP BY image_id)"
            f") m ON m.image_id = i.id {where} ORDER BY m.d IS NULL, m.d DESC, i.id"
        )
    else:
        raise ValueError(f"unknown review order {order!r}; choose one of {', '.join(ORDERS)}")
    return [r[0] for r in conn.execute(sql)]
