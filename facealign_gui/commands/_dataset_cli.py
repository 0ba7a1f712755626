"""Shared bits of the dataset commands (info, convert, score): JSON output, errors."""

from __future__ import annotations

import json
import math
import sys
from typing import Any, TextIO

#: how faces are paired and counted; the epilog of `score --help` and `eval --help`
SCORING_NOTE = (
    "Faces are paired by image path (exact relative path first; a base name only when it is "
    "unique on both sides), several faces in one image by position; never by row order. A "
    "ground-truth face with no usable prediction (unmatched, failed, NaN or missing points) "
    "is 'missing': it is left out of the mean NME, counts as a failure in FR, and as an error "
    "beyond the threshold in the CED and AUC. --strict exits 1 when any face is missing or "
    "unmatched."
)


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
        missing = s.get("missing_count", s.get("missing", 0))
        return (
            f"{name:<{width}} {s['count']:>6} {missing:>8} {100 * s['nme']:>8.3f} "
            f"{100 * s['fr']:>7.2f} {s['auc']:>7.4f}"
        )

    # "faces" are the scored ones the mean NME averages; "missing" ones (no usable
    # prediction) count as failures in FR and as errors beyond the threshold in AUC
    print(f"{'subset':<{width}} {'faces':>6} {'missing':>8} {'NME %':>8} {'FR %':>7} {'AUC':>7}")
    print(row("all", summary))
    for name, sub in summary["subsets"].items():
        print(row(name, sub))


def print_missing(missing: list[dict], limit: int = 20) -> None:
    """The faces with no usable prediction and why (stderr), as `score` and `eval` list them."""
    if not missing:
        return
    print(
        f"{len(missing)} faces have no usable prediction (counted as failures in FR and AUC):",
        file=sys.stderr,
    )
    for m in missing[:limit]:
        print(f"  {m['reason'] or m['image']}", file=sys.stderr)
    if len(missing) > limit:
        print(f"  ... and {len(missing) - limit} more", file=sys.stderr)


def nothing_usable(ds: object, path: object) -> tuple[str, list[str]] | None:
    """Why a dataset that loaded holds no face at all (every row skipped), or None.

    A command then stops with this message and the problems, instead of writing or scoring
    nothing and exiting 0.
    """
    if len(ds) > 0:  # type: ignore[arg-type]
        return None
    skipped = int(getattr(ds, "skipped", 0))
    problems = [str(p) for p in getattr(ds, "problems", [])]
    if skipped:
        return f"{path}: every one of its {skipped} rows was skipped; nothing to use", problems
    return f"{path}: holds no faces", problems


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
