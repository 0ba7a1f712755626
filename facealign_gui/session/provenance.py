"""Per-point provenance and effort, as a JSON sidecar beside an exported annotation file.

For every exported image, each landmark is one of

* ``"accepted"``: the model's point, taken unchanged;
* ``"moved"``: a person put it there (a drag, a slide along a contour, a group move, ...);
* ``"refined"``: the tool re-placed it after a person's edit (click-to-refine; journal kind
  ``"refine"``), and nobody moved it afterwards;
* ``"imported"``: read from an annotation file the session was created from;
* ``"missing"``: never placed (no prediction, no edit).

The provenance is rebuilt from the session's edit journal alone, undo included (an
``undo:<kind>`` entry restores what the edit it undoes replaced, as an undo stack does), so
it is as trustworthy as the annotations themselves. The sidecar also carries the person's
time per image and the number of point edits; the exported CSV itself is not touched, so it
stays byte-compatible with HRNet's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from facealign_gui.session.journal import Edit

__all__ = [
    "ACCEPTED",
    "IMPORTED",
    "MISSING",
    "MOVED",
    "REFINED",
    "point_provenance",
    "provenance_document",
    "sidecar_path",
    "write_provenance",
]

ACCEPTED, MOVED, REFINED, MISSING = "accepted", "moved", "refined", "missing"
IMPORTED = "imported"
CODES = (ACCEPTED, MOVED, REFINED, IMPORTED, MISSING)
REFINE_KINDS = frozenset({"refine"})
MODEL_KINDS = frozenset({"copy"})  # the model's points copied into the annotation
STATE_KINDS = frozenset({"accept", "status", "visibility"})  # no point moves
SIDECAR_SUFFIX = ".provenance.json"
FORMAT = "facealign-gui provenance"
VERSION = 1


def _codes_after(kind: str, current: np.ndarray, edit: Edit) -> np.ndarray:
    out = current.copy()
    if kind == "reset" or not edit.new_state.annotated:
        out[:] = ACCEPTED
        return out
    if kind in STATE_KINDS or not edit.indices.size:
        return out
    moved = ~np.all(
        np.isclose(edit.old_points, edit.new_points, rtol=0.0, atol=1e-9, equal_nan=True), axis=1
    )
    idx = edit.indices[moved]
    if kind in REFINE_KINDS:
        out[idx] = REFINED
    elif kind in MODEL_KINDS:
        out[idx] = ACCEPTED
    elif kind == "import":
        out[edit.indices] = IMPORTED
    else:
        out[idx] = MOVED
    return out


def point_provenance(
    edits: Iterable[Edit], num_images: int, num_points: int
) -> tuple[list[np.ndarray], np.ndarray]:
    """Per image, the (K,) provenance codes after replaying ``edits`` in journal order, and
    the number of point edits a person made on each image (undone ones not counted)."""
    codes = [np.full(num_points, ACCEPTED, dtype=object) for _ in range(num_images)]
    person = np.zeros(num_images, dtype=np.int64)
    stacks: list[list[tuple[np.ndarray, int]]] = [[] for _ in range(num_images)]
    for e in edits:
        i = e.image
        if e.kind.startswith("undo:"):
            if stacks[i]:
                codes[i], counted = stacks[i].pop()
                person[i] -= counted
            continue
        counted = int(
            e.kind not in REFINE_KINDS | MODEL_KINDS | STATE_KINDS | {"reset", "import"}
            and e.indices.size > 0
        )
        stacks[i].append((codes[i], counted))
        codes[i] = _codes_after(e.kind, codes[i], e)
        person[i] += counted
    return codes, person


def sidecar_path(export_path: str | Path) -> Path:
    """``faces.csv`` -> ``faces.provenance.json`` (same folder)."""
    p = Path(export_path)
    return p.with_name(p.stem + SIDECAR_SUFFIX)


def provenance_document(
    session: object, verified_only: bool = True, labels: object | None = None
) -> dict[str, object]:
    """The sidecar's content for the images an export of ``session`` writes, in its row
    order (`Session.labels` order). ``labels``: the `Session.labels` the export already
    read (read here when not given)."""
    if labels is None:
        labels = session.labels(verified_only=verified_only)  # type: ignore[attr-defined]
    codes, person = point_provenance(
        session.journal(),  # type: ignore[attr-defined]
        len(session),  # type: ignore[arg-type]
        session.num_points,  # type: ignore[attr-defined]
    )
    images = []
    for j, i in enumerate(labels.index):
        c = codes[int(i)].copy()
        c[~np.isfinite(labels.points[j]).all(axis=1)] = MISSING
        has_pred = np.isfinite(labels.predicted[j]).all(axis=1)
        c[(c == ACCEPTED) & ~has_pred] = MISSING
        counts = {name: int((c == name).sum()) for name in CODES}
        images.append(
            {
                "image": labels.images[j],
                "status": labels.status[j],
                "seconds": round(float(labels.seconds[j]), 3),
                "point_edits": int(person[int(i)]),
                "counts": counts,
                "points": [str(v) for v in c],
            }
        )
    return {
        "format": FORMAT,
        "version": VERSION,
        "scheme": getattr(session, "scheme", None),
        "num_points": int(session.num_points),  # type: ignore[attr-defined]
        "codes": {
            ACCEPTED: "the model's point, unchanged",
            MOVED: "placed by a person",
            REFINED: "re-placed by click-to-refine after a person's edit",
            IMPORTED: "read from the annotation file the session was made from",
            MISSING: "never placed",
        },
        "images": images,
    }


def write_provenance(
    session: object,
    export_path: str | Path,
    verified_only: bool = True,
    labels: object | None = None,
) -> Path:
    """Write the sidecar of an export at ``export_path`` atomically; returns its path."""
    from facealign_gui.fileio import atomic_write_text

    doc = provenance_document(session, verified_only=verified_only, labels=labels)
    return atomic_write_text(sidecar_path(export_path), json.dumps(doc, indent=1) + "\n")
