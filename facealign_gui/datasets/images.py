"""One way to get a sample's image, whatever the format: ``load_image(ds, i)``.

Files on disk are read with OpenCV (through ``np.fromfile`` so non-ASCII paths work);
images stored in the annotation file (COFW .mat, Kaggle pixel strings) come from the
dataset's ``image_loader``, or from the ``file.mat#12`` name when the loader is gone.
Every failure is a `DatasetError` naming the file.

Orientation: pixels are read **in the order they are stored** (`STORED`, the default),
ignoring a JPEG's EXIF orientation tag, because that is what the published tools do —
HRNet's loader uses PIL's ``Image.open`` (which does not rotate) and MATLAB's ``imread``
does not either — so annotations made with them land on the face. OpenCV's plain
``imread`` would rotate, and the points would be drawn off the face. `DISPLAYED` applies
the tag (the image as a photo viewer shows it) for annotations made on the rotated image.
The first JPEG of a dataset whose tag is not 1 is reported once (a warning and a
non-fatal problem on the dataset). `image_size` gives the size the same decode gives.
"""

from __future__ import annotations

import struct
import threading
import warnings
from pathlib import Path

import numpy as np

from facealign_gui.datasets.model import Dataset, DatasetError, Problem

STORED = "stored"  # pixels in file order, EXIF orientation ignored (HRNet / PIL / MATLAB)
DISPLAYED = "displayed"  # EXIF orientation applied, as a photo viewer shows the image
ORIENTATIONS = (STORED, DISPLAYED)

# what each EXIF orientation value asks a viewer to do
EXIF_ORIENTATION = {
    1: "as stored",
    2: "mirrored left-right",
    3: "rotated 180°",
    4: "mirrored top-bottom",
    5: "transposed",
    6: "rotated 90° clockwise",
    7: "transversed",
    8: "rotated 90° counter-clockwise",
}

# formats people have that we do not open: first bytes -> name
_UNSUPPORTED = (
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"8BPS", "Photoshop PSD"),
    (b"%PDF", "PDF"),
)
_FTYP = {b"heic": "HEIC", b"heix": "HEIC", b"mif1": "HEIF", b"avif": "AVIF"}


class ImageOrientationWarning(UserWarning):
    """A dataset's JPEG carries an EXIF orientation that is not applied (or is)."""


_warn_lock = threading.Lock()


def check_orientation(orientation: str) -> str:
    """``orientation`` if it is one of `ORIENTATIONS`, else a `ValueError` naming them."""
    if orientation not in ORIENTATIONS:
        raise ValueError(f"unknown orientation {orientation!r}; choose {' or '.join(ORIENTATIONS)}")
    return orientation


def set_orientation(ds: Dataset, orientation: str) -> None:
    """Make `load_image` read ``ds``'s image files `STORED` (default) or `DISPLAYED`."""
    ds.meta["orientation"] = check_orientation(orientation)


def load_image(ds: Dataset, i: int, *, orientation: str | None = None) -> np.ndarray:
    """Image of sample ``i`` as BGR uint8 (H, W, 3).

    ``orientation`` overrides the dataset's setting (`set_orientation`; `STORED` when
    unset). The first JPEG whose EXIF orientation is not 1 is reported once per dataset.
    """
    if ds.image_loader is not None:
        return ds.image_loader(i)
    name = ds.images[i]
    base, sep, index = name.rpartition("#")
    if sep and index.isdigit():
        container = Path(base) if Path(base).is_absolute() else ds.root / base
        if container.suffix.lower() == ".mat" and container.is_file():
            from facealign_gui.datasets.cofw_mat import read_cofw_image

            return read_cofw_image(container, int(index))
    mode = check_orientation(orientation or str(ds.meta.get("orientation", STORED)))
    path = ds.image_path(i)
    data = _read_bytes(path)
    tag = exif_orientation(data)
    if tag != 1 and not ds.meta.get("orientation_reported"):
        _report_orientation(ds, path, tag, mode)
    return decode_image(data, str(path), mode, tag)


def _report_orientation(ds: Dataset, path: Path, tag: int, mode: str) -> None:
    with _warn_lock:
        if ds.meta.get("orientation_reported"):
            return
        ds.meta["orientation_reported"] = True
    how = EXIF_ORIENTATION.get(tag, "unknown")
    if mode == STORED:
        msg = (
            f"EXIF orientation {tag} ({how}) is not applied: images are read in stored-pixel "
            "order, as HRNet's PIL loader and MATLAB read them; if the points were placed "
            "on the image as a photo viewer shows it, read the images 'as displayed'"
        )
    else:
        msg = f"EXIF orientation {tag} ({how}) is applied: images are read as displayed"
    ds.problems.append(Problem(str(path), None, msg))
    warnings.warn(f"{path}: {msg} (reported once per dataset)", ImageOrientationWarning, 3)


def read_image_file(path: str | Path, *, orientation: str = STORED) -> np.ndarray:
    """BGR uint8 (H, W, 3) image from a file; grey and alpha images become 3 channels.

    ``orientation`` is `STORED` (EXIF orientation ignored, the default) or `DISPLAYED`.
    """
    path = Path(path)
    data = _read_bytes(path)
    mode = check_orientation(orientation)
    return decode_image(data, str(path), mode, exif_orientation(data) if mode == DISPLAYED else 1)


