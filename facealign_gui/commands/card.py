"""``facealign-gui card MODEL.onnx [-o CARD.toml] [--json]``: propose a model card.

The proposal comes from the ONNX input/output shapes; what they cannot tell (colour order,
mean/std, PIPNet mean face, ...) is listed, and written as comments on top of the card.
"""

from __future__ import annotations

import argparse
import sys

from facealign_gui.commands._dataset_cli import emit_json, fail


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", metavar="MODEL.onnx", help="a bare ONNX model")
    parser.add_argument("-o", "--output", metavar="CARD.toml", help="write the card here")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing card")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from facealign_gui.inference.card import card_to_toml, save_card
    from facealign_gui.inference.propose import propose_card
    from facealign_gui.inference.types import InferenceError

    if args.output and Path(args.output).exists() and not args.overwrite:
        return fail(f"{args.output}: already exists (use --overwrite)", None, args.json)
    try:
        proposal = propose_card(args.model, card_path=args.output)
    except InferenceError as e:
        return fail(str(e), None, args.json)
    card = proposal.card
    comment = "\n".join(
        [
            "Proposed by 'facealign-gui card' from the ONNX shapes.",
            *proposal.reasons,
            "Check these (not inferable from the graph):",
            *(f"  - {u}" for u in proposal.unknown),
        ]
    )
    if args.output:
        try:
            save_card(card, args.output, comment=comment)
        except OSError as e:
            return fail(f"{args.output}: cannot write card ({e.strerror})", None, args.json)
    if args.json:
        emit_json(
            {
                "card": card.to_dict(),
                "family": card.family,
                "reasons": proposal.reasons,
                "unknown": proposal.unknown,
                "written": args.output,
            }
        )
        return 0
    if args.output:
        print(f"wrote {args.output} ({card.family}, {card.num_points} points)")
        for u in proposal.unknown:
            print(f"  check: {u}", file=sys.stderr)
    else:
        print("".join(f"# {line}".rstrip() + "\n" for line in comment.splitlines()), end="")
        print(card_to_toml(card), end="")
    return 0
