"""iBUG ``.pts`` landmark files (300W, menpo) and folders of images with sibling ``.pts``.

::

    version: 1
    n_points:  68
    {
    x y
    ...
    }

Pixel convention: ``.pts`` files are **1-based** — the centre of the top-left pixel is
(1, 1), MATLAB style. This is the convention of the 300-W / iBUG annotations and the one
menpo (the library that distributes them and our ``takeo`` fixture) documents and applies:
its PTS importer subtracts 1 from every value on import. Our model is 0-based, so we
subtract 1 on read and add 1 on write. What we could check ourselves: the menpo ``takeo``
points land on the face in ``takeo.ppm`` (tests/datasets/test_pts.py); HRNet's 300W CSVs
carry no original ``.pts`` to compare against here, so whether HRNet subtracted 1 when it
built them is not verified (their values stay on the same 1e-6 grid either way).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from facealign_gui.datasets._common import (
    IMAGE_SUFFIXES,
    read_text,
    scheme_name_for,
)
from facealign_gui.datasets.model import Dataset, DatasetError, Problem

FORMAT = "pts"
PTS_ORIGIN = 1.0  # value of the top-left pixel centre in a .pts file


def parse_pts(path: str | Path) -> np.ndarray:
    """(K, 2) 0-based points of one ``.pts`` file; `DatasetError` naming file:line if bad."""
    path = Path(path)
    label = str(path)
    text, _ = read_text(path)
    lines = text.split("\n")
    n_declared: int | None = None
    n_line = 0
    start = None
    for i, line in enumerate(lines):
        s = line.strip()
        if s.startswith("{"):
            start = i + 1
            break
        if s.lower().startswith("n_points"):
            value = s.split(":", 1)[-1].strip()
            if not value.isdigit():
                raise DatasetError(Problem(label, i + 1, f"bad n_points: {value!r}", True))
            n_declared, n_line = int(value), i + 1
    if start is None:
        raise DatasetError(Problem(label, None, "no '{' line: not an iBUG .pts file", True))
    rows: list[tuple[float, float]] = []
    closed = 0  # line of the closing brace
    for i in range(start, len(lines)):
        s = lines[i].strip()
        if not s:
            continue
        if s.startswith("}"):
            closed = i + 1
            break
        tokens = s.split()
        if len(tokens) != 2:
            raise DatasetError(
                Problem(label, i + 1, f"expected 'x y', found {len(tokens)} values", True)
            )
        try:
            x, y = float(tokens[0]), float(tokens[1])
        except ValueError:
            raise DatasetError(Problem(label, i + 1, f"not a number in {s!r}", True)) from None
        if not (np.isfinite(x) and np.isfinite(y)):
            raise DatasetError(Problem(label, i + 1, "coordinates must be finite", True))
        rows.append((x, y))
    if not closed:
        last = max((i + 1 for i, ln in enumerate(lines) if ln.strip()), default=len(lines))
        raise DatasetError(
            Problem(label, last, f"missing closing '}}' (file ends after {len(rows)} points)", True)
        )
    if n_declared is not None and n_declared != len(rows):
        fewer = "only " if len(rows) < n_declared else ""
        raise DatasetError(
            Problem(
                label,
                closed,
                f"n_points says {n_declared} (line {n_line}), "
                f"the block holds {fewer}{len(rows)} points",
                True,
            )
        )
    if not rows:
        raise DatasetError(Problem(label, closed, "no points between '{' and '}'", True))
    return np.array(rows, dtype=np.float64) - PTS_ORIGIN


def format_pts(points: np.ndarray) -> str:
    """Text of a ``.pts`` file for (K, 2) 0-based points (6 decimals, as 300W)."""
    pts = np.asarray(points, dtype=np.float64) + PTS_ORIGIN
    body = "\n".join(f"{x:.6f} {y:.6f}" for x, y in pts.tolist())
    return f"version: 1\nn_points:  {len(pts)}\n{{\n{body}\n}}\n"


def read_pts_folder(folder: str | Path) -> Dataset:
    """Every image in ``folder`` (recursively) that has a sibling ``.pts``.

    A ``.pts`` without an image is reported (non-fatal, the sample is kept with its
    expected image name); a bad ``.pts`` is reported and skipped; images without ``.pts``
    are ignored. All files must have the same number of points (the most common wins).
    """
    folder = Path(folder)
    pts_files = sorted(p for p in folder.rglob("*") if p.suffix.lower() == ".pts")
    if not pts_files:
        raise DatasetError(Problem(str(folder), None, "no .pts files in this folder", True))
    return _read_pts_files(pts_files, folder)


def read_pts_file(path: str | Path) -> Dataset:
    """A one-sample dataset from a single ``.pts`` file (image found beside it)."""
    path = Path(path)
    return _read_pts_files([path], path.parent)


def _read_pts_files(pts_files: list[Path], root: Path) -> Dataset:
    problems: list[Problem] = []
    items: list[tuple[str, np.ndarray, str]] = []
    for p in pts_files:
        try:
            pts = parse_pts(p)
        except DatasetError as e:
            problems.extend(e.problems)
            continue
        image = _sibling_image(p)
        if image is None:
            problems.append(Problem(str(p), None, "no image with the same name beside it"))
            image = p.with_suffix(".jpg")
        items.append((image.relative_to(root).as_posix(), pts, f"{p}:1"))
    counts = [len(pts) for _, pts, _ in items]
    k = max(set(counts), key=counts.count) if counts else 0
    kept = []
    for name, pts, src in items:
        if len(pts) != k:
            problems.append(
                Problem(
                    src.rsplit(":", 1)[0], None, f"{len(pts)} points, the others have {k}", True
                )
            )
        else:
            kept.append((name, pts, src))
    n = len(kept)
    points = np.array([pts for _, pts, _ in kept], dtype=np.float64).reshape(n, k, 2)
    skipped = sum(p.fatal for p in problems)
    ds = Dataset(
        format=FORMAT,
        scheme=scheme_name_for(k) if k else None,
        root=root,
        images=[name for name, _, _ in kept],
        points=points,
        visible=np.ones((n, k), dtype=bool),
        sources=[src for _, _, src in kept],
        problems=problems,
        skipped=skipped,
    )
    from facealign_gui.datasets.wflw_list import centers_scales_from_points

    ds.centers, ds.scales = centers_scales_from_points(points)
    return ds


def _sibling_image(pts: Path) -> Path | None:
    for suffix in IMAGE_SUFFIXES:
        for s in (suffix, suffix.upper()):
            cand = pts.with_suffix(s)
            if cand.is_file():
                return cand
    return None


def write_pts_folder(ds: Dataset, folder: str | Path) -> list[Path]:
    """One ``.pts`` per sample beside where its image would be, under ``folder``.

    The image's relative path is kept (``helen/1.jpg`` -> ``folder/helen/1.pts``). A second
    face of the same image gets ``_2``, ``_3``... Images are not copied. Returns the files.

    All or nothing (`fileio.write_folder`): the files are written into a temporary sibling
    folder that then replaces ``folder`` in one step, so an existing export is replaced
    whole — ``.pts`` of images no longer exported are gone — and a killed export leaves
    the old folder as it was. A folder holding anything but ``.pts`` files (images, say) is
    refused rather than replaced.
    """
    from facealign_gui.fileio import write_folder

    folder = Path(folder)
    if ds.points is None:
        raise DatasetError(
            Problem(str(folder), None, "an unlabelled dataset has no points to write")
        )
    if not np.isfinite(ds.points).all():
        raise DatasetError(Problem(str(folder), None, ".pts files cannot hold missing points"))
    _check_replaceable(folder)
    files: list[tuple[str, bytes]] = []
    seen: dict[str, int] = {}
    for i, name in enumerate(ds.images):
        base, sep, index = name.rpartition("#")
        if sep and index.isdigit():  # an image stored in the annotation file: c.mat#3 -> c_3
            name = f"{Path(base).with_suffix('')}_{index}.png"
        rel = Path(name)
        if rel.is_absolute():
            rel = Path(rel.name)
        parts = [p for p in rel.with_suffix("").parts if p not in ("..", ".")]
        stem = "/".join(parts) or "face"
        seen[stem] = seen.get(stem, 0) + 1
        if seen[stem] > 1:
            stem = f"{stem}_{seen[stem]}"
        files.append((f"{stem}.pts", format_pts(ds.points[i]).encode("utf-8")))
    try:
        return write_folder(folder, files)
    except FileExistsError as e:  # a.pts and A.pts on a case-blind disk
        raise DatasetError(Problem(str(folder), None, f"two faces would share {e.filename}")) from e


def _check_replaceable(folder: Path) -> None:
    """Refuse to replace a folder that holds files other than ``.pts``."""
    if not folder.is_dir():
        return
    others = [
        p
        for p in folder.rglob("*")
        if not p.is_dir() and p.suffix.lower() != ".pts" and not _old_temp(p.name)
    ]
    if others:
        raise DatasetError(
            Problem(
                str(folder),
                None,
                f"holds {len(others)} files that are not .pts (e.g. "
                f"{others[0].relative_to(folder).as_posix()!r}); a .pts export replaces the "
                "whole folder: choose a new folder or one with only .pts files",
            )
        )


def _old_temp(name: str) -> bool:
    """A temporary file an older, file-by-file export left (``.a.pts.XXXX.tmp``)."""
    return name.startswith(".") and name.endswith(".tmp") and ".pts." in name.lower()
