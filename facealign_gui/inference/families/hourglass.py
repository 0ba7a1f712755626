"""Kaggle stacked hourglass (raymon-tian/hourglass-facekeypoints-detection).

A 96x96 grayscale face (pixels / 255) to 15 heatmaps of the same size; ``get_peak_points``
takes the first (row-major) maximum of each map, whose (x, y) are input pixels (stride 1).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from facealign_gui.inference.families.base import (
    DecodedBatch,
    Family,
    Graph,
    Guess,
    strided_batch,
)

if TYPE_CHECKING:
    from facealign_gui.inference.card import ModelCard


def propose(g: Graph) -> Guess | None:
    """One heatmap output at the input size on a gray input."""
    from facealign_gui.inference.card import CropSpec

    if not g.maps:
        return None
    m = g.maps[0]
    if not (m.shape[3] == g.width and m.shape[2] == g.height and g.channels == 1):
        return None
    return Guess(
        num_points=int(m.shape[1]),
        outputs={m.name: "heatmaps"},
        crop=CropSpec(rule="full_image"),
        reasons=[f"heatmaps {m.shape} at the input size on a gray input: hourglass"],
    )


def decode(
    card: ModelCard, roles: dict[str, str], outs: dict[str, np.ndarray], items: list, mode: str
) -> DecodedBatch:
    from facealign_gui.inference.decoders.heatmap import decode_heatmaps

    hm = np.asarray(outs[roles["heatmaps"]])
    pts, conf = decode_heatmaps(hm, "none")
    return strided_batch(card, hm, pts, conf)


FAMILY = Family(
    name="hourglass", roles=("heatmaps",), propose=propose, propose_rank=40, decode=decode
)
