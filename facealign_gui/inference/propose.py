"""Propose a model card for a bare .onnx file from its input/output shapes.

What the graph tells: input size and layout, channel count (gray or colour), the number of
landmarks, and a family from the output pattern (each family's ``propose`` declaration in
`facealign_gui.inference.families`, asked in `propose_order`):

- 5 outputs (N, K, h, w) x3 + (N, K*nb, h, w) x2 -> PIPNet (net_stride = input / h, num_nb);
- 2 outputs (N, K, H, W) + (N, K, s, s) with s < H -> Heatmap-in-Heatmap;
- 1 heatmap output (N, K, H/4, W/4) -> HRNet-like (center/scale crop x 1.25);
- 1 heatmap output at the input resolution on a gray input -> stacked hourglass (Kaggle);
- other heatmap sizes -> generic heatmap;
- (N, 2K) or (N, K, 2) -> coordinate regression.

What it cannot tell is listed in `Proposal.unknown` (colour order, mean/std, crop rule
details, PIPNet mean face, regression coordinate units, published numbers).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from facealign_gui.inference.card import DecoderSpec, InputSpec, ModelCard, Provenance
from facealign_gui.inference.families import Graph, get_family, propose_order
from facealign_gui.inference.runtime import TensorInfo, get_session
from facealign_gui.inference.types import InferenceError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass
class Proposal:
    card: ModelCard
    unknown: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


def _input_layout(info: TensorInfo, where: Path) -> tuple[str, int, int, int]:
    """(layout, channels, height, width) of a 4-D image input."""
    s = info.shape
    if len(s) != 4:
        raise InferenceError(f"{where}: input {info.name!r} has shape {s}; expected a 4-D image")
    if s[1] in (1, 3) and s[2] and s[3]:
        return "NCHW", int(s[1]), int(s[2]), int(s[3])
    if s[3] in (1, 3) and s[1] and s[2]:
        return "NHWC", int(s[3]), int(s[1]), int(s[2])
    raise InferenceError(
        f"{where}: cannot tell the layout of input {info.name!r} {s}: need a fixed size and "
        f"1 or 3 channels"
    )


def _scheme(k: int) -> str | None:
    from facealign_gui.core.schemes import scheme_for_num_points

    s = scheme_for_num_points(k)
    return s.name if s is not None else None


def propose_card(onnx_path: str | Path, card_path: str | Path | None = None) -> Proposal:
    """A card for ``onnx_path`` (``onnx`` relative to ``card_path``'s folder if given).

    Each family is asked in turn (`propose_order`) (its ``propose`` declaration); the
    first that recognises the outputs gives the family-specific part of the card. Its
    required fields that the graph cannot fill are listed first in ``unknown``.
    """
    onnx_path = Path(onnx_path)
    sess = get_session(onnx_path)
    layout, ch, h, w = _input_layout(sess.input, onnx_path)
    graph = Graph(layout, ch, h, w, list(sess.outputs))
    family, guess = "", None
    for name in propose_order():
        propose = get_family(name).propose
        guess = propose(graph) if propose is not None else None
        if guess is not None:
            family = name
            break
    if guess is None:
        shapes = ", ".join(f"{o.name} {o.shape}" for o in sess.outputs)
        raise InferenceError(
            f"{onnx_path}: cannot tell the model family from its outputs ({shapes}); write "
            f"the card by hand"
        )
    k = guess.num_points
    dec = replace(DecoderSpec(), **guess.decoder)
    reasons = list(guess.reasons)
    unknown = [f"{f.key}: {f.help}" for f in get_family(family).required] + guess.unknown
    colour = "gray" if ch == 1 else "rgb"
    if ch == 3:
        unknown.append("input.colour: rgb or bgr (assumed rgb)")
        unknown.append("input.mean/std (assumed ImageNet)")
        mean, std = IMAGENET_MEAN, IMAGENET_STD
    else:
        unknown.append("input.pixel_scale/mean/std (assumed pixels / 255)")
        mean, std = (0.0,), (1.0,)
    scheme = _scheme(k)
    if scheme is None:
        unknown.append(f"scheme: no known landmark scheme has {k} points")
    unknown.append("provenance: source, paper and published numbers")
    onnx_ref = str(onnx_path.resolve())
    if card_path is not None:
        onnx_ref = os.path.relpath(onnx_path.resolve(), Path(card_path).resolve().parent)
    card = ModelCard(
        id=onnx_path.stem,
        name=onnx_path.stem,
        family=family,
        scheme=scheme,
        num_points=k,
        onnx=onnx_ref,
        sha256="",
        input=InputSpec(
            name=sess.input.name,
            size=(w, h),
            layout=layout,
            colour=colour,
            pixel_scale=1.0 / 255.0,
            mean=mean,
            std=std,
        ),
        crop=guess.crop,
        outputs=guess.outputs,
        decoder=dec,
        provenance=Provenance(notes="proposed by facealign-gui card from the ONNX shapes"),
        path=Path(card_path) if card_path is not None else None,
    )
    from facealign_gui.inference.card import file_sha256

    card.sha256 = file_sha256(onnx_path)
    return Proposal(card, unknown, reasons)
