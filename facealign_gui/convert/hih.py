"""Heatmap-in-Heatmap (HIH): stacked hourglass with an integer and a decimal heatmap head.

Source: starhiking/HeatmapInHeatmap (``lib/model/get_hourglass.py``,
``experiments/Data_WFLW/HIHC_64x8_hg_l2.py``, ``tools/test_all.py``). WFLW configuration:
4 stacks, hourglass depth 4, 256 features, 64x64 integer heatmaps, 8x8 decimal heatmaps,
384-channel offset head, 98 points. Names follow the authors':

- ``ConvBNReLu``: ``conv`` (no bias), ``bn``, ReLU (the last two optional);
- ``Residual``: ``conv1`` 1x1, ``conv2`` 3x3, ``conv3`` 1x1 (no ReLU) plus the input, or
  ``skip_layer`` (1x1 conv + BN, always present) when the channel count changes, then ReLU;
- ``pre_conv``: 7x7/2 conv 3->64, Residual 64->128, 2x2 max-pool, Residual 128->128,
  Residual 128->256 (256 -> 64 px);
- per stack i: ``hg{i}`` (bilinear align-corners x2 up-sampling), ``hg{i}_res1``,
  ``hg{i}_lin1``, ``hg{i}_conv_pred`` -> heatmaps; the features and heatmaps are mapped back
  by ``hg{i}_conv1`` / ``hg{i}_conv2`` and added to the stack input (after every stack);
- ``offset_head`` on the final features: 1x1 conv to 384, 3x3/2 max-pool (no padding),
  two down blocks (3x3/2 conv, 3x3 conv, 1x1/2 projection), 1x1 conv, 1x1 conv -> K maps 8x8.

Exported outputs: the last stack's heatmaps (N, K, 64, 64) and the decimal heatmaps
(N, K, 8, 8). Input 256x256 RGB, ``(pixel / 255 - ImageNet mean) / ImageNet std``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from facealign_gui.convert import ConvertError
from facealign_gui.convert.cards import imagenet_rgb_input, template_card
from facealign_gui.convert.checkpoint import load_strict, read_state_dict
from facealign_gui.convert.export import ConvertResult, max_abs_diff, onnx_bytes, write_atomic
from facealign_gui.inference.card import (
    CropSpec,
    DecoderSpec,
    ModelCard,
    Provenance,
    Published,
)

INPUT_SIZE = 256
HEATMAP_SIZE = 64
OFFSET_SIZE = 8
STACKS = 4
DEPTH = 4
FEATURES = 256
OFFSET_CHANNELS = 384
POINTS = {"wflw": 98}


class ConvBNReLu(nn.Module):
    def __init__(self, cin: int, cout: int, k: int = 3, stride: int = 1, relu: bool = True):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.relu = relu

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.bn(self.conv(x))
        return F.relu(y) if self.relu else y


class Residual(nn.Module):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        half = cout // 2
        self.conv1 = ConvBNReLu(cin, half, 1)
        self.conv2 = ConvBNReLu(half, half, 3)
        self.conv3 = ConvBNReLu(half, cout, 1, relu=False)
        self.skip_layer = ConvBNReLu(cin, cout, 1, relu=False)  # unused when cin == cout
        self.project = cin != cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = self.skip_layer(x) if self.project else x
        return F.relu(self.conv3(self.conv2(self.conv1(x))) + shortcut)


class Hourglass(nn.Module):
    def __init__(self, depth: int = DEPTH, channels: int = FEATURES) -> None:
        super().__init__()
        self.depth = depth
        for n in range(depth, 0, -1):
            setattr(self, f"res{n}_1", Residual(channels, channels))
            setattr(self, f"res{n}_2", Residual(channels, channels))
        self.res_center = Residual(channels, channels)
        for n in range(1, depth + 1):
            setattr(self, f"res{n}_3", Residual(channels, channels))

    def _level(self, x: torch.Tensor, n: int) -> torch.Tensor:
        upper = getattr(self, f"res{n}_1")(x)
        lower = getattr(self, f"res{n}_2")(F.max_pool2d(x, 2, 2))
        lower = self._level(lower, n - 1) if n > 1 else self.res_center(lower)
        lower = getattr(self, f"res{n}_3")(lower)
        up = F.interpolate(lower, scale_factor=2.0, mode="bilinear", align_corners=True)
        return upper + up

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._level(x, self.depth)


class DownBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = ConvBNReLu(channels, channels, 3, stride=2)
        self.conv2 = ConvBNReLu(channels, channels, 3, relu=False)
        self.downsample = nn.Sequential(ConvBNReLu(channels, channels, 1, stride=2, relu=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.conv2(self.conv1(x)) + self.downsample(x))


class DecimalHead(nn.Module):
    """The authors' ``HIH_head``: features (64x64) -> K decimal heatmaps (8x8)."""

    def __init__(self, num_points: int) -> None:
        super().__init__()
        c = OFFSET_CHANNELS
        self.conv1 = ConvBNReLu(FEATURES, c, 1)
        steps = (HEATMAP_SIZE // OFFSET_SIZE).bit_length() - 1  # log2(64 / 8) = 3
        self.down_ops = nn.Sequential(*(DownBlock(c) for _ in range(steps - 1)))
        self.head = nn.Sequential(ConvBNReLu(c, c, 1), nn.Conv2d(c, num_points, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(self.conv1(x), 3, 2)  # 64 -> 31, then 16, 8
        return self.head(self.down_ops(x))


class HIHNet(nn.Module):
    """(N, 3, 256, 256) -> heatmaps (N, K, 64, 64), offset heatmaps (N, K, 8, 8)."""

    def __init__(self, num_points: int = 98) -> None:
        super().__init__()
        f = FEATURES
        self.pre_conv = nn.Sequential(
            ConvBNReLu(3, f // 4, 7, 2),
            Residual(f // 4, f // 2),
            nn.MaxPool2d(2, 2),
            Residual(f // 2, f // 2),
            Residual(f // 2, f),
        )
        for i in range(STACKS):
            setattr(self, f"hg{i}", Hourglass())
            setattr(self, f"hg{i}_res1", Residual(f, f))
            setattr(self, f"hg{i}_lin1", ConvBNReLu(f, f, 1))
            setattr(self, f"hg{i}_conv_pred", nn.Conv2d(f, num_points, 1))
            setattr(self, f"hg{i}_conv1", ConvBNReLu(f, f, 1))
            setattr(self, f"hg{i}_conv2", ConvBNReLu(num_points, f, 1))
        self.offset_head = DecimalHead(num_points)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.pre_conv(x)
        preds = x
        for i in range(STACKS):
            feature = getattr(self, f"hg{i}_lin1")(getattr(self, f"hg{i}_res1")(
                getattr(self, f"hg{i}")(x)))  # fmt: skip
            preds = getattr(self, f"hg{i}_conv_pred")(feature)
            x = x + getattr(self, f"hg{i}_conv1")(feature) + getattr(self, f"hg{i}_conv2")(preds)
        return preds, self.offset_head(x)


def build_hih(num_points: int = 98) -> HIHNet:
    """Randomly initialised HIH network (WFLW configuration) in eval mode."""
    return HIHNet(num_points).eval()


def make_card(onnx_name: str, trained: bool, num_points: int) -> ModelCard:
    return ModelCard(
        id="hih_wflw" if trained else "hih_random",
        name="Heatmap-in-Heatmap (WFLW)" if trained else "Heatmap-in-Heatmap, random weights",
        family="hih",
        scheme="wflw98" if num_points == 98 else None,
        num_points=num_points,
        onnx=onnx_name,
        input=imagenet_rgb_input(INPUT_SIZE),
        # test images were cropped PFLD-style: a square 1.2x the landmark box
        crop=CropSpec(rule="box", enlarge=1.2, box_source="landmarks"),
        outputs={"heatmaps": "heatmaps", "offsets": "offset_heatmaps"},
        decoder=DecoderSpec(subpixel="none", heatmap_stride=4.0, offset_size=OFFSET_SIZE),
        provenance=Provenance(
            source="https://github.com/starhiking/HeatmapInHeatmap",
            paper="https://arxiv.org/abs/2104.03100",
            published=[Published(dataset="wflw:test", metric="nme_inter_ocular", value=4.08)]
            if trained
            else [],
        ),
    )


def convert(
    checkpoint: str | Path | None, out: str | Path, dataset: str | None = None, **_: Any
) -> ConvertResult:
    """Rebuild, load ``checkpoint`` (None: random weights), export ``out``; return the card."""
    import numpy as np

    if dataset not in (None, "wflw"):
        raise ConvertError(f"HIH is published for WFLW only, not {dataset!r}")
    model = build_hih(POINTS["wflw"])
    if checkpoint is not None:
        load_strict(model, read_state_dict(checkpoint), checkpoint)
    data = onnx_bytes(model, (1, 3, INPUT_SIZE, INPUT_SIZE), "input", ["heatmaps", "offsets"])
    x = np.random.default_rng(0).standard_normal((2, 3, INPUT_SIZE, INPUT_SIZE), np.float32)
    diff = max_abs_diff(model, data, x)
    write_atomic(out, data)
    name = Path(out).name
    card = (checkpoint is not None and template_card("hih_wflw", name)) or make_card(
        name, checkpoint is not None, 98
    )
    return ConvertResult(card, diff)
