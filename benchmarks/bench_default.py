"""Speed of the embedded default model: detection + landmarks, live and over a folder.

Live rows: 640x480 BGR frames with the takeo fixture (shared/fixtures/takeo.ppm) scaled by 2
and pasted in the middle (without the fixture, a synthetic frame is used and the landmark
rows are skipped). The baseline is the two raw ``session.run`` calls of the old default
(short-range detector + one landmark pass) on ready-made tensors, measured in the same run.
The row the live view should match is ``FaceTracker.step`` (inference/tracking.py):
both detectors every ``--detect-every`` frames, `MediaPipePredictor.track` (one pass from
the previous mesh) on the others, as MediaPipe's own graphs do.

Folder rows (``--folder``, default ../shared/data/dev_faces): `run_predictions` over the
folder's images with the old default (2020 mesh, short-range detector, one pass) and the new
one (both detectors with tiles, second pass, mirrored pass, correction): faces/s.

Each live configuration runs ``--frames`` frames per repeat after a warm-up, the
configurations interleaved; the table shows the median over ``--repeats`` repeats, wall and
process CPU time. Target: >= 60 frames/s for the live loop with one thread.

    python benchmarks/bench_default.py [--frames 200] [--repeats 5] [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from facealign_gui.inference.detect import FULL_RANGE_CARD, detect_faces, get_detector  # noqa: E402
from facealign_gui.inference.mediapipe import load_default_predictor, roi_from_face  # noqa: E402
from facealign_gui.inference.tracking import FaceTracker, live_detector  # noqa: E402

TAKEO = ROOT.parent / "shared" / "fixtures" / "takeo.ppm"
DEV_FACES = ROOT.parent / "shared" / "data" / "dev_faces"


def make_frame() -> tuple[np.ndarray, str]:
    frame = np.zeros((480, 640, 3), np.uint8)
    image = cv2.imread(str(TAKEO), cv2.IMREAD_COLOR) if TAKEO.is_file() else None
    if image is None:
        rng = np.random.default_rng(0)
        frame[:] = rng.integers(0, 255, frame.shape, dtype=np.uint8)
        return frame, "synthetic noise (no takeo fixture)"
    big = cv2.resize(image, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_LINEAR)
    h, w = big.shape[:2]
    y0, x0 = (480 - h) // 2, (640 - w) // 2
    frame[y0 : y0 + h, x0 : x0 + w] = big
    return frame, f"takeo x2 ({w}x{h}) in 640x480"


def time_rows(
    rows: list[tuple[str, Callable[[], object]]], frames: int, repeats: int
) -> list[tuple[str, float, float]]:
    """Median wall and process-CPU seconds per call of each row (rows interleaved)."""
    for _, fn in rows:
        for _ in range(10):
            fn()
    wall: list[list[float]] = [[] for _ in rows]
    cpu: list[list[float]] = [[] for _ in rows]
    for _ in range(repeats):
        for i, (_, fn) in enumerate(rows):
            t0, c0 = time.perf_counter(), time.process_time()
            for _ in range(frames):
                fn()
            wall[i].append((time.perf_counter() - t0) / frames)
            cpu[i].append((time.process_time() - c0) / frames)
    return [
        (name, statistics.median(w), statistics.median(c))
        for (name, _), w, c in zip(rows, wall, cpu, strict=True)
    ]


def print_table(results: list[tuple[str, float, float]], unit: str) -> None:
    base = results[0][1]
    print(f"| {'what':<62} | {'ms':>8} | {unit:>8} | {'x base':>7} | {'CPU ms':>8} |")
    print(f"|{'-' * 64}|{'-' * 10}|{'-' * 10}|{'-' * 9}|{'-' * 10}|")
    for name, sec, cpu in results:
        print(
            f"| {name:<62} | {sec * 1e3:8.2f} | {1 / sec:8.1f} | {sec / base:7.2f} "
            f"| {cpu * 1e3:8.2f} |"
        )


def folder_rows(folder: Path, threads: int | None, repeats: int) -> None:
    from facealign_gui.inference.pipeline import SampleFailure, run_predictions

    images = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".png"))
    if not images:
        print(f"(no images in {folder}: folder rows skipped)")
        return
    old = load_default_predictor(
        threads, card_name="mediapipe_face_landmark_v1", refine=0, mirror=False, correction=None
    )
    new = load_default_predictor(threads)

    def old_detect(im: np.ndarray):
        return detect_faces(im, max_faces=1, ranges="short", tile_above=None, threads=threads)

    def new_detect(im: np.ndarray):
        return detect_faces(im, max_faces=1, threads=threads)

    configs = [
        ("old default: 2020 mesh, short-range, one pass", old, old_detect),
        ("new default: both detectors + tiles, 2 passes + mirror, correction", new, new_detect),
    ]
    results = []
    for name, pred, det in configs:
        runs, faces = [], 0
        for _ in range(repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            ok = sum(
                not isinstance(r, SampleFailure)
                for _, r in run_predictions(pred, images, detect=det, workers=1)
            )
            runs.append((time.perf_counter() - t0, time.process_time() - c0))
            faces = ok
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        results.append(
            (f"{name} ({faces}/{len(images)} predicted)", wall / len(images), cpu / len(images))
        )
    print(f"\npredict over {folder} ({len(images)} images, median of {repeats}), per image:")
    print_table(results, "faces/s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="onnxruntime intra-op threads")
    parser.add_argument("--detect-every", type=int, default=10)
    parser.add_argument("--folder", type=Path, default=DEV_FACES)
    parser.add_argument("--folder-repeats", type=int, default=3)
    args = parser.parse_args(argv)
    th = args.threads

    frame, what = make_frame()
    short = get_detector(threads=th)
    full = get_detector(FULL_RANGE_CARD, threads=th)
    old = load_default_predictor(
        th, card_name="mediapipe_face_landmark_v1", refine=0, mirror=False, correction=None
    )
    new = load_default_predictor(th)
    faces = detect_faces(frame, threads=th, tile_above=None)
    face = faces[0] if faces else None

    short_in, _ = short.preprocess(frame)
    full_in, _ = full.preprocess(frame)
    lm_in = np.random.default_rng(0).random((1, 3, 192, 192), dtype=np.float32)
    if face is not None:
        lm_in = new.crop(frame, roi_from_face(face, frame.shape))[0][None]
    s_sess, f_sess = short.session.session, full.session.session
    o_sess = old.session.session

    def raw() -> None:
        s_sess.run(None, {"input": short_in})
        o_sess.run(None, {"input": lm_in})

    rows: list[tuple[str, Callable[[], object]]] = [
        ("raw session.run: short-range + 2020 mesh (baseline)", raw),
        ("raw session.run: full-range detector", lambda: f_sess.run(None, {"input": full_in})),
        (
            "detect_faces short-range only (old default)",
            lambda: detect_faces(frame, ranges="short", tile_above=None, threads=th),
        ),
        (
            "detect_faces both models, no tiles (live detector)",
            lambda: detect_faces(frame, tile_above=None, threads=th),
        ),
    ]
    if face is not None:
        prev = new.track_from(frame, face)
        tracker = FaceTracker(
            lambda img: live_detector(img, threads=th), new, redetect_every=args.detect_every
        )
        rows += [
            ("old predict: one pass, 2020 mesh", lambda: old.predict(frame, face)),
            ("new predict: 2 passes + mirror + correction", lambda: new.predict(frame, face)),
            (
                "track: one pass from the last mesh (MediaPipePredictor.track)",
                lambda: new.track(frame, prev),
            ),
            (
                f"LIVE FaceTracker.step (detect every {args.detect_every})",
                lambda: tracker.step(frame),
            ),
            (
                "detect every frame + track_from (no tracking)",
                lambda: [
                    new.track_from(frame, f)
                    for f in detect_faces(frame, tile_above=None, threads=th)
                ],
            ),
        ]

    print(f"frame: {what}; faces found: {len(faces)}")
    print(
        f"onnxruntime {ort.__version__}, cpu_count {os.cpu_count()}, intra-op threads {th}, "
        f"{args.frames} frames x {args.repeats} repeats, median shown; load average before: "
        f"{os.getloadavg()[0]:.2f}"
    )
    results = time_rows(rows, args.frames, args.repeats)
    print_table(results, "frames/s")
    print(f"load average after: {os.getloadavg()[0]:.2f} (other processes share the cores)")
    live = [r for r in results if r[0].startswith("LIVE")]
    if live:
        _, sec, cpu = live[0]
        verdict = "meets" if 1 / sec >= 60 else "misses"
        print(
            f"live loop: {1 / sec:.1f} frames/s wall ({verdict} the 60 frames/s target); "
            f"{cpu * 1e3:.2f} CPU ms/frame"
        )
    if args.folder.is_dir():
        folder_rows(args.folder, th, args.folder_repeats)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
