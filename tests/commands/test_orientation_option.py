"""The --orientation option the dataset commands can share."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest

from facealign_gui.commands._dataset_cli import add_orientation_argument, apply_orientation
from facealign_gui.datasets.model import Dataset


@pytest.mark.parametrize(
    ("argv", "mode"), [([], "stored"), (["--orientation", "displayed"], "displayed")]
)
def test_the_orientation_option_reaches_the_dataset(argv: list[str], mode: str) -> None:
    parser = argparse.ArgumentParser()
    add_orientation_argument(parser)
    ds = Dataset(format="x", scheme=None, root=Path("."), images=[])
    apply_orientation(ds, parser.parse_args(argv))
    assert ds.meta["orientation"] == mode


def test_an_unknown_orientation_is_refused_by_the_parser() -> None:
    parser = argparse.ArgumentParser()
    add_orientation_argument(parser)
    with pytest.raises(SystemExit):
        parser.parse_args(["--orientation", "sideways"])


def test_convert_to_coco_records_the_size_of_the_chosen_orientation(tmp_path: Path) -> None:
    import json

    from PIL import Image

    from facealign_gui.cli import main
    from facealign_gui.datasets.hrnet_csv import write_hrnet_csv
    from facealign_gui.datasets.model import Dataset

    img = Image.new("RGB", (60, 40), (200, 100, 50))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display: stored 60x40, shown 40x60
    img.save(tmp_path / "r.jpg", exif=exif.tobytes())
    pts = np.random.default_rng(0).uniform(5, 35, (1, 68, 2))
    write_hrnet_csv(Dataset("hrnet_csv", "300w68", tmp_path, ["r.jpg"], points=pts,
                            visible=np.ones((1, 68), bool)), tmp_path / "gt.csv")  # fmt: skip
    sizes = {}
    for mode in ("stored", "displayed"):
        out = tmp_path / f"{mode}.json"
        assert main(["convert", str(tmp_path / "gt.csv"), str(out), "--orientation", mode]) == 0
        image = json.loads(out.read_text())["images"][0]
        sizes[mode] = (image["width"], image["height"])
    assert sizes == {"stored": (60, 40), "displayed": (40, 60)}
