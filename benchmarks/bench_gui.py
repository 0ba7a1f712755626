"""GUI responsiveness, offscreen: open, switch, drag, and UI stalls during a run.

Run: ``QT_QPA_PLATFORM=offscreen python benchmarks/bench_gui.py [--rows 10000] [--repeat 5]``

Prints one table (medians of ``--repeat`` runs; p95/p99 over many events):

- open: a 10,000-row HRNet CSV from ``open_path`` to the first paint of its first image
  (target <= 1 s); baseline: ``open_dataset`` alone (no window).
- switch: J to the next image with 98 ground-truth points, a prediction and its heatmap
  overlay, until the new image is painted, p95 (target <= 50 ms); baseline: the same switch
  with points only (no model).
- drag: one drag step of a point among 98 (update + repaint), p95.
- stall: longest gap of a 5 ms QTimer heartbeat while the model runs over the dataset, p99
  and max (target p99 <= 50 ms); baseline: the same heartbeat with no run.
- decodes: image-file decodes per shown image while browsing with a model and no run
  (every row its own file; the view and the shown image's prediction share one decode),
  mean and max (target: 1).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "app"))

import numpy as np
from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def spin_until(app: QApplication, cond: object, timeout: float = 30.0) -> None:
    """Run the event loop until ``cond()`` (checked every 1 ms, without busy-waiting)."""
    if cond():  # type: ignore[operator]
        return
    loop = QEventLoop()
    t_end = time.perf_counter() + timeout
    timer = QTimer()
    timer.setInterval(1)

    def check() -> None:
        if cond() or time.perf_counter() > t_end:  # type: ignore[operator]
            loop.quit()

    timer.timeout.connect(check)
    timer.start()
    loop.exec()
    timer.stop()
    if not cond():  # type: ignore[operator]
        raise TimeoutError("benchmark step timed out")


def make_data(folder: Path, rows: int) -> tuple[Path, Path]:
    import _gui_data

    from facealign_gui.datasets.hrnet_csv import write_hrnet_csv
    from facealign_gui.datasets.io import open_dataset

    lst = _gui_data.write_wflw_dataset(folder, n=rows, seed=3, size=800, distinct_images=40)
    csv = folder / "face_landmarks_wflw_test.csv"
    write_hrnet_csv(open_dataset(lst), csv)
    return csv, _gui_data.write_tiny_model(folder / "model")


class PaintClock:
    """Records when the image view's image item was last painted."""

    def __init__(self, item: object) -> None:
        self.t = 0.0
        self.count = 0
        orig = item.paint  # type: ignore[attr-defined]

        def paint(*a: object) -> None:
            orig(*a)
            self.t = time.perf_counter()
            self.count += 1

        item.paint = paint  # type: ignore[attr-defined]


def new_window(tmp: Path) -> object:
    from facealign_gui.app.main_window import MainWindow
    from facealign_gui.app.settings import Preferences

    w = MainWindow(Preferences(QSettings(str(tmp / "prefs.ini"), QSettings.Format.IniFormat)))
    w.resize(1500, 920)
    w.show()
    return w


def bench_open(app: QApplication, tmp: Path, csv: Path, repeat: int) -> tuple[list, list]:
    from facealign_gui.datasets.io import open_dataset

    gui, base = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        open_dataset(csv)
        base.append(time.perf_counter() - t0)
        w = new_window(tmp)
        app.processEvents()
        clock = PaintClock(w.view.image_item)
        t0 = time.perf_counter()
        w.open_path(csv)
        spin_until(app, lambda w=w, c=clock: w.inspector.image is not None and c.count > 0)
        gui.append(clock.t - t0)
        w.close()
        w.deleteLater()
        app.processEvents()
    return gui, base


def bench_switch(
    app: QApplication, w: object, steps: int, with_model: bool, pace: float = 0.0
) -> list[float]:
    """Press J ``steps`` times; time from the key to the new image painted. With ``pace``
    the next press waits that long after the last one (a person browsing)."""
    clock = PaintClock(w.view.image_item)
    ins = w.inspector
    times = []
    for _ in range(steps):
        if pace:
            spin_until(app, _after(pace))
        before = ins.current
        count = clock.count
        t0 = time.perf_counter()
        w.dataset_dock.step(1)

        def shown(before: int = before, count: int = count) -> bool:
            if ins.current == before or ins._image_index != ins.current:
                return False
            if clock.count == count:
                return False
            if with_model:
                p = ins.current_prediction()
                return (
                    p is not None and p.heatmaps is not None and w.view.heat_item.image is not None
                )
            return True

        spin_until(app, shown)
        times.append(clock.t - t0 if clock.t > t0 else time.perf_counter() - t0)
    return times


