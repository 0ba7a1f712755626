"""``facealign-gui convert-model FAMILY CHECKPOINT -o OUT.onnx``: rebuild, export, write a card.

PyTorch is imported only inside `run`, through the family's converter module, so that
``facealign-gui --help`` stays fast and works without the ``[convert]`` extra.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from facealign_gui.commands._dataset_cli import emit_json
from facealign_gui.commands._outputs import same_file
from facealign_gui.convert import FAMILIES, ConvertError

#: temporary folders a conversion stages its files in, beside the output
TEMP_PREFIX = ".facealign-convert-"

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
        "--overwrite", action="store_true", help="replace an existing ONNX file and card"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--random-weights",
        action="store_true",
        help="export a randomly initialised network (for benchmarks; no checkpoint)",
    )


def run(args: argparse.Namespace) -> int:
    def fail(message: str, code: int) -> int:
        return _fail(message, code, args.json)

    if (args.checkpoint is None) == (not args.random_weights):
        return fail("give a CHECKPOINT or --random-weights (not both)", 2)
    out = Path(args.output)
    if out.suffix.lower() != ".onnx":
        return fail(f"{out}: the output must end in .onnx", 2)
    card_out = out.with_suffix(".toml")
    inputs = [Path(x) for x in (args.checkpoint, args.meanface) if x]
    for src in inputs:
        for dst in (out, card_out):
            if same_file(src, dst):
                return fail(f"{src} is both an input and the output {dst}; choose another -o", 2)
    if not args.overwrite:
        existing = [str(p) for p in (out, card_out) if p.exists()]
        if existing:
            return fail(f"{' and '.join(existing)} already exist(s) (use --overwrite)", 2)
    module_name, _ = FAMILIES[args.family]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == "torch":
            return fail(
                "PyTorch is needed to convert checkpoints; install the optional extra: "
                "pip install 'facealign-gui[convert]'",
                1,
            )
        raise
    from facealign_gui.inference.card import file_sha256, save_card

    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_staging(out.parent)
    t0 = time.perf_counter()
    with _staging_dir(out.parent) as work:
        staged = work / out.name
        try:
            result = module.convert(
                None if args.random_weights else Path(args.checkpoint),
                staged,
                dataset=args.dataset,
                backbone=args.backbone,
                meanface=args.meanface,
            )
        except ConvertError as exc:
            return fail(str(exc), 1)
        seconds = time.perf_counter() - t0
        if result.max_abs_diff > MAX_EXPORT_DIFF:
            return fail(
                f"{out}: ONNX output differs from PyTorch by {result.max_abs_diff:.3g} "
                f"(> {MAX_EXPORT_DIFF}); not kept",
                1,
            )
        extras = []
        for name, src in result.extra_files.items():
            dst = out.parent / name
            if same_file(Path(src), dst):
                continue  # the mean face already lies where the card expects it
            shutil.copyfile(src, work / name)
            extras.append((work / name, dst))
        result.card.sha256 = file_sha256(staged)
        save_card(result.card, work / card_out.name)
        # Never an ONNX beside a card that does not describe it: the old card goes first,
        # then the ONNX, then the card that names its checksum.
        card_out.unlink(missing_ok=True)
        for src, dst in extras:
            os.replace(src, dst)
        os.replace(staged, out)
        os.replace(work / card_out.name, card_out)
    result.card.path = card_out
    report = {
        "family": args.family,
        "dataset": args.dataset,
        "onnx": str(out),
        "card": str(card_out),
        "extra_files": [str(dst) for _, dst in extras],
        "seconds": seconds,
        "max_abs_diff": result.max_abs_diff,
        "random_weights": bool(args.random_weights),
    }
    if args.json:
        emit_json(report)
    else:
        print(f"wrote {out} and {card_out} in {seconds:.1f} s")
        print(f"max |onnx - torch| on a random batch: {result.max_abs_diff:.2e}")
    return 0


def _fail(message: str, code: int, as_json: bool) -> int:
    print(f"convert-model: {message}", file=sys.stderr)
    if as_json:
        emit_json({"error": message})
    return code


@contextlib.contextmanager
def _staging_dir(folder: Path) -> Iterator[Path]:
    """A private folder beside the output, removed afterwards whatever happens."""
    work = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", dir=folder))
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _remove_stale_staging(folder: Path) -> None:
    """Remove staging folders a killed conversion left (their process is gone)."""
    for d in folder.glob(f"{TEMP_PREFIX}*"):
        pid = d.name[len(TEMP_PREFIX) :].split("-", 1)[0]
        if d.is_dir() and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(d, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
