"""Heatmap-in-Heatmap (HIH): an integer heatmap plus a smaller decimal heatmap per landmark."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from facealign_gui.inference.families.base import (
    DecodedBatch,
    Family,
    Graph,
    Guess,
    square_box_crop,
    strided_batch,
)

if TYPE_CHECKING:
    from facealign_gui.inference.card import ModelCard


def propose(g: Graph) -> Guess | None:
    """Two map outputs with the same channels, the second smaller."""
    maps = g.maps
    if not (len(maps) == 2 and maps[0].shape[1] == maps[1].shape[1]):
        return None
    a, b = maps
    if not (a.shape[3] and b.shape[3] and b.shape[3] < a.shape[3]):
        return None
    return Guess(
        num_points=int(a.shape[1]),
        outputs={a.name: "heatmaps", b.name: "offset_heatmaps"},
        crop=square_box_crop(),
        decoder={"offset_size": int(b.shape[3])},
        reasons=[f"heatmaps {a.shape} + smaller maps {b.shape}: Heatmap-in-Heatmap"],
        unknown=["crop: HIH uses PFLD's square box of the landmarks x 1.2 (assumed)"],
    )


def decode(
    card: ModelCard, roles: dict[str, str], outs: dict[str, np.ndarray], items: list, mode: str
) -> DecodedBatch:
    from facealign_gui.inference.decoders.hih import decode_hih

    hm = np.asarray(outs[roles["heatmaps"]])
    pts, conf = decode_hih(hm, np.asarray(outs[roles["offset_heatmaps"]]))
    return strided_batch(card, hm, pts, conf)


FAMILY = Family(
    name="hih",
    roles=("heatmaps", "offset_heatmaps"),
    propose=propose,
    propose_rank=20,
    decode=decode,
)
