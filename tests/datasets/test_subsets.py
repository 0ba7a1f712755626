"""WFLW subset lists are matched to dataset rows by image name *and* coordinates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _dataset_files import face_points, wflw_line

from facealign_gui.datasets.model import Dataset
from facealign_gui.datasets.subsets import load_wflw_subsets, match_wflw_subsets
from facealign_gui.datasets.wflw_list import read_wflw_list


def test_two_faces_of_one_image_are_told_apart_by_their_points(tmp_path: Path) -> None:
    a, b = face_points(98, 1), face_points(98, 2)
    ds = Dataset(format="x", scheme="wflw98", root=tmp_path,
                 images=["d/same.jpg", "d/same.jpg", "d/x.jpg"],
                 points=np.stack([a, b, a]))  # fmt: skip
    (tmp_path / "list_98pt_test_blur.txt").write_text(wflw_line(b, "d/same.jpg") + "\n")
    (tmp_path / "list_98pt_test_makeup.txt").write_text(
        wflw_line(a, "d/same.jpg") + "\n" + wflw_line(a + 5, "d/same.jpg") + "\n"
    )
    subsets, problems = match_wflw_subsets(tmp_path, ds)
    assert subsets["blur"].tolist() == [1]
    assert subsets["makeup"].tolist() == [0]
    assert len(problems) == 1
    assert str(problems[0]).startswith(f"{tmp_path / 'list_98pt_test_makeup.txt'}:2: no sample")


def test_load_wflw_subsets_reports_unmatched_rows_in_the_dataset(tmp_path: Path) -> None:
    a = face_points(98, 1)
    ds = Dataset(format="x", scheme="wflw98", root=tmp_path, images=["q.jpg"], points=a[None])
    (tmp_path / "list_98pt_test_blur.txt").write_text(wflw_line(a, "other.jpg") + "\n")
    assert load_wflw_subsets(tmp_path, ds)["blur"].tolist() == []
    assert "no sample in the dataset matches other.jpg" in str(ds.problems[0])


def test_the_six_published_subset_lists_match_their_union(shared_dir: Path) -> None:
    d = shared_dir / "data" / "wflw"
    if not d.is_dir():
        pytest.skip("WFLW lists are not present")
    parts = [read_wflw_list(f) for f in sorted(d.glob("list_98pt_test_*.txt"))]
    seen: dict[tuple[str, bytes], int] = {}
    names, points = [], []
    for part in parts:
        for i, name in enumerate(part.images):
            key = (name, part.points[i].tobytes())
            if key not in seen:
                seen[key] = len(names)
                names.append(name)
                points.append(part.points[i])
    union = Dataset(format="x", scheme="wflw98", root=d, images=names, points=np.array(points))
    assert len(union) > len(set(names))  # several faces share an image
    subsets, problems = match_wflw_subsets(d, union)
    assert problems == []
    assert {k: len(v) for k, v in subsets.items()} == {
        "blur": 773, "expression": 314, "illumination": 698,
        "largepose": 326, "makeup": 206, "occlusion": 736}  # fmt: skip
    for part in parts:
        (name,) = part.subsets
        expect = sorted(seen[(n, part.points[i].tobytes())] for i, n in enumerate(part.images))
        assert subsets[name].tolist() == expect
