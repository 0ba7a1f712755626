"""Fixtures of the command tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _predict_setup import make_setup


@pytest.fixture
def setup(tmp_path: Path) -> dict[str, Path]:
    """A constant 68-point model card (``card``), its folder (``dir``), a 2-point card
    (``dir/two.toml``) and a two-image 300W CSV (``csv``) over ``dir/images``."""
    return make_setup(tmp_path)