def _read_bytes(path: Path) -> np.ndarray:
    if not path.is_file():
        raise DatasetError(Problem(str(path), None, "image not found"))
    try:
        return np.fromfile(path, dtype=np.uint8)
    except OSError as e:
        raise DatasetError(Problem(str(path), None, f"cannot read image: {e.strerror}")) from e


def unsupported_format(head: bytes) -> str | None:
    """Name of an image format we recognise but do not open (``"GIF"``), else None."""
    for magic, name in _UNSUPPORTED:
        if head.startswith(magic):
            return name
    if head[4:8] == b"ftyp":
        return _FTYP.get(head[8:12])
    return None


def decode_image(
    data: np.ndarray, where: str, orientation: str = STORED, tag: int = 1
) -> np.ndarray:
    """Decode file bytes to BGR uint8 (H, W, 3) in stored order; `DISPLAYED` then applies
    the EXIF orientation ``tag`` (our own flips and turns, the same for every format)."""
    import cv2

    head = data[:16].tobytes()
    other = unsupported_format(head)
    if other is not None:
        raise DatasetError(
            Problem(where, None, f"{other} images are not supported; convert it to PNG or JPEG")
        )
    flags = cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION
    img = cv2.imdecode(data, flags) if data.size else None
    if img is None:
        raise DatasetError(Problem(where, None, "cannot decode image (corrupt or not an image)"))
    if orientation == DISPLAYED and tag != 1:
        img = np.ascontiguousarray(apply_orientation(img, tag))
    return img


def apply_orientation(img: np.ndarray, tag: int) -> np.ndarray:
    """``img`` (stored order) as a viewer shows it for EXIF orientation ``tag``."""
    if tag == 2:
        return img[:, ::-1]
    if tag == 3:
        return img[::-1, ::-1]
    if tag == 4:
        return img[::-1]
    if tag == 5:
        return img.swapaxes(0, 1)
    if tag == 6:
        return img.swapaxes(0, 1)[:, ::-1]
    if tag == 7:
        return img.swapaxes(0, 1)[::-1, ::-1]
    if tag == 8:
        return img.swapaxes(0, 1)[::-1]
    return img


def exif_orientation(data: np.ndarray | bytes) -> int:
    """EXIF orientation tag (1..8) of JPEG bytes; 1 when there is none (or not a JPEG)."""
    head = data[:65536].tobytes() if isinstance(data, np.ndarray) else bytes(data[:65536])
    if not head.startswith(b"\xff\xd8"):
        return 1
    pos = 2
    while pos + 4 <= len(head) and head[pos] == 0xFF:
        marker = head[pos + 1]
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no more metadata
            return 1
        if marker == 0x01 or 0xD0 <= marker <= 0xD8 or marker == 0xFF:
            pos += 1 if marker == 0xFF else 2
            continue
        (length,) = struct.unpack(">H", head[pos + 2 : pos + 4])
        if marker == 0xE1 and head[pos + 4 : pos + 10] == b"Exif\x00\x00":
            return _tiff_orientation(head[pos + 10 : pos + 2 + length])
        pos += 2 + length
    return 1


def _tiff_orientation(tiff: bytes) -> int:
    try:
        order = {b"II": "<", b"MM": ">"}[tiff[:2]]
        (ifd,) = struct.unpack(order + "I", tiff[4:8])
        (count,) = struct.unpack(order + "H", tiff[ifd : ifd + 2])
        for k in range(count):
            at = ifd + 2 + 12 * k
            tag, kind, _n = struct.unpack(order + "HHI", tiff[at : at + 8])
            if tag == 0x0112:
                fmt = "H" if kind == 3 else "I" if kind == 4 else "B"
                (value,) = struct.unpack(order + fmt, tiff[at + 8 : at + 8 + struct.calcsize(fmt)])
                return int(value) if 1 <= value <= 8 else 1
    except (KeyError, struct.error):
        return 1
    return 1


def image_size(path: str | Path, *, orientation: str = STORED) -> tuple[int, int] | None:
    """``(width, height)`` of the image `read_image_file` would return, or None when the
    file is missing or is not an image we open.

    PNG, JPEG, BMP, PNM and WebP sizes come from the header (COCO needs every image's
    size; decoding 10,000 images for it would take minutes); other formats (TIFF...) are
    decoded. `DISPLAYED` swaps width and height for the EXIF turns (5 to 8).
    """
    from facealign_gui.datasets._imageheader import header_size

    path = Path(path)
    try:
        with open(path, "rb") as f:
            head = f.read(65536)
    except OSError:
        return None
    if unsupported_format(head[:16]) is not None:
        return None
    size = header_size(path, head)
    if size is None:
        try:
            h, w = read_image_file(path).shape[:2]
        except DatasetError:
            return None
        size = (int(w), int(h))
    if orientation == DISPLAYED and exif_orientation(head) in (5, 6, 7, 8):
        return size[1], size[0]
    return size
