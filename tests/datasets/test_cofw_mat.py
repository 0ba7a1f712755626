"""COFW .mat: a tiny MATLAB v7.3 (HDF5) file built the way MATLAB lays it out."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from facealign_gui.datasets.images import load_image
from facealign_gui.datasets.io import open_dataset
from facealign_gui.datasets.model import DatasetError

K = 29


def _matlab_images() -> list[np.ndarray]:
    """Two images as MATLAB holds them: H x W x 3 RGB and H x W grey."""
    colour = np.zeros((4, 6, 3), dtype=np.uint8)
    colour[1, 4] = (255, 0, 0)  # red at row 1, column 4
    grey = np.zeros((5, 3), dtype=np.uint8)
    grey[3, 2] = 200
    return [colour, grey]


def _phis() -> np.ndarray:
    rng = np.random.default_rng(3)
    phis = np.zeros((2, 87))
    phis[:, :58] = rng.uniform(0, 5, (2, 58))
    phis[0, 58 + 4] = 1  # point 4 of face 0 occluded
    return phis


def write_v73(path: Path, split: str = "T") -> Path:
    """IsT is a 1 x N cell of references into #refs#; matrices are stored transposed."""
    images, phis = _matlab_images(), _phis()
    boxes = np.array([[1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 2.0, 2.0]])
    with h5py.File(path, "w", userblock_size=512) as f:
        refs = f.create_group("#refs#")
        cell = f.create_dataset(f"Is{split}", (1, len(images)), dtype=h5py.ref_dtype)
        for i, img in enumerate(images):
            cell[0, i] = refs.create_dataset(f"img{i}", data=img.T).ref
        f.create_dataset(f"phis{split}", data=phis.T)
        f.create_dataset(f"bboxes{split}", data=boxes.T)
    with open(path, "r+b") as fh:
        fh.write(b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: test")
    return path


def test_points_are_the_first_58_phis_values_x_then_y(tmp_path: Path) -> None:
    ds = open_dataset(write_v73(tmp_path / "COFW_test_color.mat"), check_images=True)
    phis = _phis()
    assert ds.format == "cofw_mat" and ds.scheme == "cofw29" and len(ds) == 2
    assert np.array_equal(ds.points[1, :, 0], phis[1, :K])
    assert np.array_equal(ds.points[1, :, 1], phis[1, K : 2 * K])
    assert ds.occluded[0].tolist() == [i == 4 for i in range(K)]
    assert ds.visible.all()
    assert ds.boxes[0].tolist() == [1.0, 2.0, 4.0, 6.0]
    assert ds.problems == []


def test_colour_images_come_back_bgr_and_grey_images_get_three_channels(tmp_path: Path) -> None:
    ds = open_dataset(write_v73(tmp_path / "c.mat"))
    colour, grey = load_image(ds, 0), load_image(ds, 1)
    assert colour.shape == (4, 6, 3) and colour.dtype == np.uint8
    assert colour[1, 4].tolist() == [0, 0, 255]
    assert colour.sum() == 255
    assert grey.shape == (5, 3, 3) and grey[3, 2].tolist() == [200, 200, 200]


def test_images_load_from_the_pseudo_path_without_the_loader(tmp_path: Path) -> None:
    ds = open_dataset(write_v73(tmp_path / "c.mat"))
    assert ds.images == ["c.mat#0", "c.mat#1"]
    ds.image_loader = None
    assert load_image(ds, 0)[1, 4].tolist() == [0, 0, 255]


def test_training_variables_are_read_too(tmp_path: Path) -> None:
    ds = open_dataset(write_v73(tmp_path / "COFW_train_color.mat", split="Tr"))
    assert len(ds) == 2


def test_older_v7_mat_files_are_read_with_scipy(tmp_path: Path) -> None:
    from scipy.io import savemat

    cells = np.empty((2, 1), dtype=object)
    for i, img in enumerate(_matlab_images()):
        cells[i, 0] = img
    savemat(tmp_path / "v7.mat", {"IsT": cells, "phisT": _phis()})
    ds = open_dataset(tmp_path / "v7.mat")
    assert np.array_equal(ds.points[0, :, 0], _phis()[0, :K])
    assert load_image(ds, 0)[1, 4].tolist() == [0, 0, 255]


def test_a_mat_file_without_cofw_variables_is_rejected_naming_what_it_has(tmp_path: Path) -> None:
    with h5py.File(tmp_path / "x.mat", "w") as f:
        f.create_dataset("foo", data=np.zeros(3))
    with pytest.raises(DatasetError, match=r"x\.mat: no IsT/phisT.*foo"):
        open_dataset(tmp_path / "x.mat")


def test_cofw_faces_become_one_pts_file_each(tmp_path: Path) -> None:
    from facealign_gui.datasets.io import write_dataset
    from facealign_gui.datasets.pts import parse_pts

    ds = open_dataset(write_v73(tmp_path / "c.mat"))
    write_dataset(ds, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["c_0.pts", "c_1.pts"]
    assert np.allclose(parse_pts(tmp_path / "out" / "c_1.pts"), ds.points[1], atol=1e-6)


def _v73_with(path: Path, **replace: object) -> Path:
    """`write_v73`, then some variables replaced by junk (a callable gets the open file)."""
    write_v73(path)
    with h5py.File(path, "r+") as f:
        for name, make in replace.items():
            del f[name]
            make(f, name)  # type: ignore[operator]
    return path


def _group(f, name):
    f.create_group(name).create_dataset("x", data=np.zeros(3))


def _text(f, name):
    f.create_dataset(name, data=np.array([b"abc", b"def"]))


def _complex(f, name):
    f.create_dataset(name, data=(_phis() + 1j).T)


@pytest.mark.parametrize(
    ("junk", "message"),
    [
        (_group, "phisT is a group, expected a matrix"),
        (_text, "phisT holds text, expected numbers"),
        (_complex, "phisT holds complex numbers, expected numbers"),
    ],
    ids=["group", "text", "complex"],
)
def test_junk_landmark_variables_are_refused_by_name(tmp_path: Path, junk, message: str) -> None:
    f = _v73_with(tmp_path / "c.mat", phisT=junk)
    with pytest.raises(DatasetError) as e:
        open_dataset(f)
    assert str(e.value) == f"{f}: {message}"


def test_a_cell_that_is_not_references_is_refused(tmp_path: Path) -> None:
    f = _v73_with(tmp_path / "c.mat", IsT=lambda f, n: f.create_dataset(n, data=np.zeros((1, 2))))
    with pytest.raises(DatasetError, match=r"c\.mat: IsT is not a cell array of images"):
        open_dataset(f)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda refs: refs.create_group("g"), "image is a group, expected an array"),
        (lambda refs: refs.create_dataset("s", data=np.array([b"x" * 8] * 4)), "image holds text"),
        (
            lambda refs: refs.create_dataset("z", data=np.ones((3, 4, 5)) * 1j),
            "image holds complex",
        ),
        (lambda refs: refs.create_dataset("q", data=np.ones((7, 4, 5))), "image has shape"),
    ],
    ids=["group", "text", "complex", "seven channels"],
)
def test_a_junk_image_costs_only_its_face(tmp_path: Path, make, message: str) -> None:
    f = write_v73(tmp_path / "c.mat")
    with h5py.File(f, "r+") as h:
        h["IsT"][0, 1] = make(h["#refs#"]).ref
    ds = open_dataset(f)
    assert ds.images == ["c.mat#0"] and ds.skipped == 1
    assert len(ds.problems) == 1 and str(ds.problems[0]).startswith(f"{f}: face 1: {message}")
    assert load_image(ds, 0)[1, 4].tolist() == [0, 0, 255]


