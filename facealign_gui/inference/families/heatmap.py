"""Any other heatmap model: arg-max plus the card's sub-pixel rule, scaled by the stride."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from facealign_gui.inference.families.base import (
    ASSUMED_CROP,
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
    """The first heatmap-like output, when no more specific family claimed the graph."""
    if not g.maps:
        return None
    m = g.maps[0]
    return Guess(
        num_points=int(m.shape[1]),
        outputs={m.name: "heatmaps"},
        crop=square_box_crop(),
        reasons=[f"heatmap output {m.shape}: generic heatmap decoder"],
        unknown=[
            "decoder.subpixel and heatmap_stride (assumed quarter-pixel, input/heatmap ratio)",
            ASSUMED_CROP,
        ],
    )


def decode(
    card: ModelCard, roles: dict[str, str], outs: dict[str, np.ndarray], items: list, mode: str
) -> DecodedBatch:
    from facealign_gui.inference.decoders.heatmap import decode_heatmaps

    hm = np.asarray(outs[roles["heatmaps"]])
    pts, conf = decode_heatmaps(hm, card.decoder.subpixel)
    return strided_batch(card, hm, pts, conf)


FAMILY = Family(
    name="heatmap", roles=("heatmaps",), propose=propose, propose_rank=80, decode=decode
)
