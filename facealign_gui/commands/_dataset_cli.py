"""Shared bits of the dataset commands (info, convert, score): JSON output, errors."""

from __future__ import annotations

import json
import math
import sys
from typing import Any, TextIO


def clean(value: Any) -> Any:
    """``value`` with NaN/inf floats replaced by None and numpy scalars made plain."""
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def emit_json(obj: dict) -> None:
    """Print exactly one JSON object on stdout."""
    sys.stdout.write(json.dumps(clean(obj), allow_nan=False) + "\n")


def fail(message: str, problems: list[str] | None, as_json: bool, code: int = 2) -> int:
    """Report an error (stderr, and as a JSON object on stdout with --json); return ``code``."""
    print(f"error: {message}", file=sys.stderr)
    for p in problems or []:
        print(f"  {p}", file=sys.stderr)
    if as_json:
        emit_json({"error": message, "problems": problems or []})
    return code


def print_problems(problems: list[object], limit: int = 20, stream: TextIO | None = None) -> None:
    """The first ``limit`` problems (on stderr by default), then how many more."""
    out = sys.stderr if stream is None else stream
    for p in problems[:limit]:
        print(f"  {p}", file=out)
    if len(problems) > limit:
        print(f"  ... and {len(problems) - limit} more", file=out)


def print_summary_table(summary: dict, width: int = 14) -> None:
    """The per-subset NME / FR / AUC table `score` and `eval` print (``summarize`` keys)."""

    def row(name: str, s: dict) -> str:
        return (
            f"{name:<{width}} {s['count']:>6} {100 * s['nme']:>8.3f} {100 * s['fr']:>7.2f} "
            f"{s['auc']:>7.4f}"
        )

    print(f"{'subset':<{width}} {'faces':>6} {'NME %':>8} {'FR %':>7} {'AUC':>7}")
    print(row("all", summary))
    for name, sub in summary["subsets"].items():
        print(row(name, sub))


def add_orientation_argument(parser: Any) -> None:
    """``--orientation stored|displayed`` (see `datasets.images`): how image files are read."""
    parser.add_argument(
        "--orientation",
        choices=("stored", "displayed"),
        default="stored",
        help="read JPEGs in stored-pixel order, ignoring EXIF orientation, as HRNet's loader "
        "and MATLAB do (default), or as displayed, with the EXIF rotation applied",
    )


def apply_orientation(ds: Any, args: Any) -> None:
    """Give ``ds`` the ``--orientation`` the user chose (no-op when the command lacks it)."""
    from facealign_gui.datasets.images import set_orientation

    set_orientation(ds, getattr(args, "orientation", "stored"))
