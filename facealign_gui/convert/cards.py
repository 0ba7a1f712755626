"""Cards for converted models: start from the shipped template when there is one.

``facealign_gui/models/<id>.toml`` holds a template card per published checkpoint (input,
crop rule, decoder, published numbers), written without the ONNX file. A converter fills in
the ONNX file name (and PIPNet's mean-face file name) and the command fills in the checksum.
Without a template the converter's own card is used.
"""

from __future__ import annotations

from pathlib import Path

from facealign_gui.inference.card import CardError, InputSpec, ModelCard, load_card

MODELS_DIR = Path(__file__).resolve().parents[1] / "models"


def template_card(card_id: str, onnx_name: str) -> ModelCard | None:
    """The template card ``card_id`` pointed at ``onnx_name``, or None if there is none."""
    path = MODELS_DIR / f"{card_id}.toml"
    if not path.is_file():
        return None
    try:
        card = load_card(path)
    except CardError:
        return None
    card.path = None
    card.onnx = onnx_name
    card.sha256 = ""
    if card.decoder.meanface:
        card.decoder.meanface = f"{Path(onnx_name).stem}.meanface.txt"
    return card


def imagenet_rgb_input(size: int, name: str = "input") -> InputSpec:
    """The input every published face model here was trained with: RGB in [0, 1],
    normalised by the ImageNet mean and std (torchvision's ``Normalize``)."""
    return InputSpec(
        name=name,
        size=(size, size),
        colour="rgb",
        pixel_scale=1.0 / 255.0,
        mean=(0.485, 0.456, 0.406),
        std=(0.229, 0.224, 0.225),
    )


def export_id_and_name(
    id_prefix: str, title: str, dataset: str | None, random_weights: bool
) -> tuple[str, str]:
    """Card id and display name of an export: ``<prefix>_<dataset>`` and "Title (WFLW)"
    for trained weights; ``<prefix>_random`` and "Title (WFLW, random weights)" otherwise."""
    if random_weights or not dataset:
        what = f"{dataset.upper()}, " if dataset else ""
        return f"{id_prefix}_random", f"{title} ({what}random weights)"
    return f"{id_prefix}_{dataset}", f"{title} ({dataset.upper()})"
