"""Tell a dataset's format from its path and first bytes."""

from __future__ import annotations

from pathlib import Path

from facealign_gui.datasets._common import IMAGE_SUFFIXES, read_file
from facealign_gui.datasets.model import DatasetError, Problem

FORMATS = ("hrnet_csv", "wflw_list", "cofw_mat", "pts", "kaggle_csv", "image_folder")


def detect_format(path: str | Path) -> str:
    """One of `FORMATS`; `DatasetError` naming the file when it cannot tell."""
    path = Path(path)
    label = str(path)
    if path.is_dir():
        for _p in path.rglob("*.pts"):
            return "pts"
        for _p in path.rglob("*.PTS"):
            return "pts"
        return "image_folder"
    if not path.exists():
        raise DatasetError(Problem(label, None, "no such file or folder", True))
    suffix = path.suffix.lower()
    if suffix == ".mat":
        return "cofw_mat"
    if suffix == ".pts":
        return "pts"
    if suffix in IMAGE_SUFFIXES:
        raise DatasetError(Problem(label, None, "an image, not an annotation file or folder", True))
    head = read_file(path, 65536)
    if head.startswith(b"\x89HDF") or head.startswith(b"MATLAB"):
        return "cofw_mat"
    if not head.strip():
        raise DatasetError(Problem(label, None, "empty file", True))
    if b"\x00" in head:
        raise DatasetError(Problem(label, None, "binary data, not an annotation file", True))
    text = head.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="replace")
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    cols = [c.strip() for c in first.split(",")]
    if "Image" in cols:
        return "kaggle_csv"
    if len(cols) > 4 and cols[1].lower() == "scale":
        return "hrnet_csv"
    if first.lstrip().lower().startswith("version:"):
        return "pts"
    if len(first.split()) in (197, 207) or suffix == ".txt":
        return "wflw_list"
    raise DatasetError(
        Problem(
            label,
            1,
            "cannot tell the format (not an HRNet/Kaggle CSV, WFLW list, .pts, "
            ".mat or image folder); name it with --format",
            True,
        )
    )
