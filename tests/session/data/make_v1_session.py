"""How ``v1_session.fagsession`` was made: run once with the release whose sessions are schema
version 1 (commit 2f434a8), so the migration tests open a file today's users really have.

    PYTHONPATH=<checkout of 2f434a8> python3 tests/session/data/make_v1_session.py OUT

It also writes ``OUT.expected.json``: everything the v1 API showed of that file (see
``tests/session/_session_dump.py``), which the migrated file must still show.

Four images (names only, no pixels), 5-point scheme: image 0 ground truth with a hidden
point, 1 predicted + mirror and edited, 2 predicted and accepted, 3 bare. Every value is
in the ``.expected.json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from facealign_gui.core.annotation import Prediction
from facealign_gui.datasets.model import Dataset
from facealign_gui.session.store import Session


def main(out: Path) -> None:
    pts = np.full((4, 5, 2), np.nan)
    pts[0] = [[10.0, 20.0], [30.5, 20.25], [20.0, 35.0], [12.0, 50.0], [28.0, 50.0]]
    vis = np.ones((4, 5), bool)
    vis[0, 3] = False
    ds = Dataset(
        format="hrnet_csv",
        scheme="five5",
        root=Path("/data/faces"),
        images=["a/face_0.jpg", "a/face_1.jpg", "b/face_2.png", "b/face_3.png"],
        points=pts,
        visible=vis,
        boxes=np.array([[1.0, 2.0, 60.0, 70.0]] * 4) + np.arange(4)[:, None],
        attributes={"pose": np.array([0, 1, 0, 1]), "blur": np.array([1, 0, 0, 0])},
    )
    s = Session.create(out, ds, scheme="five5", num_points=5)
    base = np.array([[11.0, 21.0], [31.0, 21.0], [21.0, 36.0], [13.0, 51.0], [29.0, 51.0]])
    conf = np.array([0.9, 0.8, 0.7, 0.6, 0.5], np.float32)
    s.set_prediction(1, Prediction(points=base + 1.0, confidence=conf, model_id="m1"))
    s.set_prediction(2, Prediction(points=base + 2.0, confidence=conf * 0.5, model_id="m1"))
    s.set_prediction(1, Prediction(points=base + 1.5, confidence=conf, model_id="m1"), "mirror")
    s.move_points(1, [2], [[40.0, 41.0]])
    s.set_visibility(1, [4], False)
    s.accept(2)
    s.set_image_size(2, 640, 480)
    s.add_time(1, 3.25)
    s.set_current(1)
    s.close()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from _session_dump import session_dump

    with Session.open(out, backup=False) as s:
        text = json.dumps(session_dump(s), indent=1, sort_keys=True)
    Path(f"{out}.expected.json").write_text(text + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
