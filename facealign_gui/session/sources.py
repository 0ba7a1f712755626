"""What a session can be created from: a `Dataset`, a folder or file `open_dataset` reads,
or a plain list of image paths."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facealign_gui.datasets.model import Dataset

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".pgm", ".tif", ".tiff", ".webp")


@dataclass
class SourceRows:
    """Images (and any existing labels) to put in a new session."""

    root: Path
    images: list[str]
    scheme: str | None
    points: np.ndarray | None  # (N, K, 2) or None
    visible: np.ndarray | None  # (N, K) or None
    boxes: np.ndarray | None
    centers: np.ndarray | None
    scales: np.ndarray | None
    attributes: list[str | None]  # JSON per image
    inputs: list[str]  # annotation files the rows were read from (never overwritten)


def scheme_num_points(scheme: str | None) -> int | None:
    """Number of landmarks of a scheme: from `core.schemes`, else the digits in its name."""
    if not scheme:
        return None
    try:
        from facealign_gui.core.schemes import get_scheme

        return int(get_scheme(scheme).num_points)
    except Exception:
        m = re.search(r"(\d+)$", scheme)
        return int(m.group(1)) if m else None


def image_list(folder: Path) -> list[str]:
    """Image files directly in ``folder``, sorted by name."""
    return sorted(
        p.name for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
    )


def rows_from(source: object) -> SourceRows:
    """Normalise any supported source into `SourceRows`."""
    if isinstance(source, Dataset):
        return _from_dataset(source)
    if isinstance(source, (str, Path)):
        from facealign_gui.datasets.io import open_dataset

        return _from_dataset(open_dataset(Path(source)))
    if isinstance(source, Sequence):
        paths = [Path(p) for p in source]
        return _from_paths(Path("/"), [str(p.resolve()) for p in paths])
    raise TypeError(f"cannot make a session from {type(source).__name__}")


def _from_paths(root: Path, images: list[str]) -> SourceRows:
    n = len(images)
    return SourceRows(root, images, None, None, None, None, None, None, [None] * n, [])


def _from_dataset(ds: Dataset) -> SourceRows:
    n = len(ds.images)
    attrs: list[str | None] = [None] * n
    if ds.attributes:
        names = list(ds.attributes)
        cols = [np.asarray(ds.attributes[k]).tolist() for k in names]
        rows = zip(*cols, strict=True)
        attrs = [json.dumps(dict(zip(names, vals, strict=True))) for vals in rows]
    visible = ds.visible
    if ds.occluded is not None and ds.points is not None:
        # the session's "not visible" on a placed point is the occlusion flag (COFW, COCO v=1)
        base = np.ones(ds.points.shape[:2], bool) if visible is None else np.asarray(visible)
        visible = base & ~np.asarray(ds.occluded, bool)
    return SourceRows(
        root=Path(ds.root),
        images=list(ds.images),
        scheme=ds.scheme,
        points=ds.points,
        visible=visible,
        boxes=ds.boxes,
        centers=ds.centers,
        scales=ds.scales,
        attributes=attrs,
        inputs=_input_files(ds),
    )


def _input_files(ds: Dataset) -> list[str]:
    from facealign_gui.datasets.io import source_files

    return sorted(str(p.resolve()) for p in source_files(ds) if str(p))
