"""What a model family declares: its output roles, the card fields it needs, how it
proposes a card from a bare graph, and its decoder.

A family module (``inference/families/<name>.py``) builds one `Family`; the registry
(`facealign_gui.inference.families`) lists them. Everything that used to ask
``card.family == ...`` (card validation, `propose_card`, the predictor, the card dialog)
reads these declarations instead, so each rule is written once, in its family's module.

Family modules import `facealign_gui.inference.card` only inside functions: the card module
reads the registry when it validates a card.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from facealign_gui.inference.card import CropSpec, ModelCard
    from facealign_gui.inference.runtime import TensorInfo

#: Accepted ranks of each output meaning.
RANKS: dict[str, tuple[int, ...]] = {
    "heatmaps": (4,),
    "offset_heatmaps": (4,),
    "score_map": (4,),
    "offset_x": (4,),
    "offset_y": (4,),
    "nb_x": (4,),
    "nb_y": (4,),
    "coords": (2, 3),
}


@dataclass(frozen=True)
class CardField:
    """A card field a family cannot run without, and what to tell the person about it.

    ``key`` is ``table.field`` (``decoder.meanface``); ``help`` one sentence for messages,
    the card comments and the card dialog.
    """

    key: str
    help: str

    @property
    def table(self) -> str:
        return self.key.split(".", 1)[0]

    @property
    def name(self) -> str:
        return self.key.split(".", 1)[-1]

    def value(self, card: ModelCard) -> Any:
        obj: Any = card
        for part in self.key.split("."):
            obj = getattr(obj, part)
        return obj

    def missing(self, card: ModelCard) -> bool:
        v = self.value(card)
        return v is None or v == "" or v == ()


@dataclass(frozen=True)
class Graph:
    """What a bare .onnx tells: input layout, channels, height, width, and its outputs."""

    layout: str
    channels: int
    height: int
    width: int
    outputs: list[TensorInfo]

    @property
    def maps(self) -> list[TensorInfo]:
        """The 4-D outputs with a known channel count (heatmap-like)."""
        return [o for o in self.outputs if o.rank == 4 and o.shape[1]]


@dataclass
class Guess:
    """A family's proposal for a bare graph: the family-specific part of a card.

    ``decoder`` holds the `DecoderSpec` fields that differ from the defaults; ``unknown``
    lists, as ``"field: sentence"``, what the graph could not tell.
    """

    num_points: int
    outputs: dict[str, str]
    crop: CropSpec
    decoder: dict[str, Any] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


@dataclass
class DecodedBatch:
    """Decoder output for N faces.

    ``points`` are in crop coordinates (``space == "crop"``) or already in image pixels
    (``"image"``). ``heatmap_to_crop`` maps heatmap pixels to crop coordinates.
    """

    points: np.ndarray  # (N, K, 2) float64
    confidence: np.ndarray  # (N, K) float32
    space: str = "crop"
    heatmaps: np.ndarray | None = None  # (N, K, h, w)
    heatmap_to_crop: np.ndarray | None = None  # 2x3


#: decode(card, roles, outputs, items, mode): ``roles`` maps meaning -> output name,
#: ``items`` are the predictor's prepared faces (HRNet reads their centre/scale).
Decoder = Callable[["ModelCard", dict[str, str], dict[str, np.ndarray], list, str], DecodedBatch]


@dataclass(frozen=True)
class Family:
    """One model family.

    Attributes
    ----------
    name : the card's ``family`` value.
    roles : output meanings the decoder needs, in output order for cards whose
        ``[outputs]`` table is empty; empty for families with their own predictor.
    required : card fields the family cannot run without.
    propose : a `Guess` for a bare graph, or None when the graph is not this family's;
        None for families a graph cannot be recognised as.
    propose_rank : families are asked in increasing rank: the most specific output
        patterns first, the catch-all generic heatmap near the end.
    decode : turns a batch of raw outputs into points (None: own predictor).
    space : where ``decode``'s points are: ``"crop"`` (the predictor maps them back) or
        ``"image"`` (HRNet's official transform needs the centre/scale).
    predictor : ``"card"`` (`CardPredictor`) or ``"mediapipe"`` (`MediaPipePredictor`).
    check : called once when a predictor loads (fail before the first image).
    """

    name: str
    roles: tuple[str, ...] = ()
    required: tuple[CardField, ...] = ()
    propose: Callable[[Graph], Guess | None] | None = None
    propose_rank: int = 50
    decode: Decoder | None = None
    space: str = "crop"
    predictor: str = "card"
    check: Callable[[ModelCard], None] | None = None

    def missing(self, card: ModelCard) -> list[CardField]:
        """The required fields ``card`` leaves empty."""
        return [f for f in self.required if f.missing(card)]


# -- small helpers the decoders share ---------------------------------------------------


def heatmap_stride(card: ModelCard, hm_w: int) -> float:
    """Crop pixels per heatmap pixel: the card's, else input width / heatmap width."""
    return card.decoder.heatmap_stride or card.input.size[0] / hm_w


def strided_batch(
    card: ModelCard, heatmaps: np.ndarray, points: np.ndarray, confidence: np.ndarray
) -> DecodedBatch:
    """Heatmap-pixel ``points`` as crop pixels (x the card's stride), with the heatmaps and
    their heatmap-to-crop matrix: the ending every heatmap family shares."""
    s = heatmap_stride(card, heatmaps.shape[3])
    return DecodedBatch(points * s, confidence, heatmaps=heatmaps, heatmap_to_crop=scale_matrix(s))


def scale_matrix(s: float, offset: float = 0.0) -> np.ndarray:
    """2x3 matrix of ``p * s + offset`` on both axes."""
    return np.array([[s, 0.0, offset], [0.0, s, offset]], dtype=np.float64)


def square_box_crop() -> CropSpec:
    """The crop a family assumes when the graph says nothing: a square box x 1.2."""
    from facealign_gui.inference.card import CropSpec

    return CropSpec(rule="box", enlarge=1.2, box_source="dataset")


ASSUMED_CROP = "crop rule (assumed a square box x 1.2)"
