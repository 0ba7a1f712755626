"""Shared fixtures. Tests run offscreen; GUI tests use pytest-qt's ``qtbot``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the project; tests that need it skip cleanly without it."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not present")
    return SHARED


@pytest.fixture(scope="session")
def takeo(shared_dir: Path) -> tuple[Path, Path]:
    img, pts = shared_dir / "fixtures" / "takeo.ppm", shared_dir / "fixtures" / "takeo.pts"
    if not (img.is_file() and pts.is_file()):
        pytest.skip("takeo fixture is not present")
    return img, pts
