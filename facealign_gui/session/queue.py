"""Review order: which image a person should look at next, by any registered review signal.

``uncertainty`` (alias ``mean``): lowest mean per-point confidence of the current prediction
first; ``min``: lowest single-point confidence first; ``mirror``: largest disagreement between
the prediction and the un-flipped prediction of the mirrored image first; any signal
registered in `facealign_gui.session.review`: its per-face score of the current prediction,
its worst end first; ``index``: file order, an image's faces together. Images without the
needed number come after the others, in file order.
"""

from __future__ import annotations

import sqlite3

from facealign_gui.session.review import INDEX_ORDER, get_signal, orders

__all__ = ["orders", "review_order"]

_MIRROR = (
    "SELECT image_id, disagreement AS v FROM predictions"
    " WHERE id IN (SELECT MAX(id) FROM predictions WHERE role='mirror' GROUP BY image_id)"
)


def review_order(conn: sqlite3.Connection, order: str, include_verified: bool) -> list[int]:
    where = "" if include_verified else "WHERE i.status != 'verified'"
    if order == INDEX_ORDER:
        return _file_order(conn.execute(f"SELECT i.id, i.path FROM images i {where} ORDER BY i.id"))
    sig = get_signal(order)
    direction = "DESC" if sig.worst == "high" else "ASC"
    args: tuple = ()
    if sig.column == "disagreement":
        join = f"LEFT JOIN ({_MIRROR}) m ON m.image_id = i.id"
        key = "m.v"
    elif sig.column is not None:
        join = "LEFT JOIN predictions p ON p.id = i.prediction_id"
        key = f"p.{sig.column}"
    else:
        join = "LEFT JOIN scores s ON s.prediction_id = i.prediction_id AND s.signal = ?"
        key, args = "s.value", (sig.name,)
    order_by = f"{key} IS NULL, {key} {direction}, i.id"
    sql = f"SELECT i.id FROM images i {join} {where} ORDER BY {order_by}"
    return [r[0] for r in conn.execute(sql, args)]


def _file_order(rows: sqlite3.Cursor) -> list[int]:
    """Rows in file order, an image's faces together (a face found later was appended at the
    end of the session but is shown right after the image's first face)."""
    by_path: dict[str, list[int]] = {}
    for i, path in rows:
        by_path.setdefault(path, []).append(i)
    return [i for ids in by_path.values() for i in ids]
