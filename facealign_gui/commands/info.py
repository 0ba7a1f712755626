"""``facealign-gui info DATASET``: format, scheme, counts, subsets and problems."""

from __future__ import annotations

import argparse
import sys

from facealign_gui.commands._dataset_cli import emit_json, fail, print_problems


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from facealign_gui.datasets import formats

    parser.add_argument("dataset", help="annotation file or folder")
    parser.add_argument(
        "--format", help=f"input format: {formats.names_text()} (detected when omitted)"
    )
    parser.add_argument("--scheme", help="expected landmark scheme, e.g. wflw98")
    parser.add_argument("--images", metavar="DIR", help="folder the image names are relative to")
    parser.add_argument("--strict", action="store_true", help="exit 1 on any problem")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    from facealign_gui.datasets.io import open_dataset
    from facealign_gui.datasets.model import DatasetError

    try:
        ds = open_dataset(
            args.dataset, format=args.format, scheme=args.scheme, image_root=args.images
        )
    except DatasetError as e:
        return fail(f"cannot read {args.dataset}", [str(p) for p in e.problems], args.json)
    subsets = {"all": len(ds), **{k: len(v) for k, v in ds.subsets.items()}}
    info = {
        "path": str(args.dataset),
        "format": ds.format,
        "scheme": ds.scheme,
        "count": len(ds),
        "num_points": ds.num_points,
        "root": str(ds.root),
        "subsets": subsets,
        "attributes": sorted(ds.attributes),
        "problems": [str(p) for p in ds.problems],
        "skipped": ds.skipped,
    }
    code = 1 if args.strict and ds.problems else 0
    if args.json:
        emit_json(info)
        return code
    print(f"{info['path']}")
    print(f"  format   {ds.format}")
    print(f"  scheme   {ds.scheme or '-'} ({ds.num_points or 0} points)")
    print(f"  faces    {len(ds)}  (skipped {ds.skipped})")
    print(f"  images   under {ds.root}")
    for name, count in subsets.items():
        print(f"  subset   {name:<14} {count}")
    if ds.problems:
        print(f"  problems {len(ds.problems)}:")
        print_problems(ds.problems, stream=sys.stdout)
    return code
