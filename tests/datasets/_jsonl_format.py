"""Landmarks as JSON lines: one face per line, ``{"image": "a.jpg", "points": [[x, y], ...]}``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from facealign_gui.datasets._common import atomic_write_text, read_text, scheme_name_for
from facealign_gui.datasets.formats import BY_CONTENT, BY_NAME, NO
from facealign_gui.datasets.model import Dataset, DatasetError, Problem
from facealign_gui.datasets.sniff import Probe


def sniff_jsonl(probe: Probe) -> int:
    """How sure we are that ``probe`` (path, suffix, first_line, ...) is one of our files."""
    if probe.first_line.startswith('{"image"'):
        return BY_CONTENT
    return BY_NAME if probe.suffix == ".jsonl" else NO


def read_jsonl(path: Path) -> Dataset:
    """Every good line is a face; a bad line is a problem naming file:line, then skipped."""
    text, _ = read_text(path)
    images, faces, sources, problems = [], [], [], []
    for n, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            image, pts = str(row["image"]), np.asarray(row["points"], np.float64).reshape(-1, 2)
        except (ValueError, KeyError, TypeError) as e:
            problems.append(Problem(str(path), n, f"expected an image and points: {e}", True))
            continue
        if faces and len(pts) != len(faces[0]):
            problems.append(Problem(str(path), n, f"{len(pts)} points, not {len(faces[0])}", True))
            continue
        images.append(image)
        faces.append(pts)
        sources.append(f"{path}:{n}")
    k = len(faces[0]) if faces else 0
    return Dataset(
        format="landmarks_jsonl",
        scheme=scheme_name_for(k) if k else None,
        root=path.parent,
        images=images,
        points=np.array(faces, np.float64).reshape(len(faces), k, 2),
        sources=sources,
        problems=problems,
        skipped=len(problems),
    )


def write_jsonl(ds: Dataset, path: Path) -> None:
    """One line per face, written atomically (floats as repr: they read back exactly)."""
    if ds.points is None:
        raise DatasetError(Problem(str(path), None, "an unlabelled dataset has no points", True))
    lines = [
        json.dumps({"image": name, "points": pts.tolist()}) + "\n"
        for name, pts in zip(ds.images, ds.points, strict=True)
    ]
    atomic_write_text(path, "".join(lines))
