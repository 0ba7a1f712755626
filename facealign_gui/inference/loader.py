"""`load_predictor`: a model card (or a bare .onnx) -> the family's `Predictor`.

The family's declaration (`facealign_gui.inference.families`) says which predictor runs it:
`facealign_gui.inference.mediapipe.MediaPipePredictor` or `CardPredictor`. A bare .onnx
gets a proposed card (see `propose`); if the proposal lacks a field the family declares as
required (a PIPNet mean face), the error says so and suggests ``facealign-gui card``.
"""

from __future__ import annotations

from pathlib import Path

from facealign_gui.inference.card import ModelCard, load_card
from facealign_gui.inference.families import get_family
from facealign_gui.inference.types import InferenceError, Predictor

BUILTIN_MODELS = Path(__file__).resolve().parents[1] / "models"


def resolve_card(card_or_onnx: str | Path | ModelCard) -> ModelCard:
    """A `ModelCard` from a card, a .toml path, a .onnx path or a built-in card id."""
    if isinstance(card_or_onnx, ModelCard):
        return card_or_onnx
    path = Path(card_or_onnx)
    if not path.exists():
        builtin = BUILTIN_MODELS / f"{card_or_onnx}.toml"
        if builtin.is_file():
            return load_card(builtin)
        raise InferenceError(f"{path}: model card or ONNX file not found")
    if path.suffix.lower() == ".onnx":
        from facealign_gui.inference.propose import propose_card

        card = propose_card(path).card
        missing = get_family(card.family).missing(card)
        if missing:
            needs = "; ".join(f.help for f in missing)
            keys = ", ".join(f.key for f in missing)
            raise InferenceError(
                f"{path}: looks like {card.family}, which needs {needs}; write a card with "
                f"'facealign-gui card {path} -o CARD.toml', set {keys}, and pass the card"
            )
        return card
    return load_card(path)


def load_predictor(
    card_or_onnx: str | Path | ModelCard, *, threads: int | None = None, mode: str = "official"
) -> Predictor:
    """Load the model a card (or a bare .onnx) describes; errors name the file."""
    card = resolve_card(card_or_onnx)
    if get_family(card.family).predictor == "mediapipe":
        from facealign_gui.inference.mediapipe import MediaPipePredictor

        return MediaPipePredictor(card, threads=threads)
    from facealign_gui.inference.predictor import CardPredictor

    return CardPredictor(card, threads=threads, mode=mode)
