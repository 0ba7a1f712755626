"""PIPNet (Pixel-in-Pixel Net): score map, offsets and neighbour offsets on a coarse grid.

The decoder needs the training set's mean face (its neighbour tables come from it): the one
card field a bare graph cannot tell.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from facealign_gui.inference.families.base import (
    CardField,
    DecodedBatch,
    Family,
    Graph,
    Guess,
    scale_matrix,
)
from facealign_gui.inference.types import InferenceError

if TYPE_CHECKING:
    from facealign_gui.inference.card import ModelCard
    from facealign_gui.inference.decoders.pipnet import NeighbourTables

ROLES = ("score_map", "offset_x", "offset_y", "nb_x", "nb_y")
MEANFACE = CardField(
    "decoder.meanface",
    "the mean face file of the training set (PIPNet data/<dataset>/meanface.txt)",
)


def propose(g: Graph) -> Guess | None:
    """Five map outputs: K, K, K, K x nb, K x nb channels."""
    from facealign_gui.inference.card import CropSpec

    maps = g.maps
    if not (len(g.outputs) == 5 and len(maps) == 5):
        return None
    kk = [o.shape[1] for o in maps]
    if not (kk[0] == kk[1] == kk[2] and kk[3] == kk[4] and kk[3] % kk[0] == 0 and kk[3] > kk[0]):
        return None
    k = int(kk[0])
    num_nb = int(kk[3] // kk[0])
    net_stride = round(g.height / maps[0].shape[2]) if maps[0].shape[2] else 32
    return Guess(
        num_points=k,
        outputs={o.name: m for o, m in zip(maps, ROLES, strict=False)},
        crop=CropSpec(
            rule="pipnet_box",
            pad=(0.1, 0.1, 0.1, 0.1),
            clip=True,
            detector_pad=(0.1, -0.1, 0.1, 0.1),
        ),
        decoder={"num_nb": num_nb, "net_stride": net_stride, "meanface": ""},
        reasons=[
            f"5 map outputs with {k}, {k}, {k}, {k}x{num_nb}, {k}x{num_nb} channels: PIPNet "
            f"(net_stride {net_stride}, num_nb {num_nb})"
        ],
        unknown=["crop.pad: box enlargement (PIPNet WFLW: 1.2 = 0.1 per side)"],
    )


class _PointCount(InferenceError):
    """The mean face has another number of points than the card (``args[0]``)."""


@lru_cache(maxsize=16)
def _tables(meanface_path: str, num_nb: int, num_points: int) -> NeighbourTables:
    from facealign_gui.inference.decoders.pipnet import load_meanface, neighbour_tables

    meanface = load_meanface(meanface_path)
    if meanface.shape[0] != num_points:  # before the tables: their cost grows with K squared
        raise _PointCount(int(meanface.shape[0]))
    return neighbour_tables(meanface, num_nb)


def tables_for(card: ModelCard) -> NeighbourTables:
    """The card's neighbour tables (cached per mean-face file); checks the point count."""
    try:
        return _tables(
            str(card.resolve(card.decoder.meanface)), card.decoder.num_nb, card.num_points
        )
    except _PointCount as exc:
        raise InferenceError(
            f"{card.where}: mean face {card.decoder.meanface} has {exc.args[0]} points, the "
            f"card says {card.num_points}"
        ) from None


def decode(
    card: ModelCard, roles: dict[str, str], outs: dict[str, np.ndarray], items: list, mode: str
) -> DecodedBatch:
    """Merged points as fractions of the crop, scaled to crop pixels."""
    from facealign_gui.inference.decoders.pipnet import decode_pipnet

    get = {m: np.asarray(outs[n]) for m, n in roles.items()}
    stride = card.decoder.net_stride
    pts, conf = decode_pipnet(
        get["score_map"],
        get["offset_x"],
        get["offset_y"],
        get["nb_x"],
        get["nb_y"],
        tables_for(card),
        card.input.size,
        stride,
    )
    pts = pts * np.asarray(card.input.size, dtype=np.float64)
    # display: cell centres of the score map
    return DecodedBatch(
        pts,
        conf,
        heatmaps=get["score_map"],
        heatmap_to_crop=scale_matrix(float(stride), (stride - 1) / 2.0),
    )


FAMILY = Family(
    name="pipnet",
    roles=ROLES,
    required=(MEANFACE,),
    propose=propose,
    propose_rank=10,
    decode=decode,
    check=tables_for,
)
