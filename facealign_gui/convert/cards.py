"""Cards for converted models: start from the shipped template when there is one.

``facealign_gui/models/<id>.toml`` holds a template card per published checkpoint (input,
crop rule, decoder, published numbers), written without the ONNX file. A converter fills in
the ONNX file name (and PIPNet's mean-face file name) and the command fills in the checksum.
Without a template the converter's own card is used.
"""

from __future__ import annotations

from pathlib import Path

from facealign_gui.inference.card import CardError, ModelCard, load_card

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
