"""Images mean the same pixels everywhere: stored-pixel order by default, one size rule."""

from __future__ import annotations

import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps

from facealign_gui.datasets._common import IMAGE_SUFFIXES
from facealign_gui.datasets.images import (
    DISPLAYED,
    STORED,
    ImageOrientationWarning,
    image_size,
    load_image,
    read_image_file,
    set_orientation,
)
from facealign_gui.datasets.model import Dataset, DatasetError


def _pattern() -> np.ndarray:
    """40 x 60 RGB with four flat blocks, so JPEG keeps each block's colour."""
    rgb = np.zeros((40, 60, 3), np.uint8)
    rgb[:20, :30] = (250, 10, 10)
    rgb[:20, 30:] = (10, 250, 10)
    rgb[20:, :30] = (10, 10, 250)
    rgb[20:, 30:] = (250, 250, 10)
    return rgb


def _jpeg(path: Path, tag: int) -> Path:
    exif = Image.Exif()
    exif[0x0112] = tag
    Image.fromarray(_pattern()).save(path, quality=100, subsampling=0, exif=exif.tobytes())
    return path


def _pil_bgr(path: Path, displayed: bool) -> np.ndarray:
    im = Image.open(path)
    if displayed:
        im = ImageOps.exif_transpose(im)
    return np.asarray(im.convert("RGB"))[:, :, ::-1]


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and float(np.abs(a.astype(int) - b.astype(int)).mean()) < 3


@pytest.mark.parametrize("tag", range(1, 9))
def test_jpegs_are_read_in_stored_pixel_order_as_pil_and_hrnet_read_them(
    tmp_path: Path, tag: int
) -> None:
    f = _jpeg(tmp_path / "a.jpg", tag)
    img = read_image_file(f)
    assert img.shape == (40, 60, 3)
    assert _close(img, _pil_bgr(f, displayed=False))
    assert image_size(f) == (60, 40)


@pytest.mark.parametrize("tag", range(1, 9))
def test_as_displayed_applies_the_exif_orientation_as_pil_does(tmp_path: Path, tag: int) -> None:
    f = _jpeg(tmp_path / "a.jpg", tag)
    img = read_image_file(f, orientation=DISPLAYED)
    assert _close(img, _pil_bgr(f, displayed=True))
    h, w = img.shape[:2]
    assert image_size(f, orientation=DISPLAYED) == (w, h)
    if tag == 6:  # and as OpenCV's own imread shows it
        assert _close(img, cv2.imread(str(f), cv2.IMREAD_COLOR))


def _dataset(tmp_path: Path, tags: list[int]) -> Dataset:
    names = [_jpeg(tmp_path / f"{i}.jpg", t).name for i, t in enumerate(tags)]
    return Dataset(format="x", scheme=None, root=tmp_path, images=names)


def test_a_rotated_jpeg_is_reported_once_per_dataset(tmp_path: Path) -> None:
    ds = _dataset(tmp_path, [1, 6, 8, 6])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        images = [load_image(ds, i) for i in range(4)]
    assert [im.shape[:2] for im in images] == [(40, 60)] * 4
    assert [w.category for w in caught] == [ImageOrientationWarning]
    assert len(ds.problems) == 1 and not ds.problems[0].fatal
    assert str(ds.problems[0]).startswith(f"{tmp_path / '1.jpg'}: EXIF orientation 6 (rotated")
    assert "stored-pixel order" in str(ds.problems[0])
    (tmp_path / "other").mkdir()
    other = _dataset(tmp_path / "other", [6])
    with pytest.warns(ImageOrientationWarning):  # another dataset is told again
        load_image(other, 0)


def test_a_dataset_can_be_read_as_displayed(tmp_path: Path) -> None:
    ds = _dataset(tmp_path, [6, 1])
    set_orientation(ds, DISPLAYED)
    with pytest.warns(ImageOrientationWarning, match="is applied"):
        assert load_image(ds, 0).shape[:2] == (60, 40)
    assert load_image(ds, 1).shape[:2] == (40, 60)
    assert load_image(ds, 0, orientation=STORED).shape[:2] == (40, 60)
    with pytest.raises(ValueError, match="unknown orientation 'sideways'"):
        set_orientation(ds, "sideways")


def _write(path: Path, img: np.ndarray, params: list[int] | None = None) -> Path:
    ok, buf = cv2.imencode(path.suffix, img, params or [])
    assert ok
    path.write_bytes(buf.tobytes())
    return path


@pytest.mark.parametrize(
    ("suffix", "channels", "params"),
    [(s, 3, None) for s in IMAGE_SUFFIXES]
    + [
        (".png", 4, None),
        (".webp", 4, None),
        (".webp", 3, [cv2.IMWRITE_WEBP_QUALITY, 101]),  # lossless
        (".webp", 3, [cv2.IMWRITE_WEBP_QUALITY, 50]),  # lossy
        (".tif", 1, None),
        (".bmp", 1, None),
    ],
)
def test_every_format_gives_the_size_its_decode_gives(
    tmp_path: Path, suffix: str, channels: int, params: list[int] | None
) -> None:
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (37, 53, channels), dtype=np.uint8)
    if suffix == ".pgm" or channels == 1:
        img = img[:, :, 0]
    f = _write(tmp_path / f"x{suffix}", img, params)
    h, w = read_image_file(f).shape[:2]
    assert image_size(f) == (w, h) == (53, 37)


@pytest.mark.parametrize(
    ("head", "name"),
    [
        (b"GIF89a\x01\x00\x01\x00\x80\x00\x00", "GIF"),
        (b"GIF87a\x01\x00\x01\x00\x80\x00\x00", "GIF"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "HEIC"),
        (b"\x00\x00\x00\x18ftypavif\x00\x00\x00\x00", "AVIF"),
    ],
)
def test_gif_and_other_formats_we_do_not_open_are_named(
    tmp_path: Path, head: bytes, name: str
) -> None:
    f = tmp_path / "a.jpg"  # whatever the name says
    f.write_bytes(head + bytes(200))
    with pytest.raises(DatasetError) as e:
        read_image_file(f)
    assert str(e.value) == f"{f}: {name} images are not supported; convert it to PNG or JPEG"
    assert image_size(f) is None


def test_a_real_gif_is_named_too(tmp_path: Path) -> None:
    f = tmp_path / "a.gif"
    Image.fromarray(_pattern()).save(f)
    with pytest.raises(DatasetError, match=r"a\.gif: GIF images are not supported"):
        read_image_file(f)
