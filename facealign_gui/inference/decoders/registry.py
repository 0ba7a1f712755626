"""Which outputs a family needs, checking them against the card, and decoding a batch.

`output_roles` maps each meaning a family needs to an output name (from the card's
``[outputs]`` table, or by position when the card leaves it empty); `check_outputs`
validates a session's outputs against the card before any image is read; `decode_batch`
turns raw outputs into crop-space points (or image-space for HRNet, whose official
transform needs the center/scale).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from facealign_gui.inference.card import ModelCard
from facealign_gui.inference.types import InferenceError

ROLES: dict[str, tuple[str, ...]] = {
    "hrnet": ("heatmaps",),
    "heatmap": ("heatmaps",),
    "hourglass": ("heatmaps",),
    "hih": ("heatmaps", "offset_heatmaps"),
    "pipnet": ("score_map", "offset_x", "offset_y", "nb_x", "nb_y"),
    "regression": ("coords",),
}
RANKS = {
    "heatmaps": (4,),
    "offset_heatmaps": (4,),
    "score_map": (4,),
    "offset_x": (4,),
    "offset_y": (4,),
    "nb_x": (4,),
    "nb_y": (4,),
    "coords": (2, 3),
}


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


def output_roles(card: ModelCard, output_names: list[str]) -> dict[str, str]:
    """meaning -> output name for the card's family; errors name the card and the output."""
    needed = ROLES.get(card.family)
    if needed is None:
        raise InferenceError(f"{card.where}: family {card.family!r} has no ONNX decoder here")
    roles: dict[str, str] = {}
    if card.outputs:
        for meaning in needed:
            name = card.output_for(meaning)
            if name is None:
                raise InferenceError(
                    f"{card.where}: [outputs] names no output with meaning {meaning!r} "
                    f"(family {card.family!r} needs {list(needed)})"
                )
            if name not in output_names:
                raise InferenceError(
                    f"{card.where}: output {name!r} ({meaning}) is not in {card.onnx_path}; "
                    f"the model's outputs are {output_names}"
                )
            roles[meaning] = name
        return roles
    if len(output_names) < len(needed):
        raise InferenceError(
            f"{card.onnx_path}: family {card.family!r} needs {len(needed)} outputs "
            f"{list(needed)}, the model has {len(output_names)} {output_names}"
        )
    return dict(zip(needed, output_names, strict=False))


def check_output_shapes(card: ModelCard, roles: dict[str, str], shapes: dict[str, tuple]) -> None:
    """Check ranks and landmark counts (known dims only) against the card."""
    k = card.num_points
    for meaning, name in roles.items():
        shape = shapes[name]
        if len(shape) not in RANKS[meaning]:
            raise InferenceError(
                f"{card.onnx_path}: output {name!r} ({meaning}) has rank {len(shape)} "
                f"{tuple(shape)}; expected rank {' or '.join(map(str, RANKS[meaning]))}"
            )
        want = k
        if meaning in ("nb_x", "nb_y"):
            want = k * card.decoder.num_nb
        if meaning == "coords":
            dims = shape[1:]
            ok = (len(dims) == 1 and dims[0] in (None, 2 * k)) or (
                len(dims) == 2 and dims[0] in (None, k) and dims[1] in (None, 2)
            )
            if not ok:
                raise InferenceError(
                    f"{card.onnx_path}: output {name!r} has shape {tuple(shape)}; the card says "
                    f"{k} landmarks, so (N, {2 * k}) or (N, {k}, 2)"
                )
            continue
        if shape[1] is not None and shape[1] != want:
            raise InferenceError(
                f"{card.onnx_path}: output {name!r} ({meaning}) has {shape[1]} channels; the "
                f"card {card.where} says {k} landmarks (expected {want})"
            )


@lru_cache(maxsize=16)
def _pipnet_tables(meanface_path: str, num_nb: int):
    from facealign_gui.inference.decoders.pipnet import load_meanface, neighbour_tables

    return neighbour_tables(load_meanface(meanface_path), num_nb)


def pipnet_tables_for(card: ModelCard):
    """The card's PIPNet neighbour tables (cached per mean-face file)."""
    tables = _pipnet_tables(str(card.resolve(card.decoder.meanface)), card.decoder.num_nb)
    if tables.num_points != card.num_points:
        raise InferenceError(
            f"{card.where}: mean face {card.decoder.meanface} has {tables.num_points} points, "
            f"the card says {card.num_points}"
        )
    return tables


def _stride(card: ModelCard, hm_w: int) -> float:
    return card.decoder.heatmap_stride or card.input.size[0] / hm_w


def _scale_matrix(s: float, offset: float = 0.0) -> np.ndarray:
    return np.array([[s, 0.0, offset], [0.0, s, offset]], dtype=np.float64)


def decode_batch(
    card: ModelCard, roles: dict[str, str], outs: dict[str, np.ndarray]
) -> DecodedBatch:
    """Decode one batch of raw outputs (HRNet is decoded by the predictor: needs center/scale)."""
    fam = card.family
    get = {m: np.asarray(outs[n]) for m, n in roles.items()}
    if fam in ("heatmap", "hourglass"):
        from facealign_gui.inference.decoders.generic import decode_heatmaps
        from facealign_gui.inference.decoders.hourglass import decode_hourglass

        hm = get["heatmaps"]
        if fam == "hourglass":
            pts, conf = decode_hourglass(hm)
        else:
            pts, conf = decode_heatmaps(hm, card.decoder.subpixel)
        s = _stride(card, hm.shape[3])
        return DecodedBatch(pts * s, conf, heatmaps=hm, heatmap_to_crop=_scale_matrix(s))
    if fam == "hih":
        from facealign_gui.inference.decoders.hih import decode_hih

        hm = get["heatmaps"]
        pts, conf = decode_hih(hm, get["offset_heatmaps"])
        s = _stride(card, hm.shape[3])
        return DecodedBatch(pts * s, conf, heatmaps=hm, heatmap_to_crop=_scale_matrix(s))
    if fam == "pipnet":
        from facealign_gui.inference.decoders.pipnet import decode_pipnet

        stride = card.decoder.net_stride
        pts, conf = decode_pipnet(
            get["score_map"],
            get["offset_x"],
            get["offset_y"],
            get["nb_x"],
            get["nb_y"],
            pipnet_tables_for(card),
            card.input.size,
            stride,
        )
        pts = pts * np.asarray(card.input.size, dtype=np.float64)
        # display: cell centres of the score map
        return DecodedBatch(
            pts,
            conf,
            heatmaps=get["score_map"],
            heatmap_to_crop=_scale_matrix(float(stride), (stride - 1) / 2.0),
        )
    if fam == "regression":
        from facealign_gui.inference.decoders.regression import decode_regression

        pts, conf = decode_regression(
            get["coords"], card.num_points, card.input.size, card.decoder.coords
        )
        return DecodedBatch(pts, conf)
    raise InferenceError(f"{card.where}: family {fam!r} has no batch decoder")
