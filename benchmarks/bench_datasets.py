"""Loading speed of an HRNet CSV: our loader vs a bare ``pandas.read_csv`` of the same file.

Generates a 10,000-row, 98-point HRNet CSV (WFLW layout) in a temporary folder, then times,
interleaved, ``pandas.read_csv`` (the baseline: parsing only), `read_hrnet_csv` (parse +
validate every row + build the `Dataset`) and `open_dataset` (detection + the same + the
missing-image check). Prints the median of ``--runs`` runs and the ratio to the baseline.

    python benchmarks/bench_datasets.py [--rows 10000] [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from facealign_gui.datasets.hrnet_csv import read_hrnet_csv
from facealign_gui.datasets.io import open_dataset


def make_csv(path: Path, rows: int, k: int = 98, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    head = ["image_name", "scale", "center_w", "center_h"]
    head += [f"original_{i}_{c}" for i in range(k) for c in "xy"]
    pts = rng.uniform(0, 1000, (rows, 2 * k))
    with open(path, "w") as f:
        f.write(",".join(head) + "\n")
        for i in range(rows):
            f.write(f"{i // 100}--Group/img_{i}.jpg,{rng.uniform(0.5, 3):.3f},400.0,300.5,")
            f.write(",".join(map(repr, pts[i].tolist())) + "\n")


def time_runs(
    fns: dict[str, Callable[[], object]], runs: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall and CPU seconds of every run (CPU time is steadier on a busy machine)."""
    wall: dict[str, list[float]] = {name: [] for name in fns}
    cpu: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(runs):
        for name, fn in fns.items():  # interleaved, so drift hits every contender alike
            t, c = time.perf_counter(), time.process_time()
            fn()
            wall[name].append(time.perf_counter() - t)
            cpu[name].append(time.process_time() - c)
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "face_landmarks_wflw_bench.csv"
        make_csv(path, args.rows)
        ds = read_hrnet_csv(path)
        assert len(ds) == args.rows and ds.num_points == 98 and not ds.problems
        fns = {
            "pandas.read_csv (baseline)": lambda: pd.read_csv(path),
            "read_hrnet_csv": lambda: read_hrnet_csv(path),
            "open_dataset (+ image check)": lambda: open_dataset(path),
        }
        fns["pandas.read_csv (baseline)"]()  # warm the page cache and imports
        times, cpu = time_runs(fns, args.runs)
        size = path.stat().st_size / 1e6
    base = statistics.median(times["pandas.read_csv (baseline)"])
    cbase = statistics.median(cpu["pandas.read_csv (baseline)"])
    print(f"HRNet CSV, {args.rows} rows x 98 points ({size:.1f} MB), median of {args.runs} runs")
    ratio = "vs pandas"
    print(f"{'loader':<30} {'wall s':>7} {'min s':>7} {ratio:>10} {'cpu s':>7} {ratio:>10}")
    for name, ts in times.items():
        med, cmed = statistics.median(ts), statistics.median(cpu[name])
        print(
            f"{name:<30} {med:>7.3f} {min(ts):>7.3f} {med / base:>9.2f}x "
            f"{cmed:>7.3f} {cmed / cbase:>9.2f}x"
        )


if __name__ == "__main__":
    main()
