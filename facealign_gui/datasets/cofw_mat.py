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
MAX_VALUES = 50_000_000  # a landmark or box matrix larger than this is not COFW


def read_cofw_mat(path: str | Path) -> Dataset:
    """Read a COFW .mat file (train or test variables, whichever it holds).

    Every variable is checked before it is used: a group, text, a struct or complex numbers
    where a numeric matrix belongs is a `DatasetError` naming the variable; a face whose
    image is not a numeric H x W (x 3) array is a problem naming the face, and the other
    faces load.
    """
    path = Path(path)
    label = str(path)
    if not path.is_file():
        raise DatasetError(Problem(label, None, "file not found", True))
    phis, boxes, image_faults, problems = _read_arrays(path)
    n_images = len(image_faults)
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
    finite = np.isfinite(points).all(axis=(1, 2))
    good = finite.copy()
    for i in range(n):
        if not finite[i]:
            problems.append(
                Problem(label, None, f"face {i}: landmarks are not finite numbers", True)
            )
        elif image_faults[i]:
            problems.append(Problem(label, None, f"face {i}: {image_faults[i]}", True))
            good[i] = False
    keep = np.flatnonzero(good)
    ds = Dataset(
        format=FORMAT,
        scheme="cofw29",
        root=path.parent,
        images=[f"{path.name}#{i}" for i in keep.tolist()],
        points=points[keep],
        visible=np.ones((len(keep), K), dtype=bool),
        sources=[f"{label}#{i}" for i in keep.tolist()],
        problems=problems,
        skipped=sum(p.fatal for p in problems),
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
        Problem(label, None, f"no IsT/phisT or IsTr/phisTr variables (found {keys[:20]})", True)
    )


_KIND = {"c": "complex numbers", "S": "text", "U": "text", "O": "objects (a cell array?)",
         "V": "a struct", "M": "dates", "m": "time spans"}  # fmt: skip


def _fault(dtype: np.dtype, shape: tuple[int, ...], what: str) -> str:
    """What is wrong with an array meant to hold ``what`` ("" when it is numeric)."""
    if dtype.kind in "biuf":
        return ""
    return f"{what} holds {_KIND.get(dtype.kind, dtype.str)}, expected numbers"


def _numeric(obj: object, name: str, label: str, n: int | None = None) -> np.ndarray:
    """A real numeric matrix from an HDF5 node or a loadmat value, or a named `DatasetError`."""
    import h5py

    if isinstance(obj, h5py.Group):
        raise DatasetError(Problem(label, None, f"{name} is a group, expected a matrix", True))
    if isinstance(obj, h5py.Dataset):
        if obj.dtype.kind in "biuf":
            if obj.size > MAX_VALUES:
                raise DatasetError(Problem(label, None, f"{name} is too large ({obj.shape})", True))
            a = np.asarray(obj[()], dtype=np.float64)
            return a if n is None else _matlab_matrix(a, n)
        fault = _fault(obj.dtype, obj.shape, name)
        raise DatasetError(Problem(label, None, fault or f"{name} is not numeric", True))
    a = np.asarray(obj)
    fault = _fault(a.dtype, a.shape, name)
    if fault:
        raise DatasetError(Problem(label, None, fault, True))
    return a.astype(np.float64)


def _image_fault(dtype: np.dtype, shape: tuple[int, ...]) -> str:
    """Why an image array cannot be shown ("" when it can)."""
    fault = _fault(dtype, shape, "image")
    if fault:
        return fault
    if len(shape) == 2 or (len(shape) == 3 and shape[-1] == 3):
        return "" if 0 not in shape else f"image is empty ({shape})"
    return f"image has shape {shape}, expected H x W or H x W x 3"


