"""Helpers every reader and writer shares: decoding text, atomic writes, image checks."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from facealign_gui.datasets.model import Dataset, DatasetError, Problem
from facealign_gui.fileio import atomic_write_bytes, remove_stale_temps

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".pgm", ".tif", ".tiff", ".webp")


def read_text(path: Path, lenient: bool = False) -> tuple[str, str]:
    """Text of an annotation file and its newline (``"\\n"`` or ``"\\r\\n"``).

    A UTF-8 byte-order mark is dropped; Windows line endings become ``"\\n"``. Binary junk
    (NUL bytes, or text that is not UTF-8) raises `DatasetError` naming the file; with
    ``lenient``, bytes that are not UTF-8 become U+FFFD (`BAD_CHAR`) so a line-based reader
    can reject just those lines.
    """
    return decode_text(read_file(path), str(path), lenient)


def read_file(path: Path, limit: int | None = None) -> bytes:
    """The bytes of ``path`` (at most ``limit`` of them); an unreadable file raises
    `DatasetError` naming it and why."""
    try:
        if limit is None:
            return path.read_bytes()
        with open(path, "rb") as f:
            return f.read(limit)
    except OSError as e:
        raise DatasetError(Problem(str(path), None, f"cannot read: {e.strerror}", True)) from e


BAD_CHAR = "\ufffd"
HEAD = 65536  # bytes looked at to tell text from binary, and the newline in use

# first bytes of files people open by mistake -> what they are
_MAGIC = (
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\x89HDF", "an HDF5 / MATLAB v7.3 file"),
    (b"MATLAB 5.0 MAT-file", "a MATLAB .mat file"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"%PDF", "a PDF document"),
)


def binary_kind(head: bytes) -> str | None:
    """What a file that is not text is (``"a GIF image"``, ``"binary data"``), else None.

    A known signature names the format. Otherwise a file counts as binary when most of the
    lines in ``head`` hold a NUL byte: a text file with a few junk rows is still text, and
    its readers reject just those rows.
    """
    head = head[:HEAD]
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head[8:12] == b"WEBP" and head.startswith(b"RIFF"):
        return "a WebP image"
    if b"\x00" not in head:
        return None
    lines = head.split(b"\n")
    with_nul = sum(1 for ln in lines if b"\x00" in ln)
    return "binary data" if 2 * with_nul > len(lines) else None


def refuse_binary(data: bytes, name: str) -> None:
    """`DatasetError` naming ``name`` and what it is when ``data`` is not text at all."""
    kind = binary_kind(data)
    if kind is not None:
        raise DatasetError(Problem(name, None, f"{kind}, not a text annotation file", True))


def decode_text(data: bytes, name: str, lenient: bool = False) -> tuple[str, str]:
    """Decode ``data`` as `read_text` does; ``name`` is used in error messages.

    With ``lenient``, NUL bytes and bytes that are not UTF-8 become `BAD_CHAR` so that a
    line-based reader rejects just their lines; a file that is binary as a whole (see
    `binary_kind`) is refused either way. Line ends (``\r\n``, lone ``\r``) become ``\n``;
    the newline returned is the one the file uses (``"\n"``, ``"\r\n"`` or ``"\r"``).
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    refuse_binary(data, name)
    if not lenient and b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise DatasetError(Problem(name, line, "NUL byte (binary junk?)", True))
    try:
        text = data.decode("utf-8", errors="replace" if lenient else "strict")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise DatasetError(Problem(name, line, "not UTF-8 text (binary junk?)", True)) from e
    if lenient and "\x00" in text:
        text = text.replace("\x00", BAD_CHAR)
    newline = newline_of(data)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, newline


def newline_of(data: bytes) -> str:
    """The newline ``data`` uses: ``"\r\n"``, a lone ``"\r"`` (old Mac) or ``"\n"``."""
    head = data[:HEAD]
    if b"\r\n" in head:
        return "\r\n"
    if b"\r" in head and b"\n" not in head:
        return "\r"
    return "\n"


def atomic_write_text(path: Path, text: str, newline: str = "\n") -> None:
    """Write ``text`` (``"\\n"`` line ends, converted to ``newline``) atomically, first
    removing what a killed earlier write of ``path`` left behind."""
    if newline != "\n":
        text = text.replace("\n", newline)
    remove_stale_temps(path)
    atomic_write_bytes(path, text.encode("utf-8"))


def guess_image_root(folder: Path, first_image: str | None, extra: Iterable[str] = ()) -> Path:
    """The folder image paths are relative to.

    HRNet keeps images in ``<csv dir>/images``; WFLW in ``WFLW_images`` next to (or two
    levels above) the annotation lists. The first candidate that holds ``first_image`` wins,
    otherwise the annotation file's own folder.
    """
    names = ["", "images", "WFLW_images", *extra]
    candidates = []
    for base in (folder, folder.parent, folder.parent.parent):
        candidates.extend(base / n if n else base for n in names)
    if first_image:
        for c in candidates:
            if (c / first_image).is_file():
                return c
    return folder


def check_images(ds: Dataset, label: str) -> None:
    """Add a non-fatal problem for every image that is missing under ``ds.root``.

    If none of the images exists (the image folder was not downloaded, say), one problem
    says so instead of N.
    """
    if not ds.images or ds.image_loader is not None:
        return
    root = str(ds.root)
    if not os.path.isdir(root) and not any(os.path.isabs(n) for n in ds.images[:1]):
        missing = list(range(len(ds.images)))
    else:
        missing = _missing(root, ds.images)
    if not missing:
        return
    if len(missing) == len(ds.images):
        ds.problems.append(
            Problem(label, None, f"none of the {len(missing)} images found under {ds.root}")
        )
        return
    for i in missing:
        file, line = _split_source(ds.sources[i] if ds.sources else label)
        ds.problems.append(Problem(file, line, f"image not found: {ds.image_path(i)}"))


def _missing(root: str, images: list[str]) -> list[int]:
    """Indices of ``images`` (relative to ``root``, or absolute) that are not files.

    One directory listing per folder instead of one ``stat`` per image.
    """
    listing: dict[str, set[str] | None] = {}
    missing: list[int] = []
    for i, name in enumerate(images):
        folder, _, base = name.replace("\\", "/").rpartition("/")
        if name.startswith("/"):
            where = folder or "/"
        elif folder:
            where = f"{root}/{folder}"
        else:
            where = root
        names = listing.get(where, ())
        if names == ():
            try:
                names = listing[where] = set(os.listdir(where))
            except OSError:
                names = listing[where] = None
        if names is None or base not in names:
            missing.append(i)
    return missing


def _split_source(source: str) -> tuple[str, int | None]:
    file, _, line = source.rpartition(":")
    if file and line.isdigit():
        return file, int(line)
    return source, None


def scheme_name_for(num_points: int) -> str | None:
    """Scheme name for ``num_points`` landmarks, or None when no scheme has that many."""
    from facealign_gui.core import schemes

    try:
        s = schemes.scheme_for_num_points(num_points)
    except (KeyError, ValueError, LookupError):
        return None
    if s is None:
        return None
    return s if isinstance(s, str) else getattr(s, "name", None)
