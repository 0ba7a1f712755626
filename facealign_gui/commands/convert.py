"""``facealign-gui convert IN OUT [--to FORMAT]``: rewrite annotations in another format."""

from __future__ import annotations

import argparse
import os
import sys

from facealign_gui.commands._dataset_cli import (
    add_orientation_argument,
    apply_orientation,
    emit_json,
    fail,
    nothing_usable,
    print_problems,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from facealign_gui.datasets import formats

    ends = formats.output_suffixes_text()
    parser.add_argument("input", metavar="IN", help="annotation file or folder to read")
    parser.add_argument("output", metavar="OUT", help=f"file ({ends}) or folder (.pts) to write")
    parser.add_argument(
        "--to",
        metavar="FORMAT",
        help=f"output format: {formats.names_text(writable=True)} (default: from OUT)",
    )
    parser.add_argument(
        "--format", help=f"input format: {formats.names_text()} (detected when omitted)"
    )
    parser.add_argument("--strict", action="store_true", help="refuse input with any problem")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing OUT")
    add_orientation_argument(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    from facealign_gui.datasets.io import open_dataset, write_dataset
    from facealign_gui.datasets.model import DatasetError

    if os.path.exists(args.output) and os.path.realpath(args.output) == os.path.realpath(
        args.input
    ):
        return fail(f"refusing to overwrite the input {args.input}: choose another OUT", None,
                    args.json)  # fmt: skip
    try:
        ds = open_dataset(args.input, format=args.format, check_images=False)
    except DatasetError as e:
        return fail(f"cannot read {args.input}", [str(p) for p in e.problems], args.json)
    apply_orientation(ds, args)
    empty = nothing_usable(ds, args.input)
    if empty:
        return fail(empty[0], empty[1], args.json, 1)
    problems = [str(p) for p in ds.problems]
    if args.strict and problems:
        return fail(f"{args.input} has {len(problems)} problems (--strict)", problems, args.json, 1)
    try:
        fmt = write_dataset(ds, args.output, args.to, overwrite=args.overwrite)
    except DatasetError as e:
        lines = [str(p) for p in e.problems]
        if any("output format" in line for line in lines):
            from facealign_gui.datasets.formats import names_text

            lines.append(f"name the output format with --to ({names_text(writable=True)})")
        return fail(f"cannot write {args.output}", lines, args.json)
    except OSError as e:
        return fail(f"cannot write {args.output}: {e.strerror}", None, args.json)
    result = {
        "input": args.input,
        "output": args.output,
        "format": fmt,
        "count": len(ds),
        "skipped": ds.skipped,
        "problems": problems,
    }
    if args.json:
        emit_json(result)
    else:
        print(f"wrote {len(ds)} faces to {args.output} ({fmt})")
        if problems:
            print(f"{len(problems)} problems in {args.input}:", file=sys.stderr)
            print_problems(ds.problems)
    return 0