def _read_arrays(path: Path) -> tuple[np.ndarray, np.ndarray | None, list[str], list[Problem]]:
    """phis, boxes (or None), per image what is wrong with it ("" if fine), problems."""
    import h5py

    label = str(path)
    if not h5py.is_hdf5(path):
        return _read_arrays_v7(path)
    try:
        with h5py.File(path, "r") as f:
            i_name, p_name, b_name = _names(list(f.keys()), label)
            faults = _hdf5_image_faults(f, i_name, label)
            phis = _numeric(f[p_name], p_name, label, len(faults))
            boxes, problems = _boxes(f, b_name, label, len(faults))
    except OSError as e:
        raise DatasetError(Problem(label, None, f"unreadable HDF5 .mat file: {e}", True)) from e
    return phis, boxes, faults, problems


def _boxes(
    container: object, name: str, label: str, n: int
) -> tuple[np.ndarray | None, list[Problem]]:
    if name not in container:  # type: ignore[operator]
        return None, []
    try:
        return _numeric(container[name], name, label, n), []  # type: ignore[index]
    except DatasetError as e:  # boxes are optional: say why they are ignored
        return None, [Problem(label, None, f"{e.problems[0].message}; face boxes ignored")]


def _hdf5_image_faults(f: object, name: str, label: str) -> list[str]:
    """Per image of the cell array ``name``, what is wrong with it (metadata only)."""
    import h5py

    cell = f[name]  # type: ignore[index]
    if not isinstance(cell, h5py.Dataset) or h5py.check_dtype(ref=cell.dtype) is None:
        raise DatasetError(
            Problem(label, None, f"{name} is not a cell array of images (object references)", True)
        )
    faults = []
    for ref in np.asarray(cell[()]).ravel().tolist():
        try:
            node = f[ref] if ref else None  # type: ignore[index]
        except (ValueError, KeyError, TypeError):
            node = None
        if node is None:
            faults.append("image reference is empty or broken")
        elif not isinstance(node, h5py.Dataset):
            faults.append("image is a group, expected an array")
        else:
            faults.append(_image_fault(node.dtype, node.shape[::-1]))
    return faults


def _matlab_matrix(a: np.ndarray, n: int) -> np.ndarray:
    """MATLAB N x M as stored in HDF5 (M, N) back to (N, M)."""
    if a.ndim == 2 and a.shape[1] == n and a.shape[0] != n:
        return a.T
    return a


def _read_arrays_v7(path: Path) -> tuple[np.ndarray, np.ndarray | None, list[str], list[Problem]]:
    from scipy.io import loadmat

    label = str(path)
    try:
        mat = loadmat(path)
    except (ValueError, OSError, NotImplementedError, TypeError) as e:
        raise DatasetError(Problem(label, None, f"not a readable .mat file: {e}", True)) from e
    i_name, p_name, b_name = _names([k for k in mat if not k.startswith("__")], label)
    cells = np.asarray(mat[i_name])
    if cells.dtype.kind != "O":
        raise DatasetError(Problem(label, None, f"{i_name} is not a cell array of images", True))
    faults = []
    for img in cells.ravel().tolist():
        a = np.asarray(img)
        faults.append(_image_fault(a.dtype, a.shape))
    boxes, problems = _boxes(mat, b_name, label, len(faults))
    return _numeric(mat[p_name], p_name, label), boxes, faults, problems


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
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise DatasetError(Problem(where, None, f"cannot read image: {e}")) from e
    fault = _image_fault(arr.dtype, arr.shape)
    if fault:
        raise DatasetError(Problem(where, None, fault))
    if arr.dtype != np.uint8:
        arr = np.clip(np.nan_to_num(arr.astype(np.float64)), 0, 255).astype(np.uint8)
    if arr.ndim == 2:
        return np.repeat(arr[:, :, None], 3, axis=2)
    if arr.ndim == 3 and arr.shape[2] == 3:
        return np.ascontiguousarray(arr[:, :, ::-1])
    raise DatasetError(Problem(where, None, f"image has shape {arr.shape}, expected HxW or HxWx3"))
