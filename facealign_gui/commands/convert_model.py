"""``facealign-gui convert-model FAMILY CHECKPOINT -o OUT.onnx``: rebuild, export, write a card.

PyTorch is imported only inside `run`, through the family's converter module, so that
``facealign-gui --help`` stays fast and works without the ``[convert]`` extra.
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import sys
import time
from pathlib import Path

from facealign_gui.convert import FAMILIES, ConvertError

DATASETS = ("wflw", "300w", "cofw", "aflw")
PIPNET_BACKBONES = ("resnet18", "resnet50", "resnet101", "mobilenet_v2", "mobilenet_v3")
# an export whose outputs differ more than this from eager PyTorch is not written as good
MAX_EXPORT_DIFF = 1e-3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("family", choices=list(FAMILIES), help="network family")
    parser.add_argument(
        "checkpoint",
        nargs="?",
        help="PyTorch checkpoint (.pth/.ckpt, weights only); omit with --random-weights",
    )
    parser.add_argument("-o", "--output", required=True, metavar="OUT.onnx", help="ONNX file")
    parser.add_argument(
        "--dataset",
        choices=DATASETS,
        help="dataset the checkpoint was trained on (sets the number of points and the card)",
    )
    parser.add_argument(
        "--backbone", choices=PIPNET_BACKBONES, help="PIPNet backbone (default resnet18)"
    )
    parser.add_argument(
        "--meanface",
        metavar="FILE",
        help="PIPNet: the dataset's mean face (meanface.txt from the authors' data folder)",
    )
    parser.add_argument(
        "--random-weights",
        action="store_true",
        help="export a randomly initialised network (for benchmarks; no checkpoint)",
    )


def run(args: argparse.Namespace) -> int:
    if (args.checkpoint is None) == (not args.random_weights):
        print("convert-model: give a CHECKPOINT or --random-weights (not both)", file=sys.stderr)
        return 2
    out = Path(args.output)
    if out.suffix.lower() != ".onnx":
        print(f"convert-model: {out}: the output must end in .onnx", file=sys.stderr)
        return 2
    module_name, _ = FAMILIES[args.family]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == "torch":
            print(
                "convert-model: PyTorch is needed to convert checkpoints; install the "
                "optional extra: pip install 'facealign-gui[convert]'",
                file=sys.stderr,
            )
            return 1
        raise
    from facealign_gui.inference.card import save_card

    t0 = time.perf_counter()
    try:
        result = module.convert(
            None if args.random_weights else Path(args.checkpoint),
            out,
            dataset=args.dataset,
            backbone=args.backbone,
            meanface=args.meanface,
        )
    except ConvertError as exc:
        print(f"convert-model: {exc}", file=sys.stderr)
        return 1
    seconds = time.perf_counter() - t0
    if result.max_abs_diff > MAX_EXPORT_DIFF:
        out.unlink(missing_ok=True)
        print(
            f"convert-model: {out}: ONNX output differs from PyTorch by "
            f"{result.max_abs_diff:.3g} (> {MAX_EXPORT_DIFF}); not kept",
            file=sys.stderr,
        )
        return 1
    for name, src in result.extra_files.items():
        shutil.copyfile(src, out.parent / name)
    from facealign_gui.inference.card import file_sha256

    result.card.sha256 = file_sha256(out)
    card_path = save_card(result.card, out.with_suffix(".toml"))
    print(f"wrote {out} and {card_path} in {seconds:.1f} s")
    print(f"max |onnx - torch| on a random batch: {result.max_abs_diff:.2e}")
    return 0
