"""Image sizes from file headers agree with what OpenCV decodes."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from facealign_gui.session.imagesize import image_size


@pytest.mark.parametrize(
    "suffix", [".png", ".jpg", ".bmp", ".ppm", ".pgm", ".webp", ".tif", ".tiff", ".jpeg"]
)
def test_header_size_matches_the_decoded_image(tmp_path: Path, suffix: str) -> None:
    img = np.zeros((37, 53, 3), np.uint8)
    path = tmp_path / f"x{suffix}"
    cv2.imwrite(str(path), img[..., 0] if suffix == ".pgm" else img)
    h, w = cv2.imread(str(path), cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION).shape[:2]
    assert image_size(path) == (w, h) == (53, 37)


def test_unknown_or_missing_files_give_none(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hello")
    assert image_size(tmp_path / "a.txt") is None
    assert image_size(tmp_path / "missing.png") is None
