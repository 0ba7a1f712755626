"""Write a session's labels in any dataset format the export dialog offers (HRNet CSV, WFLW
list, iBUG ``.pts`` folder, COCO keypoints: `datasets.formats.export_formats`).

Every format goes through `facealign_gui.datasets.io.write_dataset` (one writer per format
in the project). Every write is atomic, never touches the session, and never replaces an
existing file (least of all the file the session was created from) unless ``overwrite=True``.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facealign_gui.datasets.formats import export_formats
from facealign_gui.datasets.model import Dataset, DatasetError
from facealign_gui.session.store import Labels, Session

WFLW_ATTRIBUTES = ("pose", "expression", "illumination", "makeup", "occlusion", "blur")


class ExportError(RuntimeError):
    """The export could not be written; the session and its edits are untouched."""


@dataclass(frozen=True)
class ExportResult:
    path: Path
    format: str
    count: int
    sidecar: Path | None = None  # the per-point provenance JSON beside it (`session.provenance`)


def export_session(
    session: Session,
    path: str | Path,
    format: str,
    verified_only: bool = True,
    overwrite: bool = False,
) -> ExportResult:
    """Write the session's annotated (or only verified) images to ``path``."""
    path = Path(path)
    names = [f.name for f in export_formats()]
    if format not in names:
        raise ExportError(f"unknown export format {format!r}; choose one of {', '.join(names)}")
    _check_target(session, path, format, overwrite)
    labels = session.labels(verified_only=verified_only)
    if len(labels) == 0:
        what = "verified" if verified_only else "annotated"
        raise ExportError(f"{path}: nothing to export, the session has no {what} images")
    try:
        from facealign_gui.datasets.io import write_dataset
        from facealign_gui.session.provenance import write_provenance

        write_dataset(session_dataset(session, labels), path, format, overwrite=overwrite)
        # beside the export, never inside it: the CSV stays byte-compatible with HRNet's
        sidecar = write_provenance(session, path, verified_only=verified_only, labels=labels)
    except DatasetError as exc:
        raise ExportError(f"{exc} (the session and its edits are untouched)") from exc
    except OSError as exc:
        why = exc.strerror or str(exc)
        raise ExportError(
            f"cannot write {exc.filename or path}: {why} (the session and its edits are untouched)"
        ) from exc
    return ExportResult(path, format, len(labels), sidecar)


def _check_target(session: Session, path: Path, format: str, overwrite: bool) -> None:
    real = os.path.realpath(path)
    if real in {os.path.realpath(p) for p in session.inputs} and not overwrite:
        raise ExportError(
            f"{path} is the file this session was created from; choose another name "
            "(or overwrite explicitly)"
        )
    if real == os.path.realpath(session.path):
        raise ExportError(f"{path} is the session file itself")
    if path.exists() and not overwrite and not (path.is_dir() and not any(path.iterdir())):
        raise ExportError(f"{path} already exists; choose another name or allow overwriting")
    parent = path.parent if path.parent != Path("") else Path(".")
    if not parent.is_dir():
        raise ExportError(f"cannot write {path}: the folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise ExportError(
            f"cannot write {path}: the folder {parent} is read-only "
            "(the session and its edits are untouched)"
        )


def session_dataset(session: Session, labels: Labels) -> Dataset:
    """A `Dataset` of the labels, with (for WFLW lists) landmark boxes plus the six
    attribute flags and (for COCO) occlusion and the image sizes the session knows.

    HRNet centre/scale are left to the writer that needs them, which derives them by the
    landmark box rule (`core.geometry.centers_scales_from_points`) from the placed points.
    A point the session marks not visible is occluded (COCO ``v = 1``); a point never
    placed (NaN) is invisible (``v = 0``).
    """
    pts = labels.points
    finite = np.isfinite(pts)
    placed = finite[..., 0] & finite[..., 1]
    if placed.all():  # x and y rows in memory order: a min over the points is ~10x faster
        by_axis = np.ascontiguousarray(pts.transpose(0, 2, 1))
        boxes = np.concatenate([by_axis.min(axis=2), by_axis.max(axis=2)], axis=1)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            boxes = np.concatenate([np.nanmin(pts, 1), np.nanmax(pts, 1)], 1)
    for j, b in enumerate(labels.boxes):
        if b is not None:  # the dataset's own face box, when it came with one
            boxes[j] = b
    attributes = {
        name: np.array([int(a.get(name, 0)) for a in labels.attributes], dtype=np.int64)
        for name in WFLW_ATTRIBUTES
    }
    for extra in {key for a in labels.attributes for key in a} - set(WFLW_ATTRIBUTES):
        vals = [a.get(extra) for a in labels.attributes]
        if all(isinstance(v, (int, float)) for v in vals):
            attributes[extra] = np.array(vals)
    return Dataset(
        format="session",
        scheme=session.scheme,
        root=session.root,
        images=list(labels.images),
        points=labels.points.copy(),
        visible=placed,
        boxes=boxes,
        attributes=attributes,
        sources=[],
        occluded=placed & ~np.asarray(labels.visible, bool),
        meta={
            "image_sizes": list(labels.sizes),
            "coco_description": f"facealign-gui session {session.path.name}",
        },
    )
