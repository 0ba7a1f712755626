"""Write a session's labels as HRNet CSV, WFLW list, iBUG ``.pts`` folder or COCO keypoints.

The first three go through `facealign_gui.datasets.io.write_dataset` (one writer per format
in the project); COCO keypoints JSON is written here. Every write is atomic, never touches
the session, and never replaces an existing file (least of all the file the session was
created from) unless ``overwrite=True``.

COCO keypoints are pixel indices (the centre of the top-left pixel is 0, 0; detectron2 adds
0.5 when it loads them), which is this project's convention, so coordinates are written
as they are. ``v`` is 2 for a visible point, 1 for an occluded one, 0 (with x = y = 0)
for a point never placed.
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facealign_gui.core.geometry import centers_scales_from_points
from facealign_gui.datasets.model import Dataset, DatasetError
from facealign_gui.session.store import Labels, Session

FORMATS = {
    "hrnet_csv": "HRNet CSV (.csv)",
    "wflw_list": "WFLW list (.txt)",
    "pts": "iBUG .pts folder",
    "coco": "COCO keypoints (.json)",
}
WFLW_ATTRIBUTES = ("pose", "expression", "illumination", "makeup", "occlusion", "blur")


class ExportError(RuntimeError):
    """The export could not be written; the session and its edits are untouched."""


@dataclass(frozen=True)
class ExportResult:
    path: Path
    format: str
    count: int


def export_session(
    session: Session,
    path: str | Path,
    format: str,
    verified_only: bool = True,
    overwrite: bool = False,
) -> ExportResult:
    """Write the session's annotated (or only verified) images to ``path``."""
    path = Path(path)
    if format not in FORMATS:
        raise ExportError(f"unknown export format {format!r}; choose one of {', '.join(FORMATS)}")
    _check_target(session, path, format, overwrite)
    labels = session.labels(verified_only=verified_only)
    if len(labels) == 0:
        what = "verified" if verified_only else "annotated"
        raise ExportError(f"{path}: nothing to export, the session has no {what} images")
    try:
        if format == "coco":
            write_coco(labels, session, path)
        else:
            from facealign_gui.datasets.io import write_dataset

            write_dataset(session_dataset(session, labels), path, format, overwrite=overwrite)
    except DatasetError as exc:
        raise ExportError(f"{exc} (the session and its edits are untouched)") from exc
    except OSError as exc:
        why = exc.strerror or str(exc)
        raise ExportError(
            f"cannot write {exc.filename or path}: {why} (the session and its edits are untouched)"
        ) from exc
    return ExportResult(path, format, len(labels))


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
    """A `Dataset` of the labels, with HRNet centre/scale by the landmark box rule and
    (for WFLW lists) landmark boxes plus the six attribute flags."""
    centers, scales = centers_scales_from_points(labels.points)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        boxes = np.concatenate([np.nanmin(labels.points, 1), np.nanmax(labels.points, 1)], 1)
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
        visible=labels.visible.copy(),
        centers=centers,
        scales=scales,
        boxes=boxes,
        attributes=attributes,
        sources=[],
    )


def coco_document(labels: Labels, session: Session) -> dict[str, object]:
    """The COCO keypoints JSON of ``labels`` as a dict."""
    names, skeleton = _scheme_names(session)
    pts = np.asarray(labels.points, dtype=np.float64).reshape(len(labels), -1, 2)
    placed = np.isfinite(pts).all(axis=2)  # (N, K)
    v = np.where(placed, np.where(np.asarray(labels.visible, bool), 2, 1), 0)
    xy = np.where(placed[..., None], pts, 0.0)
    # x, y, v triplets for every face at once; v stays an integer in the JSON
    kps = np.empty((len(labels), pts.shape[1] * 3), dtype=object)
    kps[:, 0::3], kps[:, 1::3], kps[:, 2::3] = xy[..., 0], xy[..., 1], v
    with warnings.catch_warnings():  # a face with no placed point: bbox of zeros below
        warnings.simplefilter("ignore", RuntimeWarning)
        lo = np.nanmin(np.where(placed[..., None], pts, np.nan), axis=1)
        hi = np.nanmax(np.where(placed[..., None], pts, np.nan), axis=1)
    any_placed = placed.any(axis=1)
    bboxes = np.where(any_placed[:, None], np.concatenate([lo, hi - lo], axis=1), 0.0)
    counts = np.count_nonzero(v, axis=1).tolist()
    images, anns = [], []
    for j, (kp, bbox, count) in enumerate(zip(kps.tolist(), bboxes.tolist(), counts, strict=True)):
        w, h = labels.sizes[j] or _image_size(session, labels.images[j])
        images.append({"id": j + 1, "file_name": labels.images[j], "width": w, "height": h})
        anns.append(
            {
                "id": j + 1,
                "image_id": j + 1,
                "category_id": 1,
                "keypoints": kp,
                "num_keypoints": count,
                "bbox": bbox,
                "area": bbox[2] * bbox[3],
                "iscrowd": 0,
            }
        )
    category = {
        "id": 1,
        "name": "face",
        "supercategory": "face",
        "keypoints": names,
        "skeleton": skeleton,
    }
    return {
        "info": {
            "description": f"facealign-gui session {session.path.name}",
            "scheme": session.scheme or "",
        },
        "images": images,
        "annotations": anns,
        "categories": [category],
    }


def write_coco(labels: Labels, session: Session, path: Path) -> None:
    import orjson  # compiled JSON: a 10,000-image document in a fraction of a second

    from facealign_gui.datasets._common import atomic_write_text

    atomic_write_text(Path(path), orjson.dumps(coco_document(labels, session)).decode("utf-8"))


def read_coco_keypoints(path: str | Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """File names, (N, K, 2) points (NaN where v = 0) and (N, K) visibility of a COCO file."""
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    names = {im["id"]: im["file_name"] for im in doc["images"]}
    files, pts, vis = [], [], []
    for a in doc["annotations"]:
        kp = np.asarray(a["keypoints"], dtype=np.float64).reshape(-1, 3)
        xy = np.where(kp[:, 2:3] > 0, kp[:, :2], np.nan)
        files.append(names[a["image_id"]])
        pts.append(xy)
        vis.append(kp[:, 2] == 2)
    return files, np.array(pts), np.array(vis)


def _scheme_names(session: Session) -> tuple[list[str], list[list[int]]]:
    k = session.num_points
    try:
        from facealign_gui.core.schemes import get_scheme

        s = get_scheme(session.scheme or "")
        # COCO skeleton indices are 1-based.
        return list(s.point_names), [[a + 1, b + 1] for a, b in s.edges]
    except Exception:
        return [f"p{i}" for i in range(k)], []


def _image_size(session: Session, name: str) -> tuple[int, int]:
    """Size from the image file's header (0, 0 when the file is missing or unknown)."""
    from facealign_gui.session.imagesize import image_size

    p = Path(name)
    return image_size(p if p.is_absolute() else session.root / p) or (0, 0)
