"""A plain folder of images, unlabelled (scheme None, points None)."""

from __future__ import annotations

from pathlib import Path

from facealign_gui.datasets._common import IMAGE_SUFFIXES
from facealign_gui.datasets.model import Dataset, DatasetError, Problem

FORMAT = "image_folder"


def list_images(folder: Path) -> list[Path]:
    """Image files under ``folder`` (recursively, hidden entries skipped), sorted."""
    return sorted(
        p
        for p in folder.rglob("*")
        if p.suffix.lower() in IMAGE_SUFFIXES
        and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def read_image_folder(folder: str | Path) -> Dataset:
    """Every image under ``folder`` as one unlabelled sample."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(Problem(str(folder), None, "not a folder", True))
    images = list_images(folder)
    if not images:
        raise DatasetError(Problem(str(folder), None, "no images in this folder", True))
    names = [p.relative_to(folder).as_posix() for p in images]
    return Dataset(
        format=FORMAT,
        scheme=None,
        root=folder,
        images=names,
        sources=[str(p) for p in images],
    )
