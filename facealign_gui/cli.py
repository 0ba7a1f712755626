"""The ``facealign-gui`` entry point.

``facealign-gui [DATASET] [--model M] [--camera N | --video FILE]`` opens the window;
``facealign-gui COMMAND ...`` runs a headless sub-command. Sub-command modules are imported
only when they run, so ``--help`` and ``--version`` answer without loading numpy, Qt or
onnxruntime.

Each module in `COMMANDS` defines ``add_arguments(parser)`` and ``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from facealign_gui import __version__

# name -> (module, one-line help). Order is the order shown in --help.
COMMANDS: dict[str, tuple[str, str]] = {
    "info": ("facealign_gui.commands.info", "describe a dataset: format, scheme, counts, problems"),
    "convert": ("facealign_gui.commands.convert", "convert an annotation file between formats"),
    "score": ("facealign_gui.commands.score", "NME / FR / AUC of predictions against ground truth"),
    "predict": ("facealign_gui.commands.predict", "run a model over images or a dataset"),
    "eval": ("facealign_gui.commands.evaluate", "run a model over a dataset and score it"),
    "convert-model": (
        "facealign_gui.commands.convert_model",
        "rebuild a published checkpoint and export it to ONNX with a card",
    ),
    "card": ("facealign_gui.commands.card", "propose a model card for a bare .onnx file"),
    "quantize": (
        "facealign_gui.commands.quantize",
        "make an int8 copy of a model, calibrated and measured on a dataset",
    ),
}


def _gui_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="facealign-gui",
        description="Evaluate, inspect and label facial-landmark models.",
        epilog="commands:\n"
        + "\n".join(f"  {name:<14} {help_}" for name, (_, help_) in COMMANDS.items())
        + "\n\nRun 'facealign-gui COMMAND --help' for a command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"facealign-gui {__version__}")
    p.add_argument("dataset", nargs="?", help="dataset file or folder to open")
    p.add_argument("--model", help="model card (.toml) or .onnx file")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--camera", type=int, metavar="N", help="open camera N in the live view")
    src.add_argument("--video", metavar="FILE", help="open a video file in the live view")
    return p


def _command_parser(name: str) -> tuple[argparse.ArgumentParser, object]:
    module_name, help_ = COMMANDS[name]
    module = importlib.import_module(module_name)
    p = argparse.ArgumentParser(prog=f"facealign-gui {name}", description=help_)
    module.add_arguments(p)  # type: ignore[attr-defined]
    return p, module


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in COMMANDS:
        parser, module = _command_parser(args[0])
        # options may stand between positionals: `convert-model hrnet --dataset wflw CKPT -o X`
        ns = parser.parse_intermixed_args(args[1:])
        try:
            return int(module.run(ns))  # type: ignore[attr-defined]
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130
    ns = _gui_parser().parse_args(args)
    from facealign_gui.app.main import run_app

    return run_app(ns)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
