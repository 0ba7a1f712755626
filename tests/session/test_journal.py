"""The journal's small JSON state: every field, in field order, compact."""

from __future__ import annotations

import json
from dataclasses import asdict, fields

from facealign_gui.session.journal import ImageState


def test_image_state_json_holds_every_field_and_reads_back() -> None:
    s = ImageState(True, "edited", 3, "verified", 4)
    assert json.loads(s.to_json()) == asdict(s)
    assert list(json.loads(s.to_json())) == [f.name for f in fields(ImageState)]
    assert s.to_json() == json.dumps(asdict(s), separators=(",", ":"))
    assert ImageState.from_json(s.to_json()) == s