def bench_drag(app: QApplication, w: object, steps: int) -> list[float]:
    view = w.view
    view.set_editable(True)
    pts = view.annotation_points()
    idx = np.array([10])
    times = []
    for s in range(steps):
        xy = pts[idx] + (s % 7) * 0.5
        t0 = time.perf_counter()
        view.drag_to(idx, xy)
        view.repaint()
        app.processEvents()
        times.append(time.perf_counter() - t0)
    return times


def bench_decodes(app: QApplication, tmp: Path, card: Path, n: int = 30) -> list[int]:
    """Browse ``n`` rows with a model (each row its own image file, nothing cached); how often
    was each shown image's file decoded, by anyone (view, prediction, prefetch)?"""
    from collections import Counter

    import _gui_data

    from facealign_gui.datasets import images

    lst = _gui_data.write_wflw_dataset(tmp / "decodes", n=n + 4, seed=5, size=400)
    real = images.decode_image  # the one decode every image path goes through
    counts: Counter[str] = Counter()

    def counting(data: object, name: str, *a: object, **k: object) -> object:
        counts[str(name)] += 1
        return real(data, name, *a, **k)

    images.decode_image = counting  # type: ignore[assignment]
    try:
        w = new_window(tmp)
        ins = w.inspector
        w.open_path(lst)
        spin_until(app, lambda: ins.image is not None)
        ins.open_model(card)
        spin_until(
            app, lambda: ins.predictor is not None and ins.model_id != "mediapipe_face_landmark"
        )
        shown = []
        for _ in range(n):
            w.dataset_dock.step(1)
            spin_until(app, lambda: ins._image_index == ins.current and ins.current_prediction())
            shown.append(str(ins.ds.image_path(ins.current)))
            spin_until(app, _after(0.05))
        spin_until(app, _after(0.3))
        w.close()
        return [counts[p] for p in shown]
    finally:
        images.decode_image = real  # type: ignore[assignment]


