"""Dataset file speed: our readers/writers vs bare pandas / ``repr`` baselines, same run.

Generates, in a temporary folder, a ``--rows`` x 98-point HRNet CSV (WFLW layout) and a WFLW
``list_98pt_rect_attr`` style list (196 coordinates with six decimals, an integer face rect,
six 0/1 flags, an image name), then times, interleaved so machine drift hits all alike:

- HRNet CSV read: ``pandas.read_csv`` (baseline: parsing only) vs `read_hrnet_csv` (parse +
  validate + build the `Dataset`) and `open_dataset` (+ detection and the image check);
- WFLW list read: ``pandas.read_csv(sep=" ", header=None)`` (baseline) vs `read_wflw_list`
  (parse + validate + HRNet centre/scale of every face), on the clean list and on the same
  list with one bad row: a non-number, a NUL byte, two values missing (the path that names
  ``file:line`` and should cost about one line more than the clean list);
- HRNet CSV write: a bare ``",".join(map(repr, row))`` over ``values.tolist()`` rows plus a
  plain ``write_text`` (baseline) vs `write_hrnet_csv` (centre/scale given, and derived from
  the points) and, for reference, `write_wflw_list` (six-decimal text, exactness check);
- the same write on the clean table (baseline) vs the table with one value below 1e-4,
  which ``repr`` writes with an exponent (the fast float text falls back for that value
  only, not for the whole table).

Prints the median (and min) wall time of ``--runs`` runs, the median CPU time, and ratios to
the baseline of each table.

    python benchmarks/bench_datasets.py [--rows 10000] [--runs 7]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from facealign_gui.datasets.hrnet_csv import read_hrnet_csv, write_hrnet_csv
from facealign_gui.datasets.io import open_dataset
from facealign_gui.datasets.model import Dataset
from facealign_gui.datasets.wflw_list import read_wflw_list, write_wflw_list


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


def make_wflw_list(path: Path, rows: int, k: int = 98, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    pts = rng.uniform(0, 1000, (rows, 2 * k))
    corner = rng.integers(0, 500, (rows, 2))
    flags = rng.integers(0, 2, (rows, 6))
    with open(path, "w") as f:
        for i in range(rows):
            x, y = corner[i].tolist()
            f.write(" ".join(f"{v:.6f}" for v in pts[i].tolist()))
            f.write(f" {x} {y} {x + 200} {y + 210} " + " ".join(map(str, flags[i].tolist())))
            f.write(f" {i // 100}--Group/img_{i}.jpg\n")


def bare_repr_write(ds: Dataset, out: Path) -> None:
    """Baseline: the same numbers as `write_hrnet_csv`, one ``repr`` join per row, no checks."""
    assert ds.points is not None and ds.scales is not None and ds.centers is not None
    n = len(ds)
    values = np.concatenate([ds.scales[:, None], ds.centers, ds.points.reshape(n, -1)], axis=1)
    lines = [
        name + "," + ",".join(map(repr, row))
        for name, row in zip(ds.images, values.tolist(), strict=True)
    ]
    out.write_text("\n".join(lines) + "\n")


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


def print_table(title: str, fns: dict[str, Callable[[], object]], runs: int) -> None:
    """Time ``fns`` (the first one is the baseline) and print one table."""
    first = next(iter(fns))
    fns[first]()  # warm the page cache and imports
    times, cpu = time_runs(fns, runs)
    base = statistics.median(times[first])
    cbase = statistics.median(cpu[first])
    print(f"\n{title}, median of {runs} runs")
    ratio = "vs base"
    print(f"{'':<34} {'wall s':>7} {'min s':>7} {ratio:>9} {'cpu s':>7} {ratio:>9}")
    for name, ts in times.items():
        med, cmed = statistics.median(ts), statistics.median(cpu[name])
        print(
            f"{name:<34} {med:>7.3f} {min(ts):>7.3f} {med / base:>8.2f}x "
            f"{cmed:>7.3f} {cmed / cbase:>8.2f}x"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    rows, runs = args.rows, args.runs
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "face_landmarks_wflw_bench.csv"
        make_csv(csv_path, rows)
        ds = read_hrnet_csv(csv_path)
        assert len(ds) == rows and ds.num_points == 98 and not ds.problems
        size = csv_path.stat().st_size / 1e6
        print_table(
            f"HRNet CSV read, {rows} rows x 98 points ({size:.1f} MB)",
            {
                "pandas.read_csv (baseline)": lambda: pd.read_csv(csv_path),
                "read_hrnet_csv": lambda: read_hrnet_csv(csv_path),
                "open_dataset (+ image check)": lambda: open_dataset(csv_path),
            },
            runs,
        )

        list_path = Path(tmp) / "list_98pt_rect_attr_test.txt"
        make_wflw_list(list_path, rows)
        lst = read_wflw_list(list_path)
        assert len(lst) == rows and lst.boxes is not None and not lst.problems
        size = list_path.stat().st_size / 1e6
        one_bad = Path(tmp) / "list_98pt_rect_attr_one_bad.txt"
        text = list_path.read_text().split("\n")
        text[rows // 2] = text[rows // 2].replace(" ", " x", 1)  # one non-number
        one_bad.write_text("\n".join(text))
        assert read_wflw_list(one_bad).skipped == 1
        nul_line = Path(tmp) / "list_98pt_rect_attr_nul.txt"
        text[rows // 2] = text[rows // 2].replace(" x", " \x00", 1)  # binary junk in a line
        nul_line.write_text("\n".join(text))
        short = Path(tmp) / "list_98pt_rect_attr_short.txt"
        text[rows // 2] = text[rows // 2].replace(" \x00", " ", 1).rsplit(" ", 2)[0]
        short.write_text("\n".join(text))  # one line two values short
        assert read_wflw_list(nul_line).skipped == 1 and read_wflw_list(short).skipped == 1
        print_table(
            f"WFLW list read, {rows} rows x 207 tokens ({size:.1f} MB)",
            {
                "pandas.read_csv sep=' ' (baseline)": lambda: pd.read_csv(
                    list_path, sep=" ", header=None
                ),
                "read_wflw_list": lambda: read_wflw_list(list_path),
                "read_wflw_list (1 bad row)": lambda: read_wflw_list(one_bad),
                "read_wflw_list (1 NUL in a row)": lambda: read_wflw_list(nul_line),
                "read_wflw_list (1 short row)": lambda: read_wflw_list(short),
            },
            runs,
        )

        out = Path(tmp) / "out"
        out.mkdir()
        derived = Dataset(
            format="x", scheme=ds.scheme, root=ds.root, images=ds.images, points=ds.points
        )
        print_table(
            f"Writing {rows} rows x 98 points",
            {
                "join(map(repr)) + write (baseline)": lambda: bare_repr_write(ds, out / "b.csv"),
                "write_hrnet_csv": lambda: write_hrnet_csv(ds, out / "w.csv"),
                "write_hrnet_csv (derive centres)": lambda: write_hrnet_csv(derived, out / "d.csv"),
                "write_wflw_list (rect_attr)": lambda: write_wflw_list(lst, out / "l.txt"),
            },
            runs,
        )

        assert ds.points is not None
        tiny = dataclasses.replace(ds, points=ds.points.copy())
        tiny.points[rows // 2, 3, 0] = 1e-5  # repr: "1e-05"
        print_table(
            f"Writing {rows} rows x 98 points: one value below 1e-4",
            {
                "write_hrnet_csv, clean (baseline)": lambda: write_hrnet_csv(ds, out / "c.csv"),
                "write_hrnet_csv, one value 1e-5": lambda: write_hrnet_csv(tiny, out / "t.csv"),
            },
            runs,
        )


if __name__ == "__main__":
    main()
