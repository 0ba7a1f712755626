"""Time NME + FR + AUC for 10,000 images of 98 points; target <= 50 ms.

Baseline, measured in the same run: the published style, a Python loop over images
(HRNet ``compute_nme``) and a Python loop over the 1001 CED thresholds (PIPNet
``compute_fr_and_auc``). Both must give the same numbers.

    python benchmarks/bench_metrics.py [--images 10000] [--repeats 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import numpy as np

from facealign_gui.core.metrics import nme_per_image, normalisers, simpson, summarize
from facealign_gui.core.schemes import get_scheme


def _data(n: int, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    gt = rng.random((n, k, 2)) * 200 + 50
    pred = gt + rng.normal(0, 4, (n, k, 2))
    return pred, gt


def vectorised(pred: np.ndarray, gt: np.ndarray) -> dict:
    norm = normalisers(gt, get_scheme("wflw98"))
    return summarize(nme_per_image(pred, gt, norm))


def naive(pred: np.ndarray, gt: np.ndarray) -> dict:
    nmes = np.zeros(pred.shape[0])
    for i in range(pred.shape[0]):
        interocular = np.linalg.norm(gt[i, 60] - gt[i, 72])
        nmes[i] = np.sum(np.linalg.norm(pred[i] - gt[i], axis=1)) / (interocular * pred.shape[1])
    xs = np.arange(0, 0.1 + 0.0001, 0.0001)
    ys = np.array([np.count_nonzero(nmes <= x) for x in xs]) / float(len(nmes))
    return {"nme": float(nmes.mean()), "fr": float(1.0 - ys[-1]), "auc": simpson(ys, xs) / 0.1}


def _median_ms(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median wall ms and median CPU ms (``time.process_time``) of ``repeats`` calls."""
    walls, cpus = [], []
    for _ in range(repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        walls.append((time.perf_counter() - t0) * 1000)
        cpus.append((time.process_time() - c0) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    pred, gt = _data(args.images, 98)

    a, b = vectorised(pred, gt), naive(pred, gt)
    for key in ("nme", "fr", "auc"):
        if not np.isclose(a[key], b[key], rtol=1e-12, atol=1e-12):
            raise SystemExit(f"results differ for {key}: {a[key]} vs {b[key]}")

    t_vec, c_vec = _median_ms(lambda: vectorised(pred, gt), args.repeats)
    t_naive, c_naive = _median_ms(lambda: naive(pred, gt), args.repeats)
    print(
        f"NME + FR + AUC, {args.images} images x 98 points, median of {args.repeats} runs, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    print(f"{'implementation':<34}{'wall ms':>10}{'CPU ms':>10}{'CPU vs baseline':>17}")
    print(f"{'baseline (per-image Python loop)':<34}{t_naive:>10.1f}{c_naive:>10.1f}{1.0:>16.2f}x")
    print(
        f"{'facealign_gui.core.metrics':<34}{t_vec:>10.1f}{c_vec:>10.1f}"
        f"{c_naive / max(c_vec, 1e-9):>16.2f}x"
    )
    print(f"target <= 50 ms: {'met' if t_vec <= 50 else 'NOT met'} (wall)")
    print(f"nme={a['nme']:.6f} fr={a['fr']:.4f} auc={a['auc']:.6f} (both implementations)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
