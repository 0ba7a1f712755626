"""The tiny dataset and constant models `predict` / `eval` tests run on."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "inference"))
from _inference_models import card_for, constant_model, gaussian_maps

from facealign_gui.datasets.io import write_dataset
from facealign_gui.datasets.model import Dataset
from facealign_gui.inference.card import CropSpec
from facealign_gui.inference.runtime import clear_sessions

K = 68
CENTER = np.array([60.0, 50.0])
SCALE = 0.32  # x 1.25 -> 80 px crop over a 16 px heatmap: 5 px per heatmap px


def _peaks() -> np.ndarray:
    rng = np.random.default_rng(3)
    peaks = rng.integers(2, 14, size=(K, 2))
    peaks[36], peaks[45] = (4, 7), (11, 7)  # outer eye corners: 35 px apart in the image
    return peaks


def _expected_points() -> np.ndarray:
    # precise mode: heatmap pixel p -> centre + (p - 7.5) * 5
    return CENTER + (_peaks() - 7.5) * 5.0


def make_setup(tmp_path: Path) -> dict[str, Path]:
    """A constant 68-point HRNet-style model, a 2-point one, and a two-image 300W CSV."""
    clear_sessions()
    constant_model(
        tmp_path / "hr.onnx", {"hm": gaussian_maps(_peaks(), (16, 16))}, ("N", 3, 64, 64)
    )
    card_for(
        tmp_path / "hr.toml",
        tmp_path / "hr.onnx",
        "hrnet",
        K,
        size=(64, 64),
        crop=CropSpec(rule="hrnet_center_scale", scale_factor=1.25),
        scheme="300w68",
    )
    constant_model(
        tmp_path / "two.onnx", {"hm": np.zeros((2, 16, 16), np.float32)}, ("N", 3, 64, 64)
    )
    card_for(
        tmp_path / "two.toml",
        tmp_path / "two.onnx",
        "hrnet",
        2,
        size=(64, 64),
        crop=CropSpec(rule="hrnet_center_scale"),
    )
    images = tmp_path / "images"
    images.mkdir()
    for name in ("a.png", "b.png"):
        cv2.imwrite(str(images / name), np.full((100, 120, 3), 128, np.uint8))
    gt = np.stack([_expected_points(), _expected_points() + np.array([3.0, 4.0])])  # 5 px off
    ds = Dataset(
        format="hrnet_csv",
        scheme="300w68",
        root=images,
        images=["a.png", "b.png"],
        points=gt,
        visible=np.ones((2, K), bool),
        centers=np.stack([CENTER, CENTER]),
        scales=np.array([SCALE, SCALE]),
    )
    write_dataset(ds, tmp_path / "test.csv", "hrnet_csv")
    return {"dir": tmp_path, "card": tmp_path / "hr.toml", "csv": tmp_path / "test.csv"}
