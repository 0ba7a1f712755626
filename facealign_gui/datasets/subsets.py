"""WFLW subset lists (``list_98pt_test_<subset>.txt``) matched to a dataset's rows.

A subset list row names an image and gives its 98 points; the same image can hold several
faces, so a row is matched to the dataset sample with the same image (compared by the path
below the dataset root, or the base name) *and* the same coordinates.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from facealign_gui.datasets.model import Dataset, DatasetError, Problem

TOLERANCE_PX = 0.01  # coordinates are printed with six decimals; anything closer is equal


def subset_list_files(folder: str | Path) -> list[Path]:
    """The ``list_*pt_test_*.txt`` files in ``folder`` (or its ``list_98pt_test``)."""
    folder = Path(folder)
    for d in (folder, folder / "list_98pt_test"):
        files = sorted(p for p in d.glob("list_*pt_test_*.txt") if p.is_file())
        if files:
            return files
    return []


def match_wflw_subsets(
    folder: str | Path, ds: Dataset
) -> tuple[dict[str, np.ndarray], list[Problem]]:
    """Subset name -> sorted sample indices of ``ds``, and a problem per unmatched row."""
    from facealign_gui.datasets.wflw_list import read_wflw_list, subset_from_file_name

    files = subset_list_files(folder)
    if not files:
        raise DatasetError(
            Problem(str(folder), None, "no WFLW subset lists (list_98pt_test_*.txt) found", True)
        )
    if ds.points is None:
        raise DatasetError(Problem(str(folder), None, "the dataset has no points to match"))
    by_name: dict[str, list[int]] = {}
    for i, name in enumerate(ds.images):
        by_name.setdefault(_key(name), []).append(i)

    subsets: dict[str, np.ndarray] = {}
    problems: list[Problem] = []
    for f in files:
        sub = read_wflw_list(f, num_points=ds.points.shape[1], with_centers=False)
        problems.extend(sub.problems)
        name = subset_from_file_name(f.name) or f.stem
        found: list[int] = []
        assert sub.points is not None
        for j, image in enumerate(sub.images):
            idx = _match(by_name.get(_key(image), []), ds.points, sub.points[j])
            if idx is None:
                file, _, line = sub.sources[j].rpartition(":")
                problems.append(
                    Problem(file, int(line), f"no sample in the dataset matches {image}")
                )
            else:
                found.append(idx)
        subsets[name] = np.unique(np.array(found, dtype=np.int64))
    return subsets, problems


def load_wflw_subsets(folder: str | Path, ds: Dataset) -> dict[str, np.ndarray]:
    """`match_wflw_subsets`, adding the unmatched rows to ``ds.problems`` (non-fatal)."""
    subsets, problems = match_wflw_subsets(folder, ds)
    ds.problems.extend(problems)
    return subsets


def _key(name: str) -> str:
    return os.path.basename(name.replace("\\", "/")).lower()


def _match(candidates: list[int], points: np.ndarray, target: np.ndarray) -> int | None:
    best, best_err = None, TOLERANCE_PX
    for i in candidates:
        with np.errstate(invalid="ignore"):
            err = np.nanmax(np.abs(points[i] - target)) if np.isfinite(points[i]).any() else np.inf
        if err <= best_err:
            best, best_err = i, err
    return best
