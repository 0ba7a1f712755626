"""HRNetV2-W18 for face alignment, as configured by the authors' experiment files.

Source: HRNet/HRNet-Facial-Landmark-Detection (``lib/models/hrnet.py``,
``experiments/*/face_alignment_*_hrnet_w18.yaml``). Module and parameter names follow the
authors' so that their released ``HR18-*.pth`` state dicts load by name:

- stem ``conv1``/``bn1``, ``conv2``/``bn2``: two 3x3 stride-2 convs (256 -> 64 px), ReLU;
- ``layer1``: four bottlenecks 64 -> 256 (the first with a ``downsample`` 1x1 conv + BN);
- ``transition1..3`` then ``stage2..4`` with 1, 4 and 3 high-resolution modules of 2, 3 and 4
  branches (18, 36, 72, 144 channels), four basic blocks per branch. A module fuses each
  output branch i from every branch j: j > i through 1x1 conv + BN and bilinear up-sampling,
  j < i through (i - j) 3x3 stride-2 convs + BN (ReLU between them), then sums and applies
  ReLU;
- ``head``: the four branches up-sampled bilinearly to 64x64 and concatenated (270 channels),
  1x1 conv 270 -> 270, BN, ReLU, 1x1 conv 270 -> K heatmaps.

Input 256x256 RGB, ``(pixel / 255 - ImageNet mean) / ImageNet std``; crop from the dataset's
center/scale with scale x 1.25; output K heatmaps at 64x64.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from facealign_gui.convert import DATASET_POINTS, DATASET_SCHEMES, ConvertError
from facealign_gui.convert.cards import export_id_and_name, imagenet_rgb_input, template_card
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
WIDTH = 18
# (number of modules, channels per branch) of stages 2, 3 and 4; every branch has 4 blocks
STAGES = ((1, (18, 36)), (4, (18, 36, 72)), (3, (18, 36, 72, 144)))
BLOCKS_PER_BRANCH = 4
POINTS = DATASET_POINTS
SCHEMES = DATASET_SCHEMES
# the authors' README, HRNetV2-W18: (subset, metric, value)
PUBLISHED = {
    "wflw": [
        ("test", "nme_inter_ocular", 4.60),
        ("pose", "nme_inter_ocular", 7.86),
        ("illumination", "nme_inter_ocular", 4.57),
        ("occlusion", "nme_inter_ocular", 5.42),
        ("blur", "nme_inter_ocular", 5.36),
        ("makeup", "nme_inter_ocular", 4.26),
        ("expression", "nme_inter_ocular", 4.78),
    ],
    "300w": [
        ("common", "nme_inter_ocular", 2.91),
        ("challenge", "nme_inter_ocular", 5.11),
        ("full", "nme_inter_ocular", 3.34),
        ("test", "nme_inter_ocular", 3.85),
    ],
    "cofw": [("test", "nme_inter_ocular", 3.45), ("test", "fr_0.1", 0.20)],
    "aflw": [("full", "nme_box", 1.57), ("frontal", "nme_box", 1.46)],
}


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels)


def _conv_bn(cin: int, cout: int, k: int, stride: int, relu: bool) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), _bn(cout)]
    if relu:
        layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class BasicBlock(nn.Module):
    """Two 3x3 conv + BN with an identity shortcut (channels unchanged)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, 1, 1, bias=False)
        self.bn1 = _bn(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, 1, 1, bias=False)
        self.bn2 = _bn(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + x)


class Bottleneck(nn.Module):
    """1x1 -> 3x3 -> 1x1 (x4 channels) with an optional projection ``downsample``."""

    def __init__(self, cin: int, planes: int) -> None:
        super().__init__()
        cout = planes * 4
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = _bn(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = _bn(planes)
        self.conv3 = nn.Conv2d(planes, cout, 1, bias=False)
        self.bn3 = _bn(cout)
        self.downsample = (
            nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), _bn(cout)) if cin != cout else None
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        shortcut = x if self.downsample is None else self.downsample(x)
        return F.relu(y + shortcut)


def _upsample_to(x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, size=like.shape[2:], mode="bilinear", align_corners=False)


class HighResolutionModule(nn.Module):
    """Parallel branches of basic blocks followed by all-to-all fusion (``fuse_layers``)."""

    def __init__(self, channels: tuple[int, ...]) -> None:
        super().__init__()
        n = len(channels)
        self.branches = nn.ModuleList(
            nn.Sequential(*(BasicBlock(c) for _ in range(BLOCKS_PER_BRANCH))) for c in channels
        )
        fuse = []
        for i in range(n):
            row: list[nn.Module | None] = []
            for j in range(n):
                if j > i:  # lower resolution: 1x1 conv + BN, up-sampled in forward
                    row.append(_conv_bn(channels[j], channels[i], 1, 1, relu=False))
                elif j == i:
                    row.append(None)
                else:  # higher resolution: i - j stride-2 convs, the last without ReLU
                    steps = [
                        _conv_bn(channels[j], channels[j], 3, 2, relu=True)
                        for _ in range(i - j - 1)
                    ]
                    steps.append(_conv_bn(channels[j], channels[i], 3, 2, relu=False))
                    row.append(nn.Sequential(*steps))
            fuse.append(nn.ModuleList(row))
        self.fuse_layers = nn.ModuleList(fuse)

    def forward(self, xs: list[torch.Tensor]) -> list[torch.Tensor]:
        xs = [branch(x) for branch, x in zip(self.branches, xs, strict=True)]
        out = []
        for i, row in enumerate(self.fuse_layers):
            y = xs[i]
            for j, layer in enumerate(row):
                if j < i:
                    y = y + layer(xs[j])
                elif j > i:
                    y = y + _upsample_to(layer(xs[j]), xs[i])
            out.append(F.relu(y))
        return out


