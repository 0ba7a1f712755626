"""Time of one click-to-refine call (`inference.refine.refine`), against a frame (16.7 ms).

Rows: the shipped 300-W (68) and WFLW (98) shape models, a synthetic prediction (the mean
shape, jittered) with some points fixed. "first drag" is the first call on a face (it
conditions the prior on that face's confidences); "next drags" reuse that (the confidences
do not change between drags on one face); "heatmaps" re-reads 64 x 64 heatmaps around the fit
(3 rounds, each a first-drag fit as the re-read confidences change). The baseline is one
dense ``np.linalg.solve`` of the 2K x 2K system, timed in the same run. Median of
``--repeats`` runs of ``--calls`` calls, wall and process CPU time.

    python benchmarks/bench_refine.py [--calls 200] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from facealign_gui.core.refine import RefineSettings, prior_for
from facealign_gui.core.shape_model import load_shape_model
from facealign_gui.inference.refine import refine

MODELS = Path(__file__).resolve().parents[1] / "facealign_gui" / "models"
FRAME_MS = 1000.0 / 60.0


def _rows(name: str, fixed_n: int) -> list[tuple[str, Callable[[], object]]]:
    pdm = load_shape_model(MODELS / f"shape_{name}.npz")
    k = pdm.num_points
    rng = np.random.default_rng(0)
    pts = pdm.mean * 80.0 + [128.0, 128.0] + rng.normal(0, 2.0, (k, 2))
    conf = rng.uniform(0.3, 1.0, k)
    fixed = np.zeros(k, bool)
    fixed[rng.choice(k, fixed_n, replace=False)] = True
    settings = RefineSettings()
    cache = prior_for(pdm, settings)
    hm_pos = (pts - 0.0) / 4.0
    yy, xx = np.mgrid[0:64, 0:64]
    heatmaps = np.exp(
        -((xx[None] - hm_pos[:, 0, None, None]) ** 2 + (yy[None] - hm_pos[:, 1, None, None]) ** 2)
        / 4.5
    ).astype(np.float32)
    to_image = np.array([[4.0, 0.0, 0.0], [0.0, 4.0, 0.0]])
    a = cache.prior + cache.error + np.eye(2 * k) * 1e-3
    b = np.ones(2 * k)

    def first() -> object:
        cache._updates.clear()
        return refine(pts, conf, fixed, pdm, predicted=pts)

    label = f"{name} K={k}, {fixed_n} fixed"
    return [
        (f"{label}: baseline, one 2K x 2K solve", lambda: np.linalg.solve(a, b)),
        (f"{label}: first drag on a face", first),
        (f"{label}: next drags", lambda: refine(pts, conf, fixed, pdm, predicted=pts)),
        (
            f"{label}: heatmaps, 3 re-reads",
            lambda: refine(pts, conf, fixed, pdm, heatmaps, to_image, predicted=pts),
        ),
    ]


def _time(fn: Callable[[], object], calls: int, repeats: int) -> tuple[float, float]:
    for _ in range(5):
        fn()
    wall, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(calls):
            fn()
        wall.append((time.perf_counter() - t0) / calls)
        cpu.append((time.process_time() - c0) / calls)
    return statistics.median(wall), statistics.median(cpu)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"cpu_count {os.cpu_count()}, load average before {os.getloadavg()[0]:.2f}; "
          f"median of {args.repeats} x {args.calls} calls")  # fmt: skip
    print(f"| {'what':<52} | {'ms/call':>8} | {'CPU ms':>7} | {'x baseline':>10} "
          f"| {'of a frame':>10} |")  # fmt: skip
    print(f"|{'-' * 54}|{'-' * 10}|{'-' * 9}|{'-' * 12}|{'-' * 12}|")
    for name, fixed_n in (("300w68", 1), ("300w68", 17), ("wflw98", 25)):
        base = None
        for what, fn in _rows(name, fixed_n):
            w, c = _time(fn, args.calls, args.repeats)
            base = base or w
            print(f"| {what:<52} | {w * 1e3:8.3f} | {c * 1e3:7.3f} | {w / base:10.1f} "
                  f"| {w * 1e3 / FRAME_MS:9.1%} |")  # fmt: skip
    print(f"load average after {os.getloadavg()[0]:.2f} (other processes share the cores)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
