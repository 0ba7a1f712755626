"""One way to get a sample's image, whatever the format: ``load_image(ds, i)``.

Files on disk are read with OpenCV (through ``np.fromfile`` so non-ASCII paths work);
images stored in the annotation file (COFW .mat, Kaggle pixel strings) come from the
dataset's ``image_loader``, or from the ``file.mat#12`` / ``file.csv#12`` name when the
loader is gone. Every failure is a `DatasetError` naming the file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from facealign_gui.datasets.model import Dataset, DatasetError, Problem


def load_image(ds: Dataset, i: int) -> np.ndarray:
    """Image of sample ``i`` as BGR uint8 (H, W, 3)."""
    if ds.image_loader is not None:
        return ds.image_loader(i)
    name = ds.images[i]
    base, sep, index = name.rpartition("#")
    if sep and index.isdigit():
        container = Path(base) if Path(base).is_absolute() else ds.root / base
        if container.suffix.lower() == ".mat" and container.is_file():
            from facealign_gui.datasets.cofw_mat import read_cofw_image

            return read_cofw_image(container, int(index))
    return read_image_file(ds.image_path(i))


def read_image_file(path: str | Path) -> np.ndarray:
    """BGR uint8 (H, W, 3) image from a file; grey and alpha images become 3 channels."""
    import cv2

    path = Path(path)
    if not path.is_file():
        raise DatasetError(Problem(str(path), None, "image not found"))
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as e:
        raise DatasetError(Problem(str(path), None, f"cannot read image: {e.strerror}")) from e
    img = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if img is None:
        raise DatasetError(
            Problem(str(path), None, "cannot decode image (corrupt or not an image)")
        )
    return img
