"""Time of one drag in the labelling window's edit path, with click-to-refine on and off.

A drag goes through `EditController.move_points`: the session writes the person's edit
(one SQLite transaction), and with click-to-refine on `RefineController` reads the image's
journal, fits the shape model (plus the heatmap re-read when the prediction has heatmaps)
and writes the refinement as a second edit in the same undo step. The baseline is the same
drag with click-to-refine off, timed in the same run. Each call drags a different point of
a fresh face by a few pixels (after 8 drags the face is replaced), so the journal grows as
in real use. Median of ``--repeats`` runs of ``--calls`` drags, wall and process CPU time,
against a frame (16.7 ms).

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_refine_window.py [--calls 60]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication

from facealign_gui.app.editing import EditController
from facealign_gui.app.refine_controller import RefineController
from facealign_gui.core.annotation import Prediction
from facealign_gui.core.shape_model import shipped_shape_model
from facealign_gui.session.store import Session

FRAME_MS = 1000.0 / 60.0


class _View(QObject):
    pointsMoved = Signal(object, object, object, str)

    def set_selection(self, _i: object) -> None: ...
    def set_annotation(self, *_a: object) -> None: ...
    def set_prediction(self, *_a: object) -> None: ...


def _session(folder: Path, scheme: str, n: int, heatmaps: bool) -> tuple[Session, list]:
    pdm = shipped_shape_model(scheme)
    assert pdm is not None
    k = pdm.num_points
    s = Session.create(folder / f"{scheme}{heatmaps}.fagsession",
                       [folder / f"im{i}.png" for i in range(n)], scheme=scheme)  # fmt: skip
    rng = np.random.default_rng(0)
    live = []
    for i in range(n):
        pts = pdm.mean * 80.0 + [128.0, 128.0] + rng.normal(0, 2.0, (k, 2))
        hm = m = None
        if heatmaps:
            pos = pts / 4.0
            yy, xx = np.mgrid[0:64, 0:64]
            d2 = (xx[None] - pos[:, 0, None, None]) ** 2 + (yy[None] - pos[:, 1, None, None]) ** 2
            hm = np.exp(-d2 / 4.5).astype(np.float16)
            m = np.array([[4.0, 0.0, 0.0], [0.0, 4.0, 0.0]])
        p = Prediction(pts, rng.uniform(0.3, 1.0, k).astype(np.float32), hm, m, "bench")
        s.set_prediction(i, p)
        live.append(p)
    return s, live


def _run(s: Session, live: list, calls: int, refine: bool) -> tuple[float, float, float | None]:
    view = _View()
    c = EditController(view, s)
    rc = RefineController(c, None)
    rc.refiner.enabled = refine
    for i, p in enumerate(live):
        rc.refiner.remember(i, p)
    rng = np.random.default_rng(1)
    wall, cpu, inner = [], [], []
    for j in range(calls):
        img = (j // 8) % len(s)
        if c.current != img:
            c.show(img)
        pts = s.annotation(img)
        base = live[img].points if pts is None else pts.points
        k = int(rng.integers(base.shape[0]))
        xy = base[[k]] + rng.normal(0, 3.0, (1, 2))
        t0, c0 = time.perf_counter(), time.process_time()
        c.move_points(np.array([k]), xy)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        if refine and rc.refiner.last_ms is not None:
            inner.append(rc.refiner.last_ms)
    rc.detach()
    c.close()
    med = statistics.median
    return med(wall) * 1e3, med(cpu) * 1e3, (med(inner) if inner else None)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=60)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    _app = QApplication.instance() or QApplication([])
    load = os.getloadavg()[0]
    print(f"one drag in the window's edit path, median of {args.repeats} x {args.calls} "
          f"(load average {load:.1f}, {os.cpu_count()} cores)")  # fmt: skip
    print(f"{'case':<34} {'off ms':>8} {'on ms':>8} {'on CPU':>8} {'refine':>8} {'ratio':>6}"
          f" {'frame':>6}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for scheme, hm in (("300w68", False), ("wflw98", False), ("wflw98", True)):
            s, live = _session(Path(tmp), scheme, 6, hm)
            off = [_run(s, live, args.calls, False) for _ in range(args.repeats)]
            on = [_run(s, live, args.calls, True) for _ in range(args.repeats)]
            s.close()
            o = statistics.median(r[0] for r in off)
            w = statistics.median(r[0] for r in on)
            cp = statistics.median(r[1] for r in on)
            inner = statistics.median(r[2] for r in on if r[2] is not None)
            name = f"{scheme}{' + heatmaps 64x64' if hm else ''}"
            print(f"{name:<34} {o:8.2f} {w:8.2f} {cp:8.2f} {inner:8.2f} {w / o:6.1f}"
                  f" {w / FRAME_MS:6.2f}")  # fmt: skip
    print("off: the drag's session write alone; on: + journal read, fit, refine edit write;")
    print("refine: the hook's own time (what the status line shows); frame = on / 16.7 ms")


if __name__ == "__main__":
    main()
