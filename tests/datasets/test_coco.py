"""COCO keypoints JSON as a dataset format: read, write, round trip, bad entries named."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from facealign_gui.core.schemes import get_scheme
from facealign_gui.datasets.coco import coco_document, read_coco
from facealign_gui.datasets.io import open_dataset, write_dataset
from facealign_gui.datasets.model import Dataset, DatasetError
from facealign_gui.datasets.sniff import detect_format


def _faces(tmp_path: Path) -> Dataset:
    """Two faces in one image and one in another; one point never placed, one occluded."""
    rng = np.random.default_rng(5)
    pts = np.round(rng.uniform(10, 200, (3, 68, 2)), 3)
    pts[1, 5] = np.nan
    visible = np.isfinite(pts).all(axis=2)
    occluded = np.zeros((3, 68), bool)
    occluded[2, 40] = True
    return Dataset(
        "x",
        "300w68",
        tmp_path,
        ["group.jpg", "group.jpg", "solo.jpg"],
        pts,
        visible=visible,
        occluded=occluded,
        meta={"image_sizes": [(640, 480), (640, 480), (300, 200)]},
    )


def test_faces_round_trip_with_never_placed_and_occluded_points(tmp_path: Path) -> None:
    ds = _faces(tmp_path)
    out = tmp_path / "faces.json"
    assert write_dataset(ds, out) == "coco"
    doc = json.loads(out.read_text())
    assert [(im["id"], im["file_name"], im["width"], im["height"]) for im in doc["images"]] == [
        (1, "group.jpg", 640, 480),
        (2, "solo.jpg", 300, 200),
    ]
    assert [a["image_id"] for a in doc["annotations"]] == [1, 1, 2]
    kp = doc["annotations"][1]["keypoints"]
    assert kp[5 * 3 : 5 * 3 + 3] == [0.0, 0.0, 0]  # never placed: v = 0 at (0, 0)
    assert doc["annotations"][2]["keypoints"][40 * 3 + 2] == 1  # occluded
    assert doc["annotations"][1]["num_keypoints"] == 67
    assert doc["info"]["scheme"] == "300w68"
    back = open_dataset(out, check_images=False)
    assert back.format == "coco" and back.scheme == "300w68" and back.images == ds.images
    np.testing.assert_array_equal(back.points, ds.points)
    np.testing.assert_array_equal(back.visible, ds.visible)
    np.testing.assert_array_equal(back.occluded, ds.occluded)
    lo, hi = np.nanmin(ds.points[0], axis=0), np.nanmax(ds.points[0], axis=0)
    np.testing.assert_allclose(back.boxes[0], [lo[0], lo[1], hi[0], hi[1]], rtol=0, atol=1e-9)
    again = tmp_path / "again.json"
    write_dataset(back, again)
    assert again.read_bytes() == out.read_bytes()


@pytest.mark.parametrize("suffix", [".png", ".webp", ".tif"])
def test_unknown_image_sizes_come_from_the_image_itself(tmp_path: Path, suffix: str) -> None:
    assert cv2.imwrite(str(tmp_path / f"a{suffix}"), np.zeros((30, 40, 3), np.uint8))
    ds = Dataset("x", "300w68", tmp_path, [f"a{suffix}", "gone.jpg"], np.ones((2, 68, 2)))
    doc = coco_document(ds)
    assert [(im["width"], im["height"]) for im in doc["images"]] == [(40, 30), (0, 0)]


def test_a_foreign_file_is_read_with_its_names_and_its_empty_images(tmp_path: Path) -> None:
    names = list(get_scheme("300w68").point_names)
    kp = [float(v) for i in range(68) for v in (i, 2 * i, 2)]
    doc = {
        "images": [
            {"id": 7, "file_name": "imgs/b.jpg", "width": 50, "height": 60},
            {"id": 3, "file_name": "imgs/a.jpg"},
        ],
        "annotations": [{"id": 1, "image_id": 3, "keypoints": kp, "bbox": [1, 2, 10, 20]}],
        "categories": [{"id": 1, "name": "face", "keypoints": names}],
    }
    f = tmp_path / "ann.txt"  # the content, not the ending, says COCO
    f.write_text(json.dumps(doc, indent=2))
    assert detect_format(f) == "coco"
    ds = open_dataset(f, check_images=False)
    assert ds.scheme == "300w68" and ds.images == ["imgs/b.jpg", "imgs/a.jpg"]
    assert np.isnan(ds.points[0]).all() and not ds.visible[0].any()  # no face in b.jpg
    np.testing.assert_array_equal(ds.points[1, 3], [3.0, 6.0])
    np.testing.assert_array_equal(ds.boxes[1], [1, 2, 11, 22])
    assert ds.meta["image_sizes"] == [(50, 60), None]
    assert ds.problems == []


def test_bad_annotations_are_named_and_skipped_and_the_rest_loads(tmp_path: Path) -> None:
    good = [1.0, 2.0, 2] * 5
    doc = {
        "images": [{"id": 1, "file_name": "a.jpg"}, {"file_name": "no_id.jpg"}],
        "annotations": [
            {"id": 10, "image_id": 1, "keypoints": good},
            {"id": 11, "image_id": 99, "keypoints": good},
            {"id": 12, "image_id": 1, "keypoints": good[:-1]},
            {"id": 13, "image_id": 1, "keypoints": [1.0, 2.0, 5] * 5},
            {"id": 14, "image_id": 1, "keypoints": [1.0, 2.0, 2] * 4},
            {"id": 15, "image_id": 1, "keypoints": good},
            {"id": 16, "image_id": 1, "keypoints": [True, "2", 2] * 5},
        ],
    }
    f = tmp_path / "bad.json"
    f.write_text(json.dumps(doc))
    ds = read_coco(f)
    assert len(ds) == 2 and ds.num_points == 5 and ds.skipped == 6
    assert [str(p) for p in ds.problems] == [
        f"{f}#images[1]: no usable 'id'",
        f"{f}#annotation 11: image_id 99 is not in 'images'",
        f"{f}#annotation 12: 'keypoints' is not x, y, v triplets",
        f"{f}#annotation 13: 'keypoints' has a non-finite value or a v not 0/1/2",
        f"{f}#annotation 16: 'keypoints' is not x, y, v triplets",
        f"{f}#annotation 14: 4 points, the others have 5",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"images": [\n  {"id": 1,}\n]}', r"bad\.json:2: not valid JSON"),
        ('[{"images": []}]', r"bad\.json: not a COCO keypoints file"),
        ('{"images": [], "annotations": {}}', r"bad\.json: not a COCO keypoints file"),
    ],
)
def test_a_file_that_is_not_coco_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    f = tmp_path / "bad.json"
    f.write_text(text)
    with pytest.raises(DatasetError, match=message):
        open_dataset(f, format="coco")


def test_an_unlabelled_dataset_is_not_written(tmp_path: Path) -> None:
    ds = Dataset("image_folder", None, tmp_path, ["a.jpg"])
    with pytest.raises(DatasetError, match="unlabelled dataset has no points"):
        write_dataset(ds, tmp_path / "o.json")
    assert not (tmp_path / "o.json").exists()
