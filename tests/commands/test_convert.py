"""``facealign-gui convert``: COCO keypoints both ways, and formats that cannot hold a scheme."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from facealign_gui.cli import main
from facealign_gui.datasets.hrnet_csv import read_hrnet_csv, write_hrnet_csv
from facealign_gui.datasets.model import Dataset


def _csv(tmp_path: Path, k: int = 68, scheme: str = "300w68") -> Path:
    rng = np.random.default_rng(2)
    pts = np.round(rng.uniform(10, 300, (4, k, 2)), 4)
    f = tmp_path / "faces.csv"
    write_hrnet_csv(Dataset("x", scheme, tmp_path, [f"{i}.jpg" for i in range(4)], pts), f)
    return f


def test_an_hrnet_csv_converts_to_coco_and_back_to_the_same_points(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = _csv(tmp_path)
    coco, back = tmp_path / "faces.json", tmp_path / "back.csv"
    assert main(["convert", str(src), str(coco), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["format"] == "coco"
    doc = json.loads(coco.read_text())
    assert len(doc["annotations"]) == 4 and len(doc["categories"][0]["keypoints"]) == 68
    assert main(["convert", str(coco), str(back), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["format"] == "hrnet_csv"
    a, b = read_hrnet_csv(src), read_hrnet_csv(back)
    assert b.images == a.images and b.scheme == "300w68"
    np.testing.assert_array_equal(b.points, a.points)
    np.testing.assert_array_equal(b.centers, a.centers)  # the same landmark box rule


def test_to_coco_can_be_named_whatever_the_ending(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "faces.keypoints"
    assert main(["convert", str(_csv(tmp_path)), str(out), "--to", "coco"]) == 0
    assert "(coco)" in capsys.readouterr().out
    assert json.loads(out.read_text())["info"]["scheme"] == "300w68"


def test_a_68_point_dataset_is_refused_as_a_wflw_list_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "list.txt"
    assert main(["convert", str(_csv(tmp_path)), str(out)]) == 2
    err = capsys.readouterr().err
    assert "a WFLW list (.txt) holds 98 points per face, this dataset has 68 (300w68)" in err
    assert not out.exists()
