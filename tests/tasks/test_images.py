"""The window's one image path: decoded once, counted, and flipped from BGR to RGB."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from facealign_gui.tasks.images import bgr_to_rgb, decodes, read_rgb, rgb_to_bgr


def test_a_red_pixel_written_by_opencv_reads_back_red(tmp_path: Path) -> None:
    bgr = np.zeros((4, 6, 3), np.uint8)
    bgr[:, :3] = (0, 0, 255)  # red in OpenCV's order
    path = tmp_path / "red.png"
    cv2.imwrite(str(path), bgr)
    decodes.reset()
    rgb = read_rgb(path)
    assert tuple(rgb[0, 0]) == (255, 0, 0) and tuple(rgb[0, 5]) == (0, 0, 0)
    assert rgb.flags.c_contiguous
    assert decodes.count(str(path)) == 1


def test_the_flip_back_gives_the_original_and_grey_is_untouched() -> None:
    img = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    np.testing.assert_array_equal(rgb_to_bgr(bgr_to_rgb(img)), img)
    grey = np.zeros((2, 3), np.uint8)
    assert bgr_to_rgb(grey) is grey
