"""Propose a model card for a bare .onnx file from its input/output shapes.

What the graph tells: input size and layout, channel count (gray or colour), the number of
landmarks, and a family from the output pattern:

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
from dataclasses import dataclass, field
from pathlib import Path

from facealign_gui.inference.card import CropSpec, DecoderSpec, InputSpec, ModelCard, Provenance
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
    """A card for ``onnx_path`` (``onnx`` relative to ``card_path``'s folder if given)."""
    onnx_path = Path(onnx_path)
    sess = get_session(onnx_path)
    layout, ch, h, w = _input_layout(sess.input, onnx_path)
    outs = sess.outputs
    unknown: list[str] = []
    reasons: list[str] = []
    maps = [o for o in outs if o.rank == 4 and o.shape[1]]
    family = ""
    k = 0
    crop = CropSpec(rule="box", enlarge=1.2, box_source="dataset")
    dec = DecoderSpec()
    outputs: dict[str, str] = {}

    if len(outs) == 5 and len(maps) == 5:
        kk = [o.shape[1] for o in maps]
        if kk[0] == kk[1] == kk[2] and kk[3] == kk[4] and kk[3] % kk[0] == 0 and kk[3] > kk[0]:
            family, k = "pipnet", int(kk[0])
            dec.num_nb = int(kk[3] // kk[0])
            dec.net_stride = round(h / maps[0].shape[2]) if maps[0].shape[2] else 32
            dec.meanface = ""
            names = ("score_map", "offset_x", "offset_y", "nb_x", "nb_y")
            outputs = {o.name: m for o, m in zip(maps, names, strict=False)}
            crop = CropSpec(
                rule="pipnet_box",
                pad=(0.1, 0.1, 0.1, 0.1),
                clip=True,
                detector_pad=(0.1, -0.1, 0.1, 0.1),
            )
            reasons.append(
                f"5 map outputs with {k}, {k}, {k}, {k}x{dec.num_nb}, {k}x{dec.num_nb} "
                f"channels: PIPNet (net_stride {dec.net_stride}, num_nb {dec.num_nb})"
            )
            unknown.append(
                "decoder.meanface: the mean face file of the training set "
                "(PIPNet data/<dataset>/meanface.txt)"
            )
            unknown.append("crop.pad: box enlargement (PIPNet WFLW: 1.2 = 0.1 per side)")
    if not family and len(maps) == 2 and maps[0].shape[1] == maps[1].shape[1]:
        a, b = maps
        if a.shape[3] and b.shape[3] and b.shape[3] < a.shape[3]:
            family, k = "hih", int(a.shape[1])
            dec.offset_size = int(b.shape[3])
            outputs = {a.name: "heatmaps", b.name: "offset_heatmaps"}
            reasons.append(f"heatmaps {a.shape} + smaller maps {b.shape}: Heatmap-in-Heatmap")
            unknown.append("crop: HIH uses PFLD's square box of the landmarks x 1.2 (assumed)")
    if not family and maps:
        m = maps[0]
        k = int(m.shape[1])
        outputs = {m.name: "heatmaps"}
        mh, mw = m.shape[2], m.shape[3]
        if mw and mw * 4 == w and mh and mh * 4 == h and ch == 3:
            family = "hrnet"
            crop = CropSpec(rule="hrnet_center_scale", scale_factor=1.25)
            reasons.append(f"one heatmap output {m.shape} at 1/4 of the {w}x{h} input: HRNet-like")
        elif mw == w and mh == h and ch == 1:
            family = "hourglass"
            crop = CropSpec(rule="full_image")
            reasons.append(f"heatmaps {m.shape} at the input size on a gray input: hourglass")
        else:
            family = "heatmap"
            reasons.append(f"heatmap output {m.shape}: generic heatmap decoder")
            unknown.append(
                "decoder.subpixel and heatmap_stride (assumed quarter-pixel, input/heatmap ratio)"
            )
            unknown.append("crop rule (assumed a square box x 1.2)")
    if not family:
        for o in outs:
            s = o.shape
            if len(s) == 2 and s[1] and s[1] % 2 == 0:
                family, k = "regression", int(s[1] // 2)
            elif len(s) == 3 and s[1] and s[2] == 2:
                family, k = "regression", int(s[1])
            if family:
                outputs = {o.name: "coords"}
                dec.coords = "normalised"
                reasons.append(f"output {o.name!r} {s}: {k} (x, y) pairs, coordinate regression")
                unknown.append(
                    "decoder.coords: normalised [0, 1] of the crop or pixels (assumed normalised)"
                )
                unknown.append("crop rule (assumed a square box x 1.2)")
                break
    if not family:
        shapes = ", ".join(f"{o.name} {o.shape}" for o in outs)
        raise InferenceError(
            f"{onnx_path}: cannot tell the model family from its outputs ({shapes}); write "
            f"the card by hand"
        )
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
        crop=crop,
        outputs=outputs,
        decoder=dec,
        provenance=Provenance(notes="proposed by facealign-gui card from the ONNX shapes"),
        path=Path(card_path) if card_path is not None else None,
    )
    from facealign_gui.inference.card import file_sha256

    card.sha256 = file_sha256(onnx_path)
    return Proposal(card, unknown, reasons)
