"""``facealign-gui quantize CARD --calibrate DATASET -o OUT.onnx``: an opt-in int8 model.

Static QDQ int8 (see `facealign_gui.inference.quantize`): calibrated on part of DATASET's
faces, measured on held-out faces of it (NME float vs int8, speed-up), both written on the
new card OUT.toml beside OUT.onnx. Dynamic quantization is refused: it measured 4-7x slower
than float on these conv models. A speed-up below 1.2x is warned about.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from facealign_gui.commands._dataset_cli import emit_json, fail

DYNAMIC_REFUSAL = (
    "dynamic quantization is not offered: on these conv models it measured 4-7x slower "
    "than float (activations are quantized at every call and the int8 kernels lose to float "
    "Conv); quantize leaves it out and makes a static QDQ int8 model instead (the default)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("card", metavar="CARD", help="model card (.toml), .onnx, or built-in id")
    parser.add_argument(
        "--calibrate", required=True, metavar="DATASET", help="annotated dataset to calibrate on"
    )
    parser.add_argument("-o", "--output", required=True, metavar="OUT.onnx", help="int8 model")
    parser.add_argument("--calibrate-faces", type=int, default=64, help="faces to calibrate on")
    parser.add_argument("--heldout-faces", type=int, default=64, help="faces to measure on")
    parser.add_argument("--mode", choices=("official", "precise"), default="official")
    parser.add_argument("--threads", type=int, default=None, help="onnxruntime intra-op threads")
    parser.add_argument("--overwrite", action="store_true", help="replace OUT.onnx / OUT.toml")
    parser.add_argument("--dynamic", action="store_true", help="refused: explains why")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    from facealign_gui.datasets.model import DatasetError
    from facealign_gui.inference.loader import resolve_card
    from facealign_gui.inference.quantize import quantize_card
    from facealign_gui.inference.types import InferenceError

    if args.dynamic:
        return fail(DYNAMIC_REFUSAL, None, args.json)
    if args.calibrate_faces < 1 or args.heldout_faces < 1:
        return fail("--calibrate-faces and --heldout-faces must be at least 1", None, args.json)
    out = Path(args.output)
    card_out = out.with_suffix(".toml")
    if out.suffix.lower() != ".onnx":
        return fail(f"{out}: the output must end in .onnx", None, args.json)
    existing = [p for p in (out, card_out) if p.exists()]
    if existing and not args.overwrite:
        return fail(f"{existing[0]} exists; pass --overwrite to replace it", None, args.json)
    try:
        card = resolve_card(args.card)
        result = quantize_card(
            card,
            args.calibrate,
            out,
            calibrate_faces=args.calibrate_faces,
            heldout_faces=args.heldout_faces,
            mode=args.mode,
            threads=args.threads,
            log=(lambda m: None) if args.json else (lambda m: print(m, file=sys.stderr)),
        )
    except DatasetError as e:
        return fail(f"cannot read {args.calibrate}", [str(p) for p in e.problems], args.json)
    except (InferenceError, ValueError) as e:
        return fail(str(e), None, args.json)
    q = result.quantization
    for w in result.warnings:
        print(f"warning: {w}", file=sys.stderr)
    summary = {
        "card": str(result.card.path),
        "onnx": str(out),
        "calibration_faces": q.calibration_faces,
        "heldout_faces": q.heldout_faces,
        "nme_float": q.nme_float,
        "nme_int8": q.nme_int8,
        "nme_change": q.nme_int8 - q.nme_float,
        "float_ms_per_face": result.float_ms,
        "int8_ms_per_face": result.int8_ms,
        "speedup": q.speedup,
        "warnings": result.warnings,
    }
    if args.json:
        emit_json(summary)
    else:
        print(f"wrote {out} and {result.card.path}")
        print(
            f"held-out faces: {q.heldout_faces}  NME float {q.nme_float:.5f}  int8 "
            f"{q.nme_int8:.5f}  change {q.nme_int8 - q.nme_float:+.5f}"
        )
        print(
            f"ms per face: float {result.float_ms:.2f}  int8 {result.int8_ms:.2f}  "
            f"speed-up {q.speedup:.2f}x"
        )
    return 0
