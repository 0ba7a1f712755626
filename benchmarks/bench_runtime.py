"""onnxruntime session settings per kind of work: threads x spinning, latency and CPU.

For each model and each `SessionConfig` (threads: onnxruntime's default or 1; spinning on
or off) three workloads, run in alternation (one round visits every config, ``--rounds``
rounds, medians):

paced:   one input every ``--period`` ms (the live view, the window's on-demand predictions):
         median latency of a call and CPU ms per call, the idle time between calls included
         (that is where spinning threads burn a core).
batch:   batches of ``--batch`` inputs back to back: inputs/s and CPU ms per input.
pipeline (HRNet only) `run_predictions` over ``--faces`` 640x480 JPEG faces, as ``eval`` runs
         it (2 reader threads cropping while the session runs): faces/s and CPU ms per face.

CPU is ``time.process_time()`` of this process (every onnxruntime thread counts), the
steadier number on a shared machine. Models: the embedded BlazeFace detector and MediaPipe
mesh, and a random-weight HRNetV2-W18 (``--hrnet FILE.onnx``, else exported with torch when
it is installed).

    python benchmarks/bench_runtime.py [--rounds 3] [--period 33] [--hrnet hrnet.onnx]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from facealign_gui.inference.runtime import ModelSession, SessionConfig

MODELS = Path(__file__).resolve().parents[1] / "facealign_gui" / "models"
CONFIGS = [
    SessionConfig(None, True),
    SessionConfig(None, False),
    SessionConfig(1, True),
    SessionConfig(1, False),
]


def _label(c: SessionConfig) -> str:
    return f"threads={c.threads or 'default'} spin={'on' if c.spinning else 'off'}"


def _hrnet(path: str | None, folder: Path) -> Path | None:
    if path:
        return Path(path)
    try:
        import torch

        from facealign_gui.convert.export import onnx_bytes, write_atomic
        from facealign_gui.convert.hrnet import build_hrnet_w18
    except ImportError:
        print("(no torch: HRNet-W18 skipped; pass --hrnet FILE.onnx)")
        return None
    torch.manual_seed(0)
    out = folder / "hrnet_w18.onnx"
    write_atomic(out, onnx_bytes(build_hrnet_w18(68), (1, 3, 256, 256), "input", ["heatmaps"]))
    return out


def _input(sess: ModelSession, n: int) -> np.ndarray:
    shape = [n if i == 0 else (d or 1) for i, d in enumerate(sess.input.shape)]
    return np.random.default_rng(0).random(shape).astype(sess.input.dtype)


def paced(sess: ModelSession, x: np.ndarray, period: float, calls: int) -> tuple[float, float]:
    """Median latency (s) of a call and CPU seconds per call, one call every ``period``."""
    lat = []
    c0 = time.process_time()
    nxt = time.perf_counter()
    for _ in range(calls):
        t0 = time.perf_counter()
        sess.run(x)
        lat.append(time.perf_counter() - t0)
        nxt += period
        time.sleep(max(0.0, nxt - time.perf_counter()))
    return statistics.median(lat), (time.process_time() - c0) / calls


def batch(sess: ModelSession, x: np.ndarray, calls: int) -> tuple[float, float]:
    """Inputs per second and CPU seconds per input, batches back to back."""
    c0, t0 = time.process_time(), time.perf_counter()
    for _ in range(calls):
        sess.run(x)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    n = calls * x.shape[0]
    return n / wall, cpu / n


def pipeline_runs(path: Path, args: argparse.Namespace, folder: Path) -> None:
    """`run_predictions` over JPEG faces with an HRNet card for ``path``, per config."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_pipeline import make_data

    from facealign_gui.datasets.io import open_dataset
    from facealign_gui.inference.card import load_card, save_card
    from facealign_gui.inference.pipeline import run_predictions
    from facealign_gui.inference.predictor import CardPredictor

    card_path, csv = make_data(folder, args.faces)
    card = load_card(card_path)
    card.onnx, card.sha256 = str(path.resolve()), ""
    save_card(card, card_path)
    ds = open_dataset(csv)
    preds = {c: CardPredictor(load_card(card_path), threads=c) for c in CONFIGS}
    for p in preds.values():  # warm-up
        list(run_predictions(p, ds, indices=range(2), keep_heatmaps=False))
    res: dict[SessionConfig, list[tuple[float, float]]] = {c: [] for c in CONFIGS}
    for _ in range(args.rounds):
        for c in CONFIGS:
            c0, t0 = time.process_time(), time.perf_counter()
            list(run_predictions(preds[c], ds, keep_heatmaps=False))
            res[c].append((time.perf_counter() - t0, time.process_time() - c0))
    print(f"\npipeline: run_predictions over {args.faces} JPEG faces (eval's defaults)")
    print(f"{'config':<28}{'faces/s':>10}{'CPU ms/face':>13}{'faces/s ratio':>15}")
    base = args.faces / statistics.median(w for w, _ in res[CONFIGS[0]])
    for c in CONFIGS:
        fps = args.faces / statistics.median(w for w, _ in res[c])
        cpu = statistics.median(x for _, x in res[c]) / args.faces
        print(f"{_label(c):<28}{fps:>10.2f}{cpu * 1000:>13.1f}{fps / base:>15.2f}")


