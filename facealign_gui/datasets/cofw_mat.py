"""COFW as distributed with HRNet: ``COFW_{train,test}_color.mat`` (MATLAB v7.3 = HDF5).

Variables (HRNet ``lib/datasets/cofw.py``, PIPNet ``lib/preprocess.py``): ``IsT`` / ``IsTr``
a cell array of images, ``phisT`` / ``phisTr`` an N x 87 matrix — 29 x, then 29 y, then 29
occlusion flags — and ``bboxesT`` / ``bboxesTr`` N x 4 (x, y, width, height).

In HDF5, MATLAB stores everything transposed: ``phisT`` is (87, N), the cell array is an
(1, N) array of object references into ``#refs#``, and an H x W x 3 image is (3, W, H).
Older (v7) files are read with ``scipy.io.loadmat``. Points are used as HRNet uses them.
Images stay in the file: sample ``i`` is named ``<file>.mat#<i>`` and
`datasets.images.load_image` decodes it (grey becomes 3 channels, RGB becomes BGR).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from facealign_gui.datasets.model import Dataset, DatasetError, Problem

FORMAT = "cofw_mat"
K = 29
SPLITS = (("IsT", "phisT", "bboxesT"), ("IsTr", "phisTr", "bboxesTr"))


def read_cofw_mat(path: str | Path) -> Dataset:
    """Read a COFW .mat file (train or test variables, whichever it holds)."""
    path = Path(path)
    label = str(path)
    if not path.is_file():
        raise DatasetError(Problem(label, None, "file not found", True))
    phis, boxes, n_images = _read_arrays(path)
    if phis.ndim != 2 or phis.shape[1] < 2 * K:
        raise DatasetError(
            Problem(label, None, f"phis has shape {phis.shape}, expected N x 58 (or N x 87)", True)
        )
    n = len(phis)
    if n_images != n:
        raise DatasetError(
            Problem(label, None, f"{n_images} images but {n} rows of landmarks", True)
        )
    points = np.stack([phis[:, :K], phis[:, K : 2 * K]], axis=2).astype(np.float64)
    problems: list[Problem] = []
    finite = np.isfinite(points).all(axis=(1, 2))
    for i in np.flatnonzero(~finite):
        problems.append(Problem(label, None, f"face {i}: landmarks are not finite numbers", True))
    keep = np.flatnonzero(finite)
    ds = Dataset(
        format=FORMAT,
        scheme="cofw29",
        root=path.parent,
        images=[f"{path.name}#{i}" for i in keep.tolist()],
        points=points[keep],
        visible=np.ones((len(keep), K), dtype=bool),
        sources=[f"{label}#{i}" for i in keep.tolist()],
        problems=problems,
        skipped=len(problems),
    )
    if phis.shape[1] >= 3 * K:
        ds.occluded = phis[keep, 2 * K : 3 * K] > 0
    if boxes is not None and boxes.shape == (n, 4):
        b = boxes[keep].astype(np.float64)
        ds.boxes = np.stack([b[:, 0], b[:, 1], b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]], axis=1)
    from facealign_gui.datasets.wflw_list import centers_scales_from_points

    assert ds.points is not None
    ds.centers, ds.scales = centers_scales_from_points(ds.points)
    index = keep.tolist()
    ds.image_loader = lambda i: read_cofw_image(path, index[i])
    return ds


def _names(keys: list[str], label: str) -> tuple[str, str, str]:
    for names in SPLITS:
        if names[0] in keys and names[1] in keys:
            return names
    raise DatasetError(
        Problem(label, None, f"no IsT/phisT or IsTr/phisTr variables (found {keys})", True)
    )


def _read_arrays(path: Path) -> tuple[np.ndarray, np.ndarray | None, int]:
    import h5py

    label = str(path)
    if not h5py.is_hdf5(path):
        return _read_arrays_v7(path)
    try:
        with h5py.File(path, "r") as f:
            i_name, p_name, b_name = _names(list(f.keys()), label)
            n_images = int(f[i_name].size)
            phis = _matlab_matrix(np.asarray(f[p_name][()], dtype=np.float64), n_images)
            boxes = None
            if b_name in f:
                boxes = _matlab_matrix(np.asarray(f[b_name][()], dtype=np.float64), n_images)
    except OSError as e:
        raise DatasetError(Problem(label, None, f"unreadable HDF5 .mat file: {e}", True)) from e
    return phis, boxes, n_images


def _matlab_matrix(a: np.ndarray, n: int) -> np.ndarray:
    """MATLAB N x M as stored in HDF5 (M, N) back to (N, M)."""
    if a.ndim == 2 and a.shape[1] == n and a.shape[0] != n:
        return a.T
    return a


def _read_arrays_v7(path: Path) -> tuple[np.ndarray, np.ndarray | None, int]:
    from scipy.io import loadmat

    label = str(path)
    try:
        mat = loadmat(path)
    except (ValueError, OSError, NotImplementedError) as e:
        raise DatasetError(Problem(label, None, f"not a readable .mat file: {e}", True)) from e
    i_name, p_name, b_name = _names([k for k in mat if not k.startswith("__")], label)
    n_images = int(mat[i_name].size)
    boxes = np.asarray(mat[b_name], dtype=np.float64) if b_name in mat else None
    return np.asarray(mat[p_name], dtype=np.float64), boxes, n_images


def read_cofw_image(path: str | Path, i: int) -> np.ndarray:
    """Image ``i`` of a COFW .mat file as BGR uint8 (H, W, 3)."""
    import h5py

    path = Path(path)
    where = f"{path}#{i}"
    try:
        if h5py.is_hdf5(path):
            with h5py.File(path, "r") as f:
                i_name = _names(list(f.keys()), str(path))[0]
                refs = f[i_name][()].ravel()
                if not 0 <= i < len(refs):
                    raise DatasetError(Problem(where, None, f"no image {i} (file has {len(refs)})"))
                arr = np.asarray(f[refs[i]][()])
            arr = arr.T  # HDF5 (3, W, H) / (W, H) -> MATLAB (H, W, 3) / (H, W)
        else:
            from scipy.io import loadmat

            mat = loadmat(path)
            cells = mat[_names([k for k in mat if not k.startswith("__")], str(path))[0]].ravel()
            if not 0 <= i < len(cells):
                raise DatasetError(Problem(where, None, f"no image {i} (file has {len(cells)})"))
            arr = np.asarray(cells[i])
    except OSError as e:
        raise DatasetError(Problem(where, None, f"cannot read image: {e}")) from e
    if arr.dtype != np.uint8:
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    if arr.ndim == 2:
        return np.repeat(arr[:, :, None], 3, axis=2)
    if arr.ndim == 3 and arr.shape[2] == 3:
        return np.ascontiguousarray(arr[:, :, ::-1])
    raise DatasetError(Problem(where, None, f"image has shape {arr.shape}, expected HxW or HxWx3"))
