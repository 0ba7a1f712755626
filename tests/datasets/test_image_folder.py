"""Image folders: every image opens, a ``.pts`` beside an image is its ground truth."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from facealign_gui.datasets.io import open_dataset
from facealign_gui.datasets.model import DatasetError
from facealign_gui.datasets.pts import format_pts


def _image(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.zeros((6, 9, 3), np.uint8))


@pytest.mark.parametrize("labelled", [["c.jpg"], ["a.jpg", "sub/d.png"], ["a.jpg", "b.png"]])
def test_a_folder_with_some_pts_opens_every_image_with_ground_truth_where_present(
    tmp_path: Path, labelled: list[str]
) -> None:
    names = ["a.jpg", "b.png", "c.jpg", "sub/d.png"]
    for name in names:
        _image(tmp_path / name)
    pts = {}
    for j, name in enumerate(labelled):
        pts[name] = np.random.default_rng(j).uniform(0, 5, (68, 2)).round(6)
        (tmp_path / name).with_suffix(".pts").write_text(format_pts(pts[name]))
    ds = open_dataset(tmp_path)
    assert ds.format == "image_folder" and ds.images == names
    assert ds.scheme == "300w68" and ds.points is not None and ds.visible is not None
    for i, name in enumerate(names):
        if name in labelled:
            np.testing.assert_allclose(ds.points[i], pts[name], rtol=0, atol=1e-9)
            assert ds.visible[i].all() and np.isfinite(ds.centers[i]).all()
            assert ds.sources[i] == f"{(tmp_path / name).with_suffix('.pts')}:1"
        else:
            assert np.isnan(ds.points[i]).all() and not ds.visible[i].any()
            assert np.isnan(ds.centers[i]).all()  # no box: the face detector finds the face
    assert ds.problems == []


def test_a_folder_where_every_image_has_its_pts_is_a_pts_folder(tmp_path: Path) -> None:
    for name in ["a.jpg", "sub/b.png"]:
        _image(tmp_path / name)
        (tmp_path / name).with_suffix(".pts").write_text(format_pts(np.ones((68, 2))))
    (tmp_path / "lonely.pts").write_text(format_pts(np.ones((68, 2))))  # no image: still pts
    assert open_dataset(tmp_path).format == "pts"


def test_a_folder_without_any_pts_stays_unlabelled(tmp_path: Path) -> None:
    _image(tmp_path / "a.jpg")
    ds = open_dataset(tmp_path)
    assert ds.format == "image_folder" and ds.points is None and ds.scheme is None


def test_bad_or_odd_pts_in_an_image_folder_are_reported_and_their_images_stay(
    tmp_path: Path,
) -> None:
    for name in ["a.jpg", "b.jpg", "c.jpg", "d.jpg"]:
        _image(tmp_path / name)
    (tmp_path / "a.pts").write_text(format_pts(np.ones((68, 2))))
    (tmp_path / "b.pts").write_text("version: 1\nn_points: 68\n{\n1 2 3\n}\n")
    (tmp_path / "c.pts").write_text(format_pts(np.ones((5, 2))))
    (tmp_path / "orphan.pts").write_text(format_pts(np.ones((68, 2))))
    ds = open_dataset(tmp_path)
    assert ds.format == "image_folder" and ds.images == ["a.jpg", "b.jpg", "c.jpg", "d.jpg"]
    assert ds.points is not None and np.isfinite(ds.points).all(axis=(1, 2)).tolist() == [
        True, False, False, False,
    ]  # fmt: skip
    msgs = sorted(str(p) for p in ds.problems)
    assert msgs == sorted(
        [
            f"{tmp_path / 'b.pts'}:4: expected 'x y', found 3 values",
            f"{tmp_path / 'c.pts'}: 5 points, the others have 68",
            f"{tmp_path / 'orphan.pts'}: no image with the same name beside it",
        ]
    )


def test_a_labelling_session_made_from_such_a_folder_holds_every_image(tmp_path: Path) -> None:
    from facealign_gui.session.store import Session

    data = tmp_path / "faces"
    for name in ["a.jpg", "b.jpg", "c.jpg"]:
        _image(data / name)
    (data / "b.pts").write_text(format_pts(np.full((68, 2), 3.0)))
    with Session.create(tmp_path / "s.fagsession", data) as s:
        assert s.counts()["total"] == 3
        assert s.annotation(1) is not None and s.annotation(0) is None
        np.testing.assert_array_equal(s.annotation(1).points, np.full((68, 2), 3.0))


def test_an_empty_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no images in this folder"):
        open_dataset(tmp_path)
