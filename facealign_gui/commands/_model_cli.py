"""Shared bits of the model commands (predict, eval): options, loading, a progress line."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

#: the embedded offline default: BlazeFace + MediaPipe face mesh, 68 iBUG points
DEFAULT_MODEL = "mediapipe_face_landmark"
#: the default for 98-point (WFLW) data, used when the package ships it
DEFAULT_MODEL_98 = "mediapipe_face_landmark_98"
_MODELS = Path(__file__).resolve().parents[1] / "models"


def default_model(num_points: int | None = None) -> str:
    """The built-in model used when ``--model`` is not given: the embedded default, in its
    98-point WFLW form for 98-point data when that card is installed."""
    if num_points == 98 and (_MODELS / f"{DEFAULT_MODEL_98}.toml").is_file():
        return DEFAULT_MODEL_98
    return DEFAULT_MODEL


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        default=None,
        help=f"model card (.toml), .onnx, or built-in id (default: the embedded offline model "
        f"{DEFAULT_MODEL}; {DEFAULT_MODEL_98} for 98-point data where installed)",
    )
    parser.add_argument(
        "--mode",
        choices=("official", "precise"),
        default="official",
        help="crop/decode like the published code (official) or without its truncations",
    )
    parser.add_argument("--batch-size", type=int, default=8, help="faces per runtime call (8)")
    parser.add_argument("--threads", type=int, default=None, help="onnxruntime intra-op threads")
    parser.add_argument("--workers", type=int, default=2, help="image reader threads (2)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


class Progress:
    """A one-line progress bar on stderr, redrawn at most 10 times a second."""

    def __init__(self, label: str, enabled: bool = True) -> None:
        self.label = label
        self.enabled = enabled
        self.start = time.perf_counter()
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        rate = done / max(now - self.start, 1e-9)
        width = 30
        filled = int(width * done / max(total, 1))
        bar = "#" * filled + "-" * (width - filled)
        sys.stderr.write(f"\r{self.label} [{bar}] {done}/{total} {rate:6.1f} faces/s")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    def finish(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


def failure_line(image: str, message: str) -> str:
    """``image: message``, without naming the image twice when the message already does."""
    text = message.strip()
    names = {image, Path(image).name}
    if any(n and (text.startswith(n) or f"{n}:" in text) for n in names):
        return text
    return f"{image}: {text}"


def strip_image(image: str, message: str) -> str:
    """``message`` without a leading ``image:`` (for JSON, where the image has its own key)."""
    text = message.strip()
    base = Path(image).name
    for n in (image, base):
        if n and text.startswith(n + ":"):
            return text[len(n) + 1 :].strip()
    head, sep, rest = text.partition(f"{base}:") if base else ("", "", "")
    if sep and " " not in head:  # a longer path to the same image, e.g. an absolute one
        return rest.strip()
    return text
