"""The --orientation option the dataset commands can share."""

from __future__ import annotations

import argparse
from pathlib import Path

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
