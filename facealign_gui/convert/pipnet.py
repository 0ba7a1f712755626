"""PIPNet (Pixel-in-Pixel Net) with ResNet-18/50/101 or MobileNet-V2/V3 backbones.

Source: jhb86253817/PIPNet (``lib/networks.py``, ``lib/mobilenetv3.py``, ``lib/demo.py``,
``experiments/*/pip_32_16_60_*_l2_l1_10_1_nb10.py``). As in ``Pip_resnet*`` / ``Pip_mbnetv*``
the backbone's modules sit at the top level of the network (``conv1``, ``layer1`` ...,
``features``, ``conv``), followed by five 1x1 conv heads on the stride-32 feature map:

- ``cls_layer`` (K): score map, ``x_layer`` / ``y_layer`` (K): offsets inside the cell,
- ``nb_x_layer`` / ``nb_y_layer`` (K x 10): offsets of each point's 10 mean-face neighbours.

Input 256x256 RGB, ``(pixel / 255 - ImageNet mean) / ImageNet std``; outputs 8x8 maps.
The decoder also needs the dataset's mean face, copied next to the card.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from facealign_gui.convert import DATASET_POINTS, DATASET_SCHEMES, ConvertError
from facealign_gui.convert.backbones import MobileNetV2Trunk, MobileNetV3Trunk, ResNetTrunk
from facealign_gui.convert.cards import export_id_and_name, imagenet_rgb_input, template_card
from facealign_gui.convert.checkpoint import load_strict, read_state_dict
from facealign_gui.convert.export import ConvertResult, max_abs_diff, onnx_bytes, write_atomic
from facealign_gui.inference.card import CropSpec, DecoderSpec, ModelCard, Provenance

INPUT_SIZE = 256
NET_STRIDE = 32
NUM_NB = 10
BACKBONES: dict[str, Callable[[], nn.Module]] = {
    "resnet18": lambda: ResNetTrunk("resnet18"),
    "resnet50": lambda: ResNetTrunk("resnet50"),
    "resnet101": lambda: ResNetTrunk("resnet101"),
    "mobilenet_v2": MobileNetV2Trunk,
    "mobilenet_v3": MobileNetV3Trunk,
}
POINTS = DATASET_POINTS
SCHEMES = DATASET_SCHEMES
MEANFACE_FILES = {
    "wflw": "meanface_WFLW.txt",
    "300w": "meanface_data_300W.txt",
    "cofw": "meanface_COFW.txt",
    "aflw": "meanface_AFLW.txt",
}
# crop of the test images in the authors' lib/preprocess.py: enlargement of the box on each
# side as a fraction of its size, and where the box comes from
CROPS = {
    "wflw": ((0.1, 0.1, 0.1, 0.1), "dataset"),  # WFLW face box, scale 1.2
    "300w": ((0.05, 0.05, 0.05, 0.05), "landmarks"),  # box of the 68 points, scale 1.1
    "cofw": ((0.0, 0.0, 0.0, 0.0), "dataset"),  # COFW face box as given
    "aflw": ((0.0, 0.0, 0.0, 0.0), "dataset"),  # AFLW face box as given
}
OUTPUT_NAMES = ("cls", "x", "y", "nb_x", "nb_y")
OUTPUT_MEANINGS = ("score_map", "offset_x", "offset_y", "nb_x", "nb_y")


class PIPNet(nn.Module):
    """(N, 3, 256, 256) -> cls, x, y (N, K, 8, 8) and nb_x, nb_y (N, K*10, 8, 8)."""

    def __init__(self, backbone: str, num_points: int, num_nb: int = NUM_NB) -> None:
        super().__init__()
        if backbone not in BACKBONES:
            raise ConvertError(f"unknown PIPNet backbone {backbone!r}; one of {list(BACKBONES)}")
        trunk = BACKBONES[backbone]()
        # the authors copy the backbone's modules onto the network itself, so the trunk's
        # children become ours and its forward runs on this object
        for name, child in trunk.named_children():
            self.add_module(name, child)
        self._trunk_forward = type(trunk).forward
        c = trunk.out_channels
        self.cls_layer = nn.Conv2d(c, num_points, 1)
        self.x_layer = nn.Conv2d(c, num_points, 1)
        self.y_layer = nn.Conv2d(c, num_points, 1)
        self.nb_x_layer = nn.Conv2d(c, num_nb * num_points, 1)
        self.nb_y_layer = nn.Conv2d(c, num_nb * num_points, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        f = self._trunk_forward(self, x)
        heads = (self.cls_layer, self.x_layer, self.y_layer, self.nb_x_layer, self.nb_y_layer)
        return tuple(head(f) for head in heads)


def build_pipnet(backbone: str, num_points: int) -> PIPNet:
    """Randomly initialised PIPNet (stride 32, 10 neighbours) in eval mode."""
    return PIPNet(backbone, num_points).eval()


def make_card(
    onnx_name: str,
    dataset: str | None,
    backbone: str,
    num_points: int,
    random_weights: bool = False,
) -> ModelCard:
    """Card for a PIPNet export. ``dataset`` sets the scheme, crop and mean face even for
    random weights, so the export runs on that dataset with no editing of the card."""
    pad, source = CROPS.get(dataset or "", ((0.1, 0.1, 0.1, 0.1), "auto"))
    meanface = f"{Path(onnx_name).stem}.meanface.txt" if dataset else ""
    card_id, name = export_id_and_name(
        f"pipnet_{backbone}", f"PIPNet {backbone}", dataset, random_weights
    )
    return ModelCard(
        id=card_id,
        name=name,
        family="pipnet",
        scheme=SCHEMES.get(dataset or ""),
        num_points=num_points,
        onnx=onnx_name,
        input=imagenet_rgb_input(INPUT_SIZE),
        # their demo enlarges detector boxes 1.2x and shifts them down by a tenth
        crop=CropSpec(
            rule="pipnet_box",
            pad=pad,
            detector_pad=(0.1, -0.1, 0.1, 0.1),
            box_source=source,  # type: ignore[arg-type]
            clip=True,
        ),
        outputs=dict(zip(OUTPUT_NAMES, OUTPUT_MEANINGS, strict=True)),
        decoder=DecoderSpec(net_stride=NET_STRIDE, num_nb=NUM_NB, meanface=meanface),
        provenance=Provenance(
            source="https://github.com/jhb86253817/PIPNet",
            paper="https://arxiv.org/abs/2003.03771",
            license="MIT",
            notes="The authors' README gives no accuracy table; see the paper for NME.",
        ),
    )


def meanface_path(dataset: str, given: str | Path | None = None) -> Path:
    """The dataset's mean face: ``given``, else ``../shared/data/pipnet_meanface`` beside
    a source checkout.

    The file holds 2K numbers (x y per point, normalised to the crop); this is checked.
    """
    if given is not None:
        path = Path(given)
    else:
        shared = Path(__file__).resolve().parents[3] / "shared" / "data" / "pipnet_meanface"
        path = shared / MEANFACE_FILES[dataset]
    if not path.is_file():
        raise ConvertError(
            f"{path}: PIPNet mean face for {dataset} not found; pass --meanface with the "
            f"{MEANFACE_FILES[dataset]} file from the authors' data folder"
        )
    try:
        count = len([float(v) for v in path.read_text().split()])
    except ValueError:
        raise ConvertError(f"{path}: mean face holds something that is not a number") from None
    if count != 2 * POINTS[dataset]:
        raise ConvertError(f"{path}: {count} numbers, expected {2 * POINTS[dataset]} (x, y)")
    return path


def convert(
    checkpoint: str | Path | None,
    out: str | Path,
    dataset: str | None = None,
    backbone: str | None = None,
    meanface: str | Path | None = None,
    **_: Any,
) -> ConvertResult:
    """Rebuild, load ``checkpoint`` (None: random weights), export ``out``; return the card."""
    import numpy as np

    backbone = backbone or "resnet18"
    if checkpoint is not None and dataset is None:
        raise ConvertError(f"{checkpoint}: say which dataset it was trained on (--dataset)")
    num_points = POINTS[dataset or "wflw"]
    model = build_pipnet(backbone, num_points)
    extra: dict[str, Path] = {}
    if checkpoint is not None:
        load_strict(model, read_state_dict(checkpoint), checkpoint)
    data = onnx_bytes(model, (1, 3, INPUT_SIZE, INPUT_SIZE), "input", list(OUTPUT_NAMES))
    x = np.random.default_rng(0).standard_normal((2, 3, INPUT_SIZE, INPUT_SIZE), np.float32)
    diff = max_abs_diff(model, data, x)
    trained = dataset if checkpoint is not None else None
    template = f"pipnet_{backbone.replace('_', '')}_{trained}"
    card = (trained and template_card(template, Path(out).name)) or make_card(
        Path(out).name, dataset, backbone, num_points, random_weights=checkpoint is None
    )
    if card.decoder.meanface and dataset:
        extra[card.decoder.meanface] = meanface_path(dataset, meanface)
    write_atomic(out, data)
    return ConvertResult(card, diff, extra)