def bench_model(name: str, path: Path, args: argparse.Namespace) -> None:
    sessions = {c: ModelSession(path, threads=c) for c in CONFIGS}
    first = sessions[CONFIGS[0]]
    one = _input(first, 1)
    many = _input(first, args.batch) if first.dynamic_batch else one
    for s in sessions.values():  # warm-up
        s.run(one)
        s.run(many)
    t0 = time.perf_counter()
    first.run(one)
    period = max(args.period / 1000.0, 2.0 * (time.perf_counter() - t0))
    res: dict[SessionConfig, list[tuple[float, float, float, float]]] = {c: [] for c in CONFIGS}
    for _ in range(args.rounds):
        for c in CONFIGS:
            lat, cpu = paced(sessions[c], one, period, args.calls)
            fps, cpu_b = batch(sessions[c], many, max(2, args.calls // 4))
            res[c].append((lat, cpu, fps, cpu_b))
    base = CONFIGS[0]
    med = {c: [statistics.median(r[k] for r in res[c]) for k in range(4)] for c in CONFIGS}
    print(
        f"\n{name}: paced = 1 input every {period * 1000:.0f} ms; batch = {many.shape[0]} "
        f"inputs a call; medians of {args.rounds} alternating rounds"
    )
    print(
        f"{'config':<28}{'paced ms':>10}{'paced CPU ms':>14}{'CPU ratio':>11}"
        f"{'batch in/s':>12}{'batch CPU ms/in':>17}{'in/s ratio':>12}"
    )
    for c in CONFIGS:
        lat, cpu, fps, cpu_b = med[c]
        print(
            f"{_label(c):<28}{lat * 1000:>10.2f}{cpu * 1000:>14.2f}"
            f"{cpu / med[base][1]:>11.2f}{fps:>12.1f}{cpu_b * 1000:>17.2f}"
            f"{fps / med[base][2]:>12.2f}"
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--calls", type=int, default=20, help="paced calls per round")
    ap.add_argument("--period", type=float, default=33.0, help="ms between paced calls")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--hrnet", help="HRNet ONNX file (default: export a random-weight W18)")
    ap.add_argument("--faces", type=int, default=24, help="faces per pipeline run (HRNet)")
    ap.add_argument("--only", help="comma-separated subset of: blazeface,mesh,hrnet,pipeline")
    args = ap.parse_args()
    only = set(args.only.split(",")) if args.only else {"blazeface", "mesh", "hrnet", "pipeline"}
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        models = []
        if "blazeface" in only:
            models.append(("BlazeFace detector 128x128", MODELS / "blazeface_short_range.onnx"))
        if "mesh" in only:
            models.append(("MediaPipe mesh 192x192", MODELS / "mediapipe_face_landmark.onnx"))
        hr = _hrnet(args.hrnet, Path(tmp)) if {"hrnet", "pipeline"} & only else None
        if hr is not None and "hrnet" in only:
            models.append(("HRNetV2-W18 256x256 (random weights)", hr))
        for name, path in models:
            bench_model(name, path, args)
        if hr is not None and "pipeline" in only:
            (Path(tmp) / "pipeline").mkdir()
            pipeline_runs(hr, args, Path(tmp) / "pipeline")
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
