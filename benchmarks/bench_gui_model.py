"""The window with a real-size model: the new image and its ground truth within 50 ms (p95),
the prediction drawn when it is ready, never blocking the switch.

Run: ``QT_QPA_PLATFORM=offscreen python benchmarks/bench_gui_model.py [--card CARD]``

Without ``--card`` a random-weight HRNetV2-W18 (256×256 input, 98 heatmaps of 64×64: the
published model's size and cost) is exported with ``facealign-gui convert-model hrnet
--random-weights`` (needs the ``[convert]`` extra). On a 10,000-row HRNet CSV of 800×800
images the benchmark presses J and measures, per press:

- image: key -> the new image with its 98 ground-truth points painted (target p95 <= 50 ms);
- prediction: key -> that image's prediction drawn (informative: the model's own time when
  it was not prefetched);

browsing fast (back to back) and at a person's pace (a press every 400 ms, which leaves the
window idle time to prefetch the next rows' predictions). Baseline in the same run: the same
switch with no model loaded. Wall and process CPU per press are printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_gui import PaintClock, _after, make_data, new_window, pct, spin_until
from PySide6.QtWidgets import QApplication


def hrnet_card(folder: Path) -> Path:
    out = folder / "hrnet_w18_random.onnx"
    subprocess.run(
        [sys.executable, "-m", "facealign_gui.cli", "convert-model", "hrnet", "--dataset",
         "wflw", "--random-weights", "-o", str(out)],
        check=True, capture_output=True,
    )  # fmt: skip
    return out.with_suffix(".toml")


def browse(app: QApplication, w: object, steps: int, pace: float, model: bool) -> dict:
    """Press J ``steps`` times; per press the time to the image and to the prediction."""
    ins = w.inspector  # type: ignore[attr-defined]
    clock = PaintClock(w.view.image_item)  # type: ignore[attr-defined]
    image_t, pred_t = [], []
    c0 = time.process_time()
    for _ in range(steps):
        if pace:
            spin_until(app, _after(pace))
        before, count = ins.current, clock.count
        t0 = time.perf_counter()
        w.dataset_dock.step(1)  # type: ignore[attr-defined]

        def shown(before: int = before, count: int = count) -> bool:
            return (
                ins.current != before and ins._image_index == ins.current and (clock.count != count)
            )

        spin_until(app, shown)
        image_t.append(clock.t - t0 if clock.t > t0 else time.perf_counter() - t0)
        if model:
            spin_until(app, lambda: ins.current_prediction() is not None, timeout=60)
            pred_t.append(time.perf_counter() - t0)
    cpu_ms = 1000 * (time.process_time() - c0) / steps
    return {"image": image_t, "pred": pred_t, "cpu_ms": cpu_ms}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--card", type=Path, help="model card (default: random HRNetV2-W18)")
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--switches", type=int, default=40)
    args = ap.parse_args()
    import pyqtgraph as pg

    app = QApplication.instance() or QApplication([])
    pg.setConfigOptions(imageAxisOrder="row-major")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        csv, _ = make_data(tmp / "data", args.rows)
        card = args.card or hrnet_card(tmp)
        w = new_window(tmp)
        w.open_path(csv)
        ins = w.inspector
        spin_until(app, lambda: ins.image is not None)
        base = browse(app, w, args.switches, 0.0, model=False)
        ins.open_model(card)
        spin_until(app, lambda: ins.predictor is not None and "hrnet" in ins.model_id, 120)
        w.dataset_dock.go_to_row(args.rows // 2)
        spin_until(app, lambda: ins.current_prediction() is not None, 60)
        fast = browse(app, w, args.switches, 0.0, model=True)
        paced = browse(app, w, args.switches // 2, 0.4, model=True)
        model_id = ins.model_id
        w.close()
    print(f"window with {model_id}, {args.rows:,} rows of 800x800 images, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    head = f"{'switch (J)':<44} {'median ms':>10} {'p95 ms':>8} {'CPU ms/press':>13} {'target':>14}"
    print(head)
    print("-" * len(head))

    def row(name: str, xs: list[float], cpu_ms: float, target: str) -> None:
        print(f"{name:<44} {1e3 * statistics.median(xs):>10.1f} {1e3 * pct(xs, 95):>8.1f} "
              f"{cpu_ms:>13.1f} {target:>14}")  # fmt: skip

    row("no model: image + 98 GT points (baseline)", base["image"], base["cpu_ms"], "")
    row("model, back to back: image + GT", fast["image"], fast["cpu_ms"], "p95 <= 50 ms")
    row("model, back to back: prediction drawn", fast["pred"], fast["cpu_ms"], "(informative)")
    row("model, every 400 ms: image + GT", paced["image"], paced["cpu_ms"], "p95 <= 50 ms")
    row("model, every 400 ms: prediction drawn", paced["pred"], paced["cpu_ms"], "(informative)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