def _transition(before: tuple[int, ...], after: tuple[int, ...]) -> nn.ModuleList:
    """Keep the existing branches (``None``) and add a stride-2 branch from the last one."""
    layers: list[nn.Module | None] = []
    for i, c in enumerate(after):
        if i < len(before):
            layers.append(None if before[i] == c else _conv_bn(before[i], c, 3, 1, relu=True))
        else:
            layers.append(nn.Sequential(_conv_bn(before[-1], c, 3, 2, relu=True)))
    return nn.ModuleList(layers)


class HRNetV2(nn.Module):
    """(N, 3, 256, 256) normalised RGB -> (N, K, 64, 64) heatmaps."""

    def __init__(self, num_points: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, 2, 1, bias=False)
        self.bn1 = _bn(64)
        self.conv2 = nn.Conv2d(64, 64, 3, 2, 1, bias=False)
        self.bn2 = _bn(64)
        self.layer1 = nn.Sequential(Bottleneck(64, 64), *(Bottleneck(256, 64) for _ in range(3)))
        before: tuple[int, ...] = (256,)
        for s, (modules, channels) in enumerate(STAGES, start=2):
            setattr(self, f"transition{s - 1}", _transition(before, channels))
            stage = nn.Sequential(*(HighResolutionModule(channels) for _ in range(modules)))
            setattr(self, f"stage{s}", stage)
            before = channels
        total = sum(before)
        self.head = nn.Sequential(
            nn.Conv2d(total, total, 1),
            _bn(total),
            nn.ReLU(),
            nn.Conv2d(total, num_points, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        xs = [self.layer1(x)]
        for s in range(2, 5):
            transition = getattr(self, f"transition{s - 1}")
            inputs = [
                xs[i] if layer is None else layer(xs[min(i, len(xs) - 1)])
                for i, layer in enumerate(transition)
            ]
            xs = getattr(self, f"stage{s}")(inputs)
        merged = torch.cat([xs[0], *(_upsample_to(x, xs[0]) for x in xs[1:])], dim=1)
        return self.head(merged)


def build_hrnet_w18(num_points: int) -> HRNetV2:
    """Randomly initialised HRNetV2-W18 in eval mode."""
    return HRNetV2(num_points).eval()


def make_card(
    onnx_name: str, dataset: str | None, num_points: int, random_weights: bool = False
) -> ModelCard:
    """Card for an HRNetV2-W18 export; published numbers when trained weights are known.

    ``dataset`` sets the scheme even for random weights, so the export runs on that
    dataset with no editing of the card.
    """
    published = [
        Published(dataset=f"{dataset}:{subset}", metric=metric, value=value)
        for subset, metric, value in ([] if random_weights else PUBLISHED.get(dataset or "", []))
    ]
    card_id, name = export_id_and_name("hrnetv2_w18", "HRNetV2-W18", dataset, random_weights)
    return ModelCard(
        id=card_id,
        name=name,
        family="hrnet",
        scheme=SCHEMES.get(dataset or ""),
        num_points=num_points,
        onnx=onnx_name,
        input=imagenet_rgb_input(INPUT_SIZE),
        crop=CropSpec(rule="hrnet_center_scale", scale_factor=1.25, box_source="dataset"),
        outputs={"heatmaps": "heatmaps"},
        decoder=DecoderSpec(subpixel="quarter", heatmap_stride=4.0),
        provenance=Provenance(
            source="https://github.com/HRNet/HRNet-Facial-Landmark-Detection",
            paper="https://arxiv.org/abs/1904.04514",
            license="MIT",
            notes="NME in % (README); AFLW normalised by box size, others inter-ocular",
            published=published,
        ),
    )


def convert(
    checkpoint: str | Path | None, out: str | Path, dataset: str | None = None, **_: Any
) -> ConvertResult:
    """Rebuild, load ``checkpoint`` (None: random weights), export ``out``; return the card."""
    import numpy as np

    if checkpoint is not None and dataset is None:
        raise ConvertError(f"{checkpoint}: say which dataset it was trained on (--dataset)")
    num_points = POINTS[dataset] if dataset else POINTS["wflw"]
    model = build_hrnet_w18(num_points)
    if checkpoint is not None:
        load_strict(model, read_state_dict(checkpoint), checkpoint)
    data = onnx_bytes(model, (1, 3, INPUT_SIZE, INPUT_SIZE), "input", ["heatmaps"])
    x = np.random.default_rng(0).standard_normal((2, 3, INPUT_SIZE, INPUT_SIZE), np.float32)
    diff = max_abs_diff(model, data, x)
    write_atomic(out, data)
    trained = dataset if checkpoint is not None else None
    card = (trained and template_card(f"hrnetv2_w18_{trained}", Path(out).name)) or make_card(
        Path(out).name, dataset, num_points, random_weights=checkpoint is None
    )
    return ConvertResult(card, diff)
