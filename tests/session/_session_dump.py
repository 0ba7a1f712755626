"""Everything a session shows through its API, as plain JSON-able data.

Used to say "the data is identical" (the byte-flip test) and "the data survived the migration"
(the v1 fixture's ``.expected.json`` was written by this function under the v1 release).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from facealign_gui.session.store import Session


def plain(v: Any) -> Any:
    """Arrays, enums, paths and NaNs as JSON values (NaN -> "nan")."""
    if isinstance(v, np.ndarray):
        return plain(v.tolist())
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return "nan" if math.isnan(v) else float(v)
    if hasattr(v, "value") and isinstance(v.value, str):  # str enums
        return v.value
    if v is None or isinstance(v, str):
        return v
    return str(v)


def _prediction(p: Any) -> Any:
    if p is None:
        return None
    return {"points": plain(p.points), "confidence": plain(p.confidence), "model": p.model_id}


def session_dump(s: Session) -> dict[str, Any]:
    images = []
    for i in range(len(s)):
        ann = s.annotation(i)
        st = s.state(i)
        images.append(
            {
                "info": plain(s.image_info(i)),
                "state": plain(vars(st)),
                "summary": plain(s.summary(i)),
                "prediction": _prediction(s.prediction(i)),
                "mirror": _prediction(s.prediction(i, role="mirror")),
                "annotation": None
                if ann is None
                else {
                    "points": plain(ann.points),
                    "visible": plain(ann.visible),
                    "source": plain(ann.source),
                    "from": _prediction(ann.from_prediction),
                },
            }
        )
    journal = [
        {
            "image": e.image,
            "kind": e.kind,
            "old": plain(vars(e.old_state)),
            "new": plain(vars(e.new_state)),
            "indices": plain(e.indices),
            "old_points": plain(e.old_points),
            "new_points": plain(e.new_points),
            "old_visible": plain(e.old_visible),
            "new_visible": plain(e.new_visible),
        }
        for e in s.journal()
    ]
    return {
        "root": str(s.root),
        "scheme": s.scheme,
        "num_points": s.num_points,
        "inputs": s.inputs,
        "current": s.current,
        "counts": s.counts(),
        "queues": {
            o: s.review_queue(o, include_verified=True) for o in ("uncertainty", "min", "mirror")
        },
        "images": images,
        "journal": journal,
    }