def heartbeat(app: QApplication, until: object, ms: int = 5) -> list[float]:
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(ms)
    timer.timeout.connect(tick)
    timer.start()
    spin_until(app, until, timeout=300)
    timer.stop()
    return gaps


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--switches", type=int, default=60)
    ap.add_argument("--run-rows", type=int, default=600, help="rows of the stall run")
    args = ap.parse_args()

    import pyqtgraph as pg

    app = QApplication.instance() or QApplication([])
    pg.setConfigOptions(imageAxisOrder="row-major")
    rows = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        t0 = time.perf_counter()
        csv, card = make_data(tmp / "data", args.rows)
        print(
            f"made {args.rows:,} rows (40 distinct 800x800 images) in "
            f"{time.perf_counter() - t0:.1f} s",
            file=sys.stderr,
        )

        gui, base = cpu(
            "open: window + open_dataset, per repeat",
            args.repeat,
            bench_open,
            app,
            tmp,
            csv,
            args.repeat,
        )
        rows.append(
            (
                "open 10k rows -> first image painted (s)",
                statistics.median(gui),
                max(gui),
                "<= 1 s",
                statistics.median(base),
                "open_dataset only",
            )
        )

        w = new_window(tmp)
        w.open_path(csv)
        spin_until(app, lambda: w.inspector.image is not None)
        base_sw = cpu("switch, points only", args.switches, bench_switch, app, w, args.switches, with_model=False)  # fmt: skip  # noqa: E501
        paced_base = cpu("switch, points only, paced", args.switches // 2, bench_switch, app, w, args.switches // 2, with_model=False, pace=0.15)  # fmt: skip  # noqa: E501
        ins = w.inspector
        ins.open_model(card)
        spin_until(app, lambda: ins.predictor is not None)
        w.heatmaps.set_mode("crop")
        w.dataset_dock.go_to_row(args.rows // 2)
        spin_until(app, lambda: ins.current_prediction() is not None)
        cold = cpu("switch, on demand", args.switches // 2, bench_switch, app, w, args.switches // 2, with_model=True)  # fmt: skip  # noqa: E501

        dr = cpu("drag step", 200, bench_drag, app, w, 200)

        idle = heartbeat(app, _after(1.5))
        w.dataset_dock.go_to_row(0)
        n_run = min(args.run_rows, args.rows)
        ins.hub.set_shown(ins.current, ins._nearby(0))
        ins.hub.start_run(ins.predictor, ins.ds, list(range(n_run)))
        t0 = time.perf_counter()
        gaps = cpu(f"run (per face, {n_run} faces)", n_run, heartbeat, app, lambda: not ins.hub.running())  # fmt: skip  # noqa: E501
        run_s = time.perf_counter() - t0
        app.processEvents()
        warm = cpu("switch after a run", args.switches, bench_switch, app, w, args.switches, with_model=True)  # fmt: skip  # noqa: E501
        w.dataset_dock.go_to_row(0)  # browse the same rows again, now at a person's pace
        spin_until(app, lambda: ins._image_index == ins.current)
        paced = cpu("switch after a run, paced", args.switches // 2, bench_switch, app, w, args.switches // 2, with_model=True, pace=0.15)  # fmt: skip  # noqa: E501

        rows.append(
            (
                "switch image, 98 pts only, no model (ms)",
                1e3 * statistics.median(base_sw),
                1e3 * pct(base_sw, 95),
                "p95 <= 50 ms",
                float("nan"),
                "(baseline)",
            )
        )
        rows.append(
            (
                "switch after a run: 98 pts + pred + heatmap (ms)",
                1e3 * statistics.median(warm),
                1e3 * pct(warm, 95),
                "p95 <= 50 ms",
                1e3 * pct(base_sw, 95),
                "p95, points only",
            )
        )
        rows.append(
            (
                "  points only, J every 150 ms (ms)",
                1e3 * statistics.median(paced_base),
                1e3 * pct(paced_base, 95),
                "p95 <= 50 ms",
                float("nan"),
                "(baseline)",
            )
        )
        rows.append(
            (
                "  after a run, J every 150 ms (ms)",
                1e3 * statistics.median(paced),
                1e3 * pct(paced, 95),
                "p95 <= 50 ms",
                1e3 * pct(paced_base, 95),
                "p95, points only",
            )
        )
        rows.append(
            (
                "switch, no run yet: predicted on demand (ms)",
                1e3 * statistics.median(cold),
                1e3 * pct(cold, 95),
                "(informative)",
                1e3 * pct(base_sw, 95),
                "p95, points only",
            )
        )
        rows.append(
            (
                "drag step, 1 of 98 points, update + repaint (ms)",
                1e3 * statistics.median(dr),
                1e3 * pct(dr, 95),
                "p95 <= 16 ms",
                float("nan"),
                "",
            )
        )
        rows.append(
            (
                "UI stall during a run, heartbeat gap (ms)",
                1e3 * pct(gaps, 99),
                1e3 * max(gaps),
                "p99 <= 50 ms",
                1e3 * pct(idle, 99),
                "p99, idle",
            )
        )
        print(
            f"run: {n_run:,} rows in {run_s:.1f} s ({n_run / run_s:.0f} faces/s)", file=sys.stderr
        )
        w.close()
        dec = bench_decodes(app, tmp, card)
        rows.append(
            (
                "decodes per shown image, with a model (count)",
                float(np.mean(dec)),
                float(max(dec)),
                "= 1",
                float("nan"),
                "mean / max over 30 rows",
            )
        )

    print()
    print(
        f"{'measure':<52} {'median/p99':>11} {'p95/max':>9} {'target':>13} "
        f"{'baseline':>9}  baseline is"
    )
    for name, a, b, target, base_v, base_name in rows:
        print(f"{name:<52} {a:>11.3f} {b:>9.3f} {target:>13} {base_v:>9.3f}  {base_name}")
    print(
        "\nrow 1: median and max over --repeat opens; rows 2-3: median and p95 over steps;"
        " row 4: p99 and max heartbeat gap (5 ms timer)."
    )
    print(f"\nCPU (time.process_time, every thread), load average {os.getloadavg()[0]:.2f}")
    print(f"{'phase':<40} {'CPU ms per step':>16}")
    for name, ms in CPU.items():
        print(f"{name:<40} {ms:>16.2f}")
    return 0


CPU: dict[str, float] = {}


def cpu(label: str, steps: int, fn: Any, *a: Any, **kw: Any) -> Any:
    """``fn(*a, **kw)``, recording its process CPU ms per step under ``label``."""
    c0 = time.process_time()
    out = fn(*a, **kw)
    CPU[label] = (time.process_time() - c0) * 1000 / max(steps, 1)
    return out


def _after(seconds: float) -> object:
    end = time.perf_counter() + seconds
    return lambda: time.perf_counter() >= end


if __name__ == "__main__":
    sys.exit(main())