def test_junk_face_boxes_are_ignored_with_a_problem(tmp_path: Path) -> None:
    f = _v73_with(tmp_path / "c.mat", bboxesT=_text)
    ds = open_dataset(f)
    assert len(ds) == 2 and ds.boxes is None and ds.skipped == 0
    assert [str(p) for p in ds.problems] == [
        f"{f}: bboxesT holds text, expected numbers; face boxes ignored"
    ]


@pytest.mark.parametrize(
    ("phis", "message"),
    [
        (_phis() + 1j, "phisT holds complex numbers"),
        (np.array(["a" * 87, "b" * 87]), "phisT holds text"),
        ({"a": 1.0, "b": np.zeros(3)}, "phisT holds a struct"),
    ],
    ids=["complex", "text", "struct"],
)
def test_v7_files_with_junk_variables_are_refused_by_name(
    tmp_path: Path, phis: object, message: str
) -> None:
    from scipy.io import savemat

    cells = np.empty((2, 1), dtype=object)
    for i, img in enumerate(_matlab_images()):
        cells[i, 0] = img
    savemat(tmp_path / "v7.mat", {"IsT": cells, "phisT": phis})
    with pytest.raises(DatasetError, match=message):
        open_dataset(tmp_path / "v7.mat")


def test_a_v7_image_of_text_costs_only_its_face(tmp_path: Path) -> None:
    from scipy.io import savemat

    cells = np.empty((2, 1), dtype=object)
    cells[0, 0], cells[1, 0] = _matlab_images()[0], "not an image"
    savemat(tmp_path / "v7.mat", {"IsT": cells, "phisT": _phis()})
    ds = open_dataset(tmp_path / "v7.mat")
    assert len(ds) == 1 and [p.message for p in ds.problems] == [
        "face 1: image holds text, expected numbers"
    ]
