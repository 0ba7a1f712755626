"""The single-hourglass network trained on Kaggle's Facial Keypoints Detection data.

Source: raymon-tian/hourglass-facekeypoints-detection (``models.py``, ``data_loader.py``,
``test.py``, README; Kaggle RMSE 1.8086 reported there). Rebuilt from the checkpoint's tensor
names and shapes and from that code's documented forward pass:

- input: one grey 96x96 face, pixels divided by 255 (no mean/std);
- stem: 1x1 conv 1->64, ReLU, 1x1 conv 64->128, ReLU (full resolution, no down-sampling);
- one hourglass of depth 4 with 128 channels. Each level ``n`` has an upper branch
  ``res{n}_1`` and a lower branch ``maxpool 2x2 -> res{n}_2 -> (level n-1 | res_center) ->
  res{n}_3 -> nearest x2 up-sampling``; the two branches are added. No intermediate
  supervision (one stack);
- residual block: pre-activation bottleneck BN-ReLU-1x1(128->64)-BN-ReLU-3x3(64->64)-
  BN-ReLU-1x1(64->128) plus identity, as ``convBlock`` (Sequential indices 0..8);
- head ``lin``: 1x1 conv 128->15, BN, ReLU -> 15 heatmaps at 96x96 (stride 1).

The shared ``kaggle_hourglass_15pt_epoch809.ckpt`` is byte-identical (sha256 a0c923eb...)
to the authors' ``data/weight/kd_epoch_809_model.ckpt``: a legacy (torch < 1.6) pickle stream
whose only globals are ``collections.OrderedDict``, ``torch.FloatStorage`` and
``torch._utils._rebuild_tensor``, so ``torch.load(weights_only=True)`` reads it.

Targets were Gaussians (sigma 5) centred on the keypoint in pixel-index coordinates, so the
arg-max cell index is the point in our convention (pixel centre = integer coordinate).
Points are in Kaggle's column order; "left"/"right" are the subject's (left_eye_center lies
on the image's right half).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from facealign_gui.convert.cards import template_card
from facealign_gui.convert.checkpoint import load_strict, read_state_dict
from facealign_gui.convert.export import ConvertResult, max_abs_diff, onnx_bytes, write_atomic
from facealign_gui.inference.card import (
    CropSpec,
    DecoderSpec,
    InputSpec,
    ModelCard,
    Provenance,
    Published,
)

NUM_POINTS = 15
INPUT_SIZE = 96
CHANNELS = 128
DEPTH = 4
# the authors' class used Python name mangling, so every key starts with this
AUTHOR_PREFIX = "_KFSGNet__"
# output channel i is landmark i of the "kaggle15" scheme (core.schemes), in the CSV's
# column order


class Residual(nn.Module):
    """Pre-activation bottleneck keeping the channel count; parameters under ``convBlock``."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        half = channels // 2
        self.convBlock = nn.Sequential(  # the authors' parameter name
            nn.BatchNorm2d(channels),
            nn.ReLU(),
            nn.Conv2d(channels, half, 1),
            nn.BatchNorm2d(half),
            nn.ReLU(),
            nn.Conv2d(half, half, 3, padding=1),
            nn.BatchNorm2d(half),
            nn.ReLU(),
            nn.Conv2d(half, channels, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.convBlock(x) + x


class Hourglass(nn.Module):
    """Recursive hourglass; module names ``res{n}_1/2/3`` and ``res_center`` as the authors'."""

    def __init__(self, depth: int = DEPTH, channels: int = CHANNELS) -> None:
        super().__init__()
        self.depth = depth
        for n in range(depth, 0, -1):
            setattr(self, f"res{n}_1", Residual(channels))
            setattr(self, f"res{n}_2", Residual(channels))
        self.res_center = Residual(channels)
        for n in range(1, depth + 1):
            setattr(self, f"res{n}_3", Residual(channels))
        self.pool = nn.MaxPool2d(2, 2)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")

    def _level(self, x: torch.Tensor, n: int) -> torch.Tensor:
        upper = getattr(self, f"res{n}_1")(x)
        lower = getattr(self, f"res{n}_2")(self.pool(x))
        lower = self._level(lower, n - 1) if n > 1 else self.res_center(lower)
        lower = getattr(self, f"res{n}_3")(lower)
        return upper + self.up(lower)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._level(x, self.depth)


class Head(nn.Module):
    """1x1 conv to one map per point, BN, ReLU (names ``conv``/``bn`` as the authors')."""

    def __init__(self, channels: int, num_points: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, num_points, 1)
        self.bn = nn.BatchNorm2d(num_points)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.bn(self.conv(x)))


class KaggleHourglass(nn.Module):
    """(N, 1, 96, 96) grey in [0, 1] -> (N, 15, 96, 96) heatmaps."""

    def __init__(self, num_points: int = NUM_POINTS) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 64, 1)
        self.conv2 = nn.Conv2d(64, CHANNELS, 1)
        self.hg = Hourglass()
        self.lin = Head(CHANNELS, num_points)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.conv1(x))
        x = torch.relu(self.conv2(x))
        return self.lin(self.hg(x))


