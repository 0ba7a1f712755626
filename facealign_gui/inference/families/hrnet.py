"""HRNet (HRNet-Facial-Landmark-Detection): one heatmap per landmark at 1/4 of the input.

Cropped by center/scale x 1.25; decoded by `facealign_gui.inference.decoders.hrnet`, whose
official transform needs each face's centre and scale, so its points come out in image
pixels.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from facealign_gui.inference.families.base import DecodedBatch, Family, Graph, Guess

if TYPE_CHECKING:
    from facealign_gui.inference.card import ModelCard


def propose(g: Graph) -> Guess | None:
    """One heatmap output at a quarter of a colour input."""
    from facealign_gui.inference.card import CropSpec

    if not g.maps:
        return None
    m = g.maps[0]
    mh, mw = m.shape[2], m.shape[3]
    if not (mw and mw * 4 == g.width and mh and mh * 4 == g.height and g.channels == 3):
        return None
    size = f"{g.width}x{g.height}"
    return Guess(
        num_points=int(m.shape[1]),
        outputs={m.name: "heatmaps"},
        crop=CropSpec(rule="hrnet_center_scale", scale_factor=1.25),
        reasons=[f"one heatmap output {m.shape} at 1/4 of the {size} input: HRNet-like"],
    )


def decode(
    card: ModelCard, roles: dict[str, str], outs: dict[str, np.ndarray], items: list, mode: str
) -> DecodedBatch:
    """Image-space points through HRNet's transform with each face's centre/scale."""
    from facealign_gui.inference.decoders.hrnet import decode_hrnet

    hm = np.asarray(outs[roles["heatmaps"]])
    centers = np.stack([p.center for p in items])
    scales = np.array([p.scale for p in items], dtype=np.float64)
    pts, conf = decode_hrnet(hm, centers, scales, mode=mode)
    return DecodedBatch(pts, conf, space="image", heatmaps=hm)


FAMILY = Family(
    name="hrnet",
    roles=("heatmaps",),
    propose=propose,
    propose_rank=30,
    decode=decode,
    space="image",
)
