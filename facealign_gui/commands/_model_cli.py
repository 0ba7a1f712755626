"""Shared bits of the model commands (predict, eval): options, loading, a progress line."""

from __future__ import annotations

import argparse
import sys
import time


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="model card (.toml), .onnx, or built-in id")
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
