"""Tell a dataset's format from its path and first bytes (not face detection: that is
`inference.detect`).

`detect_format` asks every format in `datasets.formats` how sure it is (its ``sniff``) and
takes the surest, ties going to the format registered first. The sniffers of the built-in
formats are below; a new format brings its own in its module.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from facealign_gui.datasets.formats import BY_CONTENT, BY_NAME, BY_SIGNATURE, NO

HEAD_BYTES = 65536


class Probe:
    """What a sniffer may look at: the path and, read once on first use, the file's head.

    Attributes
    ----------
    path, is_dir, suffix : the path, whether it is a folder, its lower-case ending.
    head : the first `HEAD_BYTES` bytes (``b""`` for a folder).
    text : the head as text without a UTF-8 byte-order mark; None when the file is empty
        or binary as a whole (`_common.binary_kind`), so text sniffers can say no at once.
    first_line : the first non-blank line of ``text`` (``""`` when there is none).
    columns : ``first_line`` split at commas, each stripped.
    files : every file under a folder (recursively), sorted; ``[]`` for a file.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.is_dir = self.path.is_dir()
        self.suffix = self.path.suffix.lower()

    @cached_property
    def head(self) -> bytes:
        if self.is_dir:
            return b""
        from facealign_gui.datasets._common import read_file

        return read_file(self.path, HEAD_BYTES)

    @cached_property
    def text(self) -> str | None:
        from facealign_gui.datasets._common import binary_kind

        head = self.head
        if not head.strip() or binary_kind(head) is not None:
            return None  # empty, or binary as a whole (a few junk rows still make text)
        return head.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="replace")

    @cached_property
    def first_line(self) -> str:
        return next((ln for ln in (self.text or "").splitlines() if ln.strip()), "")

    @cached_property
    def columns(self) -> list[str]:
        return [c.strip() for c in self.first_line.split(",")]

    @cached_property
    def files(self) -> list[Path]:
        if not self.is_dir:
            return []
        return sorted(p for p in self.path.rglob("*") if p.is_file())


def detect_format(path: str | Path) -> str:
    """The name of the format ``path`` is in; `DatasetError` naming the file when no format
    recognises it."""
    from facealign_gui.datasets._common import IMAGE_SUFFIXES
    from facealign_gui.datasets.formats import all_formats
    from facealign_gui.datasets.model import DatasetError, Problem

    probe = Probe(path)
    label = str(probe.path)
    if not probe.is_dir and not probe.path.exists():
        raise DatasetError(Problem(label, None, "no such file or folder", True))
    if not probe.is_dir and probe.suffix in IMAGE_SUFFIXES:
        raise DatasetError(Problem(label, None, "an image, not an annotation file or folder", True))
    best, best_score = None, NO
    for fmt in all_formats():
        if not fmt.readable:
            continue
        score = fmt.sniff_score(probe)
        if score > best_score:
            best, best_score = fmt, score
    if best is not None:
        return best.name
    if not probe.is_dir:
        if not probe.head.strip():
            raise DatasetError(Problem(label, None, "empty file", True))
        from facealign_gui.datasets._common import binary_kind

        kind = binary_kind(probe.head)
        if kind is not None:
            raise DatasetError(Problem(label, None, f"{kind}, not an annotation file", True))
    known = ", ".join(f.label for f in all_formats() if f.sniff is not None)
    raise DatasetError(
        Problem(
            label,
            None if probe.is_dir else 1,
            f"cannot tell the format (not one of: {known}); name it with --format",
            True,
        )
    )


# --- the built-in formats' sniffers (referenced from `datasets.formats`) ---------------------


def hrnet_csv(probe: Probe) -> int:
    """HRNet's header: ``image_name,scale,center_w,center_h,original_0_x,...``."""
    cols = probe.columns
    return BY_CONTENT if len(cols) > 4 and cols[1].lower() == "scale" else NO


def wflw_list(probe: Probe) -> int:
    """196 coordinates and a name (subset lists), or + rect and 6 flags (207 tokens)."""
    if probe.text is None:
        return NO
    if len(probe.first_line.split()) in (197, 207):
        return BY_CONTENT
    return BY_NAME if probe.suffix == ".txt" else NO


def cofw_mat(probe: Probe) -> int:
    """A ``.mat`` file: MATLAB v5/v7 or v7.3 (HDF5)."""
    if probe.is_dir:
        return NO
    if probe.suffix == ".mat" or probe.head.startswith((b"\x89HDF", b"MATLAB")):
        return BY_SIGNATURE
    return NO


def pts(probe: Probe) -> int:
    """A ``.pts`` file, a file starting ``version:``, or a folder where every image has a
    ``.pts`` beside it (or that holds only ``.pts`` files). A folder where some images have
    none is an image folder, with the ``.pts`` as ground truth where present."""
    if probe.is_dir:
        from facealign_gui.datasets.image_folder import every_image_has_pts

        return BY_CONTENT if every_image_has_pts(probe.path, probe.files) else NO
    if probe.suffix == ".pts" or probe.first_line.lstrip().lower().startswith("version:"):
        return BY_SIGNATURE
    return NO


def kaggle_csv(probe: Probe) -> int:
    """The Kaggle facial keypoints CSV: 30 coordinate columns and ``Image`` (the pixels)."""
    return BY_SIGNATURE if "Image" in probe.columns else NO


def image_folder(probe: Probe) -> int:
    """Any folder (the least sure answer: formats that recognise a folder win)."""
    return BY_NAME if probe.is_dir else NO