def build_kaggle_hourglass(num_points: int = NUM_POINTS) -> KaggleHourglass:
    """Randomly initialised network in eval mode."""
    return KaggleHourglass(num_points).eval()


def from_author_names(state: dict[str, Any]) -> dict[str, Any]:
    """Map the authors' mangled names (``_KFSGNet__hg.res4_1...``) onto ours (``hg.res4_1``)."""
    return {k.removeprefix(AUTHOR_PREFIX): v for k, v in state.items()}


def load_checkpoint(path: str | Path) -> KaggleHourglass:
    """Network with the checkpoint's weights; every name and shape must match."""
    model = build_kaggle_hourglass()
    load_strict(model, from_author_names(read_state_dict(path)), path)
    return model.eval()


def make_card(onnx_name: str) -> ModelCard:
    """Card for the published checkpoint (numbers from the authors' README)."""
    return ModelCard(
        id="kaggle_hourglass_15pt",
        name="Kaggle facial keypoints, single hourglass (raymon-tian, epoch 809)",
        family="hourglass",
        scheme="kaggle15",
        num_points=NUM_POINTS,
        onnx=onnx_name,
        input=InputSpec(
            name="input",
            size=(INPUT_SIZE, INPUT_SIZE),
            colour="gray",
            pixel_scale=1.0 / 255.0,
            mean=(0.0,),
            std=(1.0,),
        ),
        # Kaggle faces are tight ~96 px crops; a square of 1.2x the landmark box put the 15
        # points within 6 % of the inter-ocular distance on average on takeo.ppm
        crop=CropSpec(rule="box", enlarge=1.2, box_source="auto"),
        outputs={"heatmaps": "heatmaps"},
        decoder=DecoderSpec(subpixel="none", heatmap_stride=1.0),
        provenance=Provenance(
            source="https://github.com/raymon-tian/hourglass-facekeypoints-detection",
            notes=(
                "Trained on Kaggle facial-keypoints-detection (7049 faces, missing points "
                "masked), heatmap targets sigma 5 at full resolution, arg-max decoding. "
                "Points in Kaggle's column order; left/right are the subject's."
            ),
            published=[
                Published(
                    dataset="kaggle-facial-keypoints-test",
                    metric="rmse_px",
                    value=1.8086,
                    note="best Kaggle submission reported in the authors' README",
                )
            ],
        ),
    )


def convert(checkpoint: str | Path | None, out: str | Path, **_: Any) -> ConvertResult:
    """Load ``checkpoint`` (None: random weights), write ``out`` (.onnx); return its card
    and the export check."""
    import numpy as np

    model = build_kaggle_hourglass() if checkpoint is None else load_checkpoint(checkpoint)
    data = onnx_bytes(model, (1, 1, INPUT_SIZE, INPUT_SIZE), "input", ["heatmaps"])
    rng = np.random.default_rng(0)
    x = rng.random((2, 1, INPUT_SIZE, INPUT_SIZE), dtype=np.float32)
    diff = max_abs_diff(model, data, x)
    write_atomic(out, data)
    if checkpoint is None:
        card = make_card(Path(out).name)
        card.id, card.name = "kaggle_hourglass_random", "Kaggle hourglass, random weights"
        card.provenance.published = []
        card.provenance.notes = "random weights: for speed measurements only"
    else:
        card = template_card("kaggle_hourglass_15pt", Path(out).name) or make_card(Path(out).name)
    return ConvertResult(card, diff)
