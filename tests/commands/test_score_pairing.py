"""`score` pairs faces by image path and counts a face without a prediction as a failure."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from facealign_gui.cli import main
from facealign_gui.datasets.hrnet_csv import write_hrnet_csv
from facealign_gui.datasets.model import Dataset

K = 68


def _faces(n: int, seed: int = 0) -> np.ndarray:
    """n distinct plausible 68-point faces (outer eye corners 36/45 about 40 px apart)."""
    rng = np.random.default_rng(seed)
    base = rng.uniform(20, 100, (K, 2))
    base[36], base[45] = (40.0, 50.0), (80.0, 50.0)
    return np.stack([base + rng.uniform(0, 30, 2) for _ in range(n)])


def _csv(path: Path, images: list[str], points: np.ndarray) -> Path:
    ds = Dataset(format="hrnet_csv", scheme="300w68", root=path.parent, images=images,
                 points=points, visible=np.ones(points.shape[:2], bool))  # fmt: skip
    write_hrnet_csv(ds, path)
    return path


def _score(capsys, gt: Path, pred: Path, *extra: str) -> tuple[int, dict]:
    code = main(["score", "--gt", str(gt), "--pred", str(pred), "--json", *extra])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    "names",
    [
        ["set/Face.jpg", "set/face.jpg", "set/FACE.jpg"],  # differ only in case
        ["helen/1.jpg", "lfpw/1.jpg", "afw/1.jpg"],  # differ only in folder
        ["a/b/x.png", "a/x.png", "x.png"],  # nested
    ],
)
def test_score_pairs_by_path_when_the_predictions_list_the_images_in_another_order(
    capsys, tmp_path: Path, names: list[str]
) -> None:
    pts = _faces(3)
    gt = _csv(tmp_path / "gt.csv", names, pts)
    order = [2, 0, 1]
    pred = _csv(tmp_path / "pred.csv", [names[i] for i in order], pts[order])
    code, r = _score(capsys, gt, pred)
    # row pairing gave an NME of ~50-90 % here; by path every prediction is exact
    assert code == 0 and r["nme"] == 0.0 and r["count"] == 3 and r["missing"] == []


def test_a_face_without_prediction_is_a_failure_listed_with_its_reason(capsys, tmp_path) -> None:
    names = ["a.jpg", "b.jpg", "c.jpg", "d.jpg"]
    pts = _faces(4)
    gt = _csv(tmp_path / "gt.csv", names, pts)
    pred = _csv(tmp_path / "pred.csv", names[:3], pts[:3])  # d.jpg has no prediction
    code, r = _score(capsys, gt, pred)
    assert code == 0
    assert r["count"] == 3 and r["missing_count"] == 1 and r["nme"] == 0.0
    assert r["fr"] == pytest.approx(0.25)  # it was 0 % when the face was dropped
    assert r["auc"] == pytest.approx(0.75, abs=1e-3)  # 3 of 4 faces at NME 0
    assert r["missing"] == [
        {"image": "d.jpg", "source": r["missing"][0]["source"],
         "reason": "d.jpg: no prediction for this image"}
    ]  # fmt: skip
    code, _ = _score(capsys, gt, pred, "--strict")
    assert code == 1


def test_a_nan_row_in_the_predictions_counts_as_missing(capsys, tmp_path: Path) -> None:
    names = ["a.jpg", "b.jpg", "c.jpg", "d.jpg"]
    pts = _faces(4)
    gt = _csv(tmp_path / "gt.csv", names, pts)
    pred = _csv(tmp_path / "pred.csv", names, pts + 0.5)
    lines = pred.read_text().splitlines()
    head, *rows = lines
    cells = rows[1].split(",")
    rows[1] = ",".join(cells[:4] + ["nan"] * (len(cells) - 4))
    pred.write_text("\n".join([head, *rows]) + "\n")
    _, r = _score(capsys, gt, pred)
    assert r["missing_count"] == 1 and r["missing"][0]["image"] == "b.jpg"
    assert r["fr"] == pytest.approx(0.25)


def test_the_text_table_shows_missing_faces(capsys, tmp_path: Path) -> None:
    names = ["a.jpg", "b.jpg"]
    pts = _faces(2)
    gt = _csv(tmp_path / "gt.csv", names, pts)
    pred = _csv(tmp_path / "pred.csv", names[:1], pts[:1])
    assert main(["score", "--gt", str(gt), "--pred", str(pred)]) == 0
    out, err = capsys.readouterr()
    header, row = out.splitlines()[1:3]
    assert "missing" in header.split()
    assert row.split()[:3] == ["all", "1", "1"]
    assert "b.jpg: no prediction for this image" in err


def test_several_faces_in_one_image_pair_by_position_not_by_file_order(capsys, tmp_path) -> None:
    pts = _faces(1)[0]
    faces = np.stack([pts, pts + np.array([300, 0]), pts + np.array([0, 300])])
    gt = _csv(tmp_path / "gt.csv", ["group.jpg"] * 3, faces)
    pred = _csv(tmp_path / "pred.csv", ["group.jpg"] * 3, faces[[1, 2, 0]] + 1.0)
    _, r = _score(capsys, gt, pred)
    iod = 40.0
    assert r["nme"] == pytest.approx(np.sqrt(2) / iod) and r["missing"] == []


def test_points_far_outside_the_image_are_reported(capsys, tmp_path: Path) -> None:
    cv2.imwrite(str(tmp_path / "a.jpg"), np.zeros((225, 150, 3), np.uint8))
    cv2.imwrite(str(tmp_path / "b.jpg"), np.zeros((225, 150, 3), np.uint8))
    pts = _faces(2)
    gt = _csv(tmp_path / "gt.csv", ["a.jpg", "b.jpg"], pts)
    bad = pts.copy()
    bad[1, 10] = (5000.0, -3000.0)
    pred = _csv(tmp_path / "pred.csv", ["a.jpg", "b.jpg"], bad)
    code, r = _score(capsys, gt, pred, "--strict")
    assert code == 1
    assert any(
        "point 10 at (5000, -3000) is far outside the 150×225 image" in p for p in r["problems"]
    ), r["problems"]
