"""Live view on a video file: the real capture and inference threads, frames/s, latency, CPU.

Drives `app.live_worker.CaptureWorker` and `InferenceWorker` (the live view's workers: the
`tasks.live` loops on `GeneratorWorker` threads) on a synthetic 640×480 video of a moving
face, paced at the file's 30 frames/s, and prints per mode: processed frames/s,
capture-to-result latency (median, p95), how often the detector ran, and the process's
**CPU ms per processed frame** against the model's own CPU ms per frame (the detector + mesh
called in a bare loop on the same frames, one thread, no spinning, measured in the same run).
Target: CPU per frame ≤ 1.5× the model's.

Modes: ``before`` (what the live view did before: onnxruntime's default threads with spinning,
the detector and the model's full ``predict`` on every frame), ``detect every frame`` (one
thread, no spinning, the live detector and one fast pass per face) and ``tracking`` (the same,
with the detector on the first frame, when a face is lost and every ``REDETECT_EVERY``
frames). "model alone" is the live detector + one fast pass per face in a bare loop. Runs
alternate; the table shows medians over ``--runs``.

    python benchmarks/bench_live.py [--frames 240] [--runs 3] [--face IMAGE]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def make_video(path: Path, face: np.ndarray, frames: int, fps: float = 30.0) -> None:
    """A 640×480 MJPG video of ``face`` drifting slowly on a grey background."""
    h, w = 480, 640
    scale = min(300 / face.shape[0], 300 / face.shape[1])
    small = cv2.resize(face, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    fh, fw = small.shape[:2]
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    for i in range(frames):
        frame = np.full((h, w, 3), 90, np.uint8)
        x = int(100 + 80 * np.sin(i / 40.0))
        y = int(60 + 30 * np.cos(i / 55.0))
        frame[y : y + fh, x : x + fw] = small
        out.write(frame)
    out.release()


class PredictOnly:
    """The predictor through its full ``predict`` only (what the live view called before)."""

    def __init__(self, predictor) -> None:
        self.predict = predictor.predict


def model_cpu_per_frame(video: Path, detector, predictor, limit: int = 60) -> float:
    """CPU ms per frame of the model alone: the live detector and one fast pass per face
    (``track_from``), on the first ``limit`` frames of ``video``, in a bare loop."""
    cap = cv2.VideoCapture(str(video))
    frames = []
    while len(frames) < limit:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(f)
    cap.release()
    run = getattr(predictor, "track_from", predictor.predict)
    for f in frames[:3]:  # warm-up
        for face in detector(f):
            run(f, face)
    c0 = time.process_time()
    for f in frames:
        for face in detector(f):
            run(f, face)
    return 1000 * (time.process_time() - c0) / len(frames)


def run_live(video: Path, detector, predictor, redetect_every: int) -> dict[str, float]:
    from PySide6.QtCore import QCoreApplication, Qt

    from facealign_gui.app.live_worker import CaptureWorker, InferenceWorker, LatestFrameSlot

    QCoreApplication.instance() or QCoreApplication([])
    slot = LatestFrameSlot()
    capture = CaptureWorker(str(video), slot, pace=True)
    infer = InferenceWorker(slot, predictor=predictor, detector=detector)
    infer.redetect_every = redetect_every
    latencies: list[float] = []
    infer.processed.connect(lambda f: latencies.append(f.latency), Qt.DirectConnection)
    c0, t0 = time.process_time(), time.perf_counter()
    infer.start()
    capture.start()
    capture.wait()
    infer.wait()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    n = len(latencies)
    tracker = infer.tracker
    return {
        "fps": n / wall,
        "latency_ms": 1000 * statistics.median(latencies),
        "latency_p95_ms": 1000 * float(np.percentile(latencies, 95)),
        "cpu_ms": 1000 * cpu / max(n, 1),
        "detections": tracker.detections / max(tracker.frames, 1) if tracker else float("nan"),
        "processed": n,
        "dropped": slot.dropped,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=240)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--face", type=Path, default=SHARED / "fixtures" / "takeo.ppm")
    args = ap.parse_args()
    if not args.face.is_file():
        print(f"no face image at {args.face}; pass --face IMAGE", file=sys.stderr)
        return 2
    import functools

    from facealign_gui.inference.detect import detect_faces
    from facealign_gui.inference.loader import load_predictor
    from facealign_gui.inference.runtime import SessionConfig, session_config
    from facealign_gui.inference.tracking import REDETECT_EVERY, live_detector

    live = session_config("live")
    detector = functools.partial(live_detector, threads=live)
    predictor = load_predictor("mediapipe_face_landmark", threads=live)  # type: ignore[arg-type]
    # before: onnxruntime's default threads with spinning, the detector as `predict` calls it,
    # and the model's full predict on every frame
    spin = SessionConfig(None, True)
    old_detector = functools.partial(detect_faces, threads=spin)
    old_predictor = PredictOnly(load_predictor("mediapipe_face_landmark", threads=spin))
    face = cv2.imread(str(args.face))
    with tempfile.TemporaryDirectory() as tmp:
        video = Path(tmp) / "face.avi"
        make_video(video, face, args.frames)
        model = model_cpu_per_frame(video, detector, predictor)
        modes = {
            "before": (old_detector, old_predictor, 1),
            "detect every frame": (detector, predictor, 1),
            "tracking": (detector, predictor, REDETECT_EVERY),
        }
        results: dict[str, list[dict[str, float]]] = {m: [] for m in modes}
        for _ in range(args.runs):  # alternate the modes run by run
            for name, (det, pred, every) in modes.items():
                results[name].append(run_live(video, det, pred, every))
    print(f"live view, {args.frames} frames 640x480 at 30 fps, {os.cpu_count()} cores, "
          f"median of {args.runs} alternating runs; model alone (detect+mesh, 1 thread): "
          f"{model:.1f} CPU ms/frame")  # fmt: skip
    head = (f"{'mode':<20} {'frames/s':>9} {'lat ms':>7} {'p95 ms':>7} {'CPU ms/fr':>10} "
            f"{'x model':>8} {'detector':>9}")  # fmt: skip
    print(head)
    print("-" * len(head))
    for name, rows in results.items():
        med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
        print(f"{name:<20} {med['fps']:>9.1f} {med['latency_ms']:>7.1f} "
              f"{med['latency_p95_ms']:>7.1f} {med['cpu_ms']:>10.1f} {med['cpu_ms'] / model:>8.2f} "
              f"{100 * med['detections']:>8.0f}%")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
