"""A folder of images, unlabelled, or labelled where a ``.pts`` lies beside an image.

A labelling folder often holds a few ``.pts`` files already (the faces labelled so far): it
opens as every image, each ``.pts`` being that image's ground truth (the other images have
NaN points, invisible). A folder where *every* image has its ``.pts`` is a `pts` folder.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from facealign_gui.datasets._common import IMAGE_SUFFIXES, scheme_name_for
from facealign_gui.datasets.model import Dataset, DatasetError, Problem

FORMAT = "image_folder"


def list_images(folder: Path, files: Iterable[Path] | None = None) -> list[Path]:
    """Image files under ``folder`` (recursively, hidden entries skipped), sorted.

    ``files`` is a listing of ``folder`` already made (all files under it), to walk it once.
    """
    if files is None:
        files = (p for p in folder.rglob("*") if p.is_file())
    return sorted(
        p
        for p in files
        if p.suffix.lower() in IMAGE_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def every_image_has_pts(folder: Path, files: list[Path]) -> bool:
    """True when ``files`` (under ``folder``) hold ``.pts`` files and every image among them
    has its own: the folder is a `pts` folder rather than an image folder."""
    pts = {p.with_suffix("") for p in files if p.suffix.lower() == ".pts"}
    if not pts:
        return False
    stems = [p.with_suffix("") for p in list_images(folder, files)]
    return len(set(stems)) == len(stems) and all(s in pts for s in stems)


def read_image_folder(folder: str | Path) -> Dataset:
    """Every image under ``folder`` as one sample; a ``.pts`` beside an image is its
    ground truth."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(Problem(str(folder), None, "not a folder", True))
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    images = list_images(folder, files)
    if not images:
        raise DatasetError(Problem(str(folder), None, "no images in this folder", True))
    names = [p.relative_to(folder).as_posix() for p in images]
    ds = Dataset(
        format=FORMAT,
        scheme=None,
        root=folder,
        images=names,
        sources=[str(p) for p in images],
    )
    pts_files = [
        p
        for p in files
        if p.suffix.lower() == ".pts"
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    ]
    if pts_files:
        _add_ground_truth(ds, images, pts_files)
    return ds


def _add_ground_truth(ds: Dataset, images: list[Path], pts_files: list[Path]) -> None:
    """Points from the ``.pts`` beside each image; NaN (invisible) for images with none."""
    from facealign_gui.core.geometry import centers_scales_from_points
    from facealign_gui.datasets.pts import parse_pts

    row_of = {}
    for i, img in enumerate(images):
        row_of.setdefault(img.with_suffix(""), i)  # a.jpg before a.png, as the .pts reader
    found: dict[int, tuple[np.ndarray, Path]] = {}
    for p in pts_files:
        i = row_of.get(p.with_suffix(""))
        if i is None:
            ds.problems.append(Problem(str(p), None, "no image with the same name beside it"))
            continue
        try:
            found[i] = (parse_pts(p), p)
        except DatasetError as e:
            ds.problems.extend(e.problems)
    counts = [len(pts) for pts, _ in found.values()]
    if not counts:
        return
    # the most common point count wins; on a tie, one a known scheme has, then the larger
    k = max(set(counts), key=lambda c: (counts.count(c), scheme_name_for(c) is not None, c))
    n = len(images)
    points = np.full((n, k, 2), np.nan)
    for i, (pts, p) in sorted(found.items()):
        if len(pts) != k:
            ds.problems.append(Problem(str(p), None, f"{len(pts)} points, the others have {k}"))
            continue
        points[i] = pts
        ds.sources[i] = f"{p}:1"
    labelled = np.isfinite(points).all(axis=(1, 2))
    ds.points = points
    ds.visible = np.repeat(labelled[:, None], k, axis=1)
    ds.scheme = scheme_name_for(k)
    centers, scales = np.full((n, 2), np.nan), np.full(n, np.nan)
    centers[labelled], scales[labelled] = centers_scales_from_points(points[labelled])
    ds.centers, ds.scales = centers, scales
