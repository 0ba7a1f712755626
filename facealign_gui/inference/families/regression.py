"""Coordinate regression: the model outputs K (x, y) pairs directly."""

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
)

if TYPE_CHECKING:
    from facealign_gui.inference.card import ModelCard


def propose(g: Graph) -> Guess | None:
    """The first output shaped (N, 2K) or (N, K, 2)."""
    for o in g.outputs:
        s = o.shape
        if len(s) == 2 and s[1] and s[1] % 2 == 0:
            k = int(s[1] // 2)
        elif len(s) == 3 and s[1] and s[2] == 2:
            k = int(s[1])
        else:
            continue
        return Guess(
            num_points=k,
            outputs={o.name: "coords"},
            crop=square_box_crop(),
            decoder={"coords": "normalised"},
            reasons=[f"output {o.name!r} {s}: {k} (x, y) pairs, coordinate regression"],
            unknown=[
                "decoder.coords: normalised [0, 1] of the crop or pixels (assumed normalised)",
                ASSUMED_CROP,
            ],
        )
    return None


def decode(
    card: ModelCard, roles: dict[str, str], outs: dict[str, np.ndarray], items: list, mode: str
) -> DecodedBatch:
    from facealign_gui.inference.decoders.regression import decode_regression

    pts, conf = decode_regression(
        np.asarray(outs[roles["coords"]]), card.num_points, card.input.size, card.decoder.coords
    )
    return DecodedBatch(pts, conf)


FAMILY = Family(
    name="regression", roles=("coords",), propose=propose, propose_rank=90, decode=decode
)
