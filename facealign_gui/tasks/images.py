"""The window's one image path: every image it shows is decoded here, once, and turned from
OpenCV's BGR into the RGB the view draws. Nothing else in the window flips channels.

`decodes` counts decodes per image key so the benchmark (and tests) can check that a shown
image was decoded exactly once.
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import numpy as np

from facealign_gui.datasets.model import Dataset


class DecodeCounter:
    """Thread-safe count of decodes per image (the file path, or ``dataset#index``)."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def add(self, key: str) -> None:
        with self._lock:
            self._counts[key] += 1

    def count(self, key: str) -> int:
        with self._lock:
            return self._counts[key]

    def total(self) -> int:
        with self._lock:
            return sum(self._counts.values())

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


decodes = DecodeCounter()


def bgr_to_rgb(image: np.ndarray) -> np.ndarray:
    """The channel flip, in one place: (H, W, 3) BGR -> contiguous RGB; grey is kept."""
    if image.ndim == 3 and image.shape[2] == 3:
        return np.ascontiguousarray(image[..., ::-1])
    return image


def rgb_to_bgr(image: np.ndarray) -> np.ndarray:
    """The inverse flip, for handing a shown (RGB) image to a predictor (BGR)."""
    return bgr_to_rgb(image)  # the flip is its own inverse


def image_key(ds: Dataset, index: int) -> str:
    """The name `decodes` counts a dataset sample under."""
    try:
        return str(ds.image_path(index))
    except Exception:  # a container format without a path per image
        return f"{ds.root}#{index}"


def load_rgb(ds: Dataset, index: int) -> np.ndarray:
    """Sample ``index`` of ``ds`` as RGB uint8; raises `DatasetError` naming the file."""
    from facealign_gui.datasets.images import load_image

    bgr = load_image(ds, index)
    decodes.add(image_key(ds, index))
    return bgr_to_rgb(bgr)


def read_rgb(path: str | Path) -> np.ndarray:
    """An image file as RGB uint8; raises `DatasetError` naming the file."""
    from facealign_gui.datasets.images import read_image_file

    bgr = read_image_file(path)
    decodes.add(str(path))
    return bgr_to_rgb(bgr)
