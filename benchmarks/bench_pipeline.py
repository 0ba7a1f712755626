"""Our own overhead: ``eval`` against a minimal loop, with a near-free model.

The model is built here with onnx.helper: (N, 3, 256, 256) -> 4x4 average pool -> 1x1 conv
-> (N, 68, 64, 64) heatmaps, the HRNet-W18 shapes at about 1/2000 of its work, so what is
left is our pipeline. On the same JPEG files (``--images`` 640x480 noise images with a
300-W-style face each), with the same threads and batch, alternating (``--runs`` rounds):

eval     `facealign_gui.commands.evaluate.run`, the function ``facealign-gui eval`` runs
         (official mode, the CLI's defaults: 2 reader threads, batch 8, 1 s batch limit):
         dataset open, model load, the pipeline, the metrics, the JSON result.
minimal  one thread: ``cv2.imread`` + the official crop + ``to_tensor``, then
         ``session.run`` per batch; nothing else (no heatmap decoding, no metrics).

Each run is a fresh process (``--worker``) importing the package from this tree, or from
``--before DIR`` (an older checkout, e.g. ``git archive REV | tar -x -C DIR``) for the
before/after rows of the same run. faces/s and CPU ms per face are given for the work
itself (timed inside the process; CPU is ``time.process_time()``, every thread) and for
the whole process (start-up and imports included; CPU from ``getrusage`` of the child).
Then each stage is timed alone on the same faces, one thread (CPU ms per face):
decode (imread), crop (`CardPredictor.prepare`: official crop + normalise), run
(``session.run``), decode heatmaps (`decode_hrnet` + building the predictions), metrics
(`score_faces` + `summarize`). ``--profile FILE`` writes a cProfile of one eval run.

    python benchmarks/bench_pipeline.py [--images 300] [--runs 5] [--threads N] [--before DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parents[1]
K = 68


def tiny_hrnet(path: Path) -> None:
    """Near-free model with HRNet's shapes: 256x256 input, 64x64 heatmaps for 68 points."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    w = np.random.default_rng(0).normal(0, 0.1, (K, 3, 1, 1)).astype(np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("AveragePool", ["input"], ["p"], kernel_shape=[4, 4], strides=[4, 4]),
            helper.make_node("Conv", ["p", "w"], ["heatmaps"], kernel_shape=[1, 1]),
        ],
        "near_free_hrnet",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 256, 256])],
        [helper.make_tensor_value_info("heatmaps", TensorProto.FLOAT, ["N", K, 64, 64])],
        initializer=[numpy_helper.from_array(w, "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))


def make_data(folder: Path, n: int) -> tuple[Path, Path]:
    """The card of the near-free model and a 300-W CSV of ``n`` JPEG faces."""
    from facealign_gui.datasets.io import write_dataset
    from facealign_gui.datasets.model import Dataset
    from facealign_gui.inference.card import CropSpec, InputSpec, ModelCard, save_card

    tiny_hrnet(folder / "tiny.onnx")
    card = ModelCard(
        id="near_free_hrnet",
        family="hrnet",
        num_points=K,
        onnx="tiny.onnx",
        scheme="300w68",
        input=InputSpec(
            name="input", size=(256, 256), mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)
        ),
        crop=CropSpec(rule="hrnet_center_scale", scale_factor=1.25),
        outputs={"heatmaps": "heatmaps"},
    )
    save_card(card, folder / "tiny.toml")
    rng = np.random.default_rng(1)
    images = folder / "images"
    images.mkdir()
    names, pts, centers, scales = [], [], [], []
    for i in range(n):
        img = cv2.GaussianBlur(rng.integers(0, 256, (480, 640, 3), dtype=np.uint8), (3, 3), 0)
        name = f"img{i:04d}.jpg"
        cv2.imwrite(str(images / name), img, [cv2.IMWRITE_JPEG_QUALITY, 90])
        c = np.array([rng.uniform(250, 390), rng.uniform(180, 300)])
        s = rng.uniform(0.7, 1.1)  # 140-220 px faces: no pre-shrink, like most 300-W faces
        p = c + rng.uniform(-80, 80, (K, 2)) * s
        p[36], p[45] = c + np.array([-40 * s, -20 * s]), c + np.array([40 * s, -20 * s])
        names.append(name)
        pts.append(p)
        centers.append(c)
        scales.append(s)
    ds = Dataset(
        format="hrnet_csv",
        scheme="300w68",
        root=images,
        images=names,
        points=np.stack(pts),
        visible=np.ones((n, K), bool),
        centers=np.stack(centers),
        scales=np.array(scales),
    )
    write_dataset(ds, folder / "faces.csv", "hrnet_csv")
    return folder / "tiny.toml", folder / "faces.csv"


def run_eval(card: Path, csv: Path, args: argparse.Namespace) -> None:
    from facealign_gui.commands import evaluate

    ns = argparse.Namespace(
        model=str(card),
        dataset=str(csv),
        format=None,
        subsets=None,
        threshold=0.1,
        limit=None,
        json=True,
        mode="official",
        batch_size=args.batch_size,
        threads=args.threads,
        workers=2,
        quiet=True,
    )
    with contextlib.redirect_stdout(io.StringIO()) as out:
        code = evaluate.run(ns)
    if code != 0:
        raise SystemExit(f"eval exited {code}: {out.getvalue()[:300]}")


def run_minimal(card: Path, csv: Path, args: argparse.Namespace) -> None:
    from facealign_gui.core import geometry
    from facealign_gui.datasets.io import open_dataset
    from facealign_gui.inference.card import load_card
    from facealign_gui.inference.preprocess import to_tensor
    from facealign_gui.inference.runtime import get_session

    ds = open_dataset(csv)
    c = load_card(card)
    sess = get_session(c.onnx_path, threads=args.threads)
    batch = []
    for i in range(len(ds)):
        img = cv2.imread(str(ds.image_path(i)))
        crop, _ = geometry.crop_image(img, ds.centers[i], ds.scales[i] * 1.25, (256, 256))
        batch.append(to_tensor(crop, c))
        if len(batch) == args.batch_size or i == len(ds) - 1:
            sess.run(np.stack(batch))
            batch = []


def timed(fn, *a) -> tuple[float, float]:
    c0, t0 = time.process_time(), time.perf_counter()
    fn(*a)
    return time.perf_counter() - t0, time.process_time() - c0


def stages(card: Path, csv: Path, args: argparse.Namespace) -> dict[str, float]:
    """CPU seconds per face of each stage alone (one thread)."""
    from facealign_gui.core import metrics
    from facealign_gui.core.schemes import get_scheme
    from facealign_gui.datasets.io import open_dataset
    from facealign_gui.inference.card import load_card
    from facealign_gui.inference.decoders.hrnet import decode_hrnet
    from facealign_gui.inference.pipeline import face_for_sample
    from facealign_gui.inference.predictor import CardPredictor

    ds = open_dataset(csv)
    pred = CardPredictor(load_card(card), threads=args.threads)
    n = len(ds)
    out: dict[str, float] = {}
    c0 = time.process_time()
    imgs = [cv2.imread(str(ds.image_path(i))) for i in range(n)]
    out["decode (imread)"] = time.process_time() - c0
    c0 = time.process_time()
    faces = [face_for_sample(ds, i) for i in range(n)]
    prepared = [pred.prepare(imgs[i], faces[i]) for i in range(n)]
    out["crop + normalise"] = time.process_time() - c0
    bs = args.batch_size
    c0 = time.process_time()
    outs = [
        pred.session.run(np.stack([p.tensor for p in prepared[k : k + bs]]))
        for k in range(0, n, bs)
    ]
    out["run"] = time.process_time() - c0
    c0 = time.process_time()
    for k, o in zip(range(0, n, bs), outs, strict=True):
        items = prepared[k : k + bs]
        decode_hrnet(
            o["heatmaps"],
            np.stack([p.center for p in items]),
            np.array([p.scale for p in items]),
            mode="official",
        )
    out["decode heatmaps"] = time.process_time() - c0
    c0 = time.process_time()
    for k, o in zip(range(0, n, bs), outs, strict=True):
        pred._decode_hrnet(prepared[k : k + bs], o, [False] * len(prepared[k : k + bs]))
    out["decode + predictions"] = time.process_time() - c0
    pts = np.stack([ds.points[i] + 1.0 for i in range(n)])
    c0 = time.process_time()
    nme, _ = metrics.score_faces(pts, ds.points, get_scheme("300w68"), visible=ds.visible)
    metrics.summarize(nme, 0.1, {})
    out["metrics"] = time.process_time() - c0
    return {k: v / n for k, v in out.items()}


def worker(args: argparse.Namespace) -> int:
    """One timed run in this process (package from ``--tree``); prints wall and CPU."""
    sys.path.insert(0, str(args.tree))
    fn = run_eval if args.worker == "eval" else run_minimal
    if args.profile:
        import cProfile

        cProfile.runctx("fn(args.card, args.csv, args)", globals(), locals(), str(args.profile))
        return 0
    wall, cpu = timed(fn, args.card, args.csv, args)
    print(json.dumps({"wall": wall, "cpu": cpu}))
    return 0


def spawn(kind: str, tree: Path, card: Path, csv: Path, args: argparse.Namespace) -> list[float]:
    """[work wall, work CPU, process wall, process CPU] of one run in a fresh process."""
    cmd = [sys.executable, __file__, "--worker", kind, "--tree", str(tree)]
    cmd += ["--card", str(card), "--csv", str(csv), "--batch-size", str(args.batch_size)]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{kind} in {tree} failed: {done.stderr[-2000:]}")
    r = json.loads(done.stdout.strip().splitlines()[-1])
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return [r["wall"], r["cpu"], wall, cpu]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=300)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--threads", type=int, default=None, help="onnxruntime intra-op threads")
    ap.add_argument("--before", type=Path, help="an older checkout to measure in the same run")
    ap.add_argument("--profile", type=Path, help="write a cProfile of one eval run here")
    ap.add_argument("--worker", choices=("eval", "minimal"), help=argparse.SUPPRESS)
    ap.add_argument("--tree", type=Path, default=HERE, help=argparse.SUPPRESS)
    ap.add_argument("--card", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(args)
    sys.path.insert(0, str(HERE))
    trees = [("", HERE)] + ([(" (before)", args.before.resolve())] if args.before else [])
    variants = [(f"{k}{label}", k, tree) for label, tree in trees for k in ("eval", "minimal")]
    with tempfile.TemporaryDirectory(prefix="facealign-bench-") as tmp:
        card, csv = make_data(Path(tmp), args.images)
        for _, kind, tree in variants:  # warm-up: page cache, first imports
            spawn(kind, tree, card, csv, args)
        res: dict[str, list[list[float]]] = {name: [] for name, _, _ in variants}
        for _ in range(args.runs):  # alternating
            for name, kind, tree in variants:
                res[name].append(spawn(kind, tree, card, csv, args))
        st = stages(card, csv, args)
        if args.profile:
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--worker",
                    "eval",
                    "--card",
                    str(card),
                    "--csv",
                    str(csv),
                    "--profile",
                    str(args.profile),
                ],
                check=True,
            )
    n = args.images
    print(
        f"{n} faces (640x480 JPEG), {args.runs} alternating runs (median), batch "
        f"{args.batch_size}, threads {args.threads or 'default'}, cores {os.cpu_count()}, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    print(
        f"{'run':<20}{'faces/s':>9}{'CPU ms/face':>13}{'vs minimal':>12}"
        f"{'process faces/s':>17}{'process CPU ms/face':>21}"
    )
    med = {k: [statistics.median(r[j] for r in v) for j in range(4)] for k, v in res.items()}
    for name, (wall, cpu, pwall, pcpu) in med.items():
        base = med[name.replace("eval", "minimal")][0]
        print(
            f"{name:<20}{n / wall:>9.1f}{cpu / n * 1000:>13.2f}{base / wall:>12.2f}"
            f"{n / pwall:>17.1f}{pcpu / n * 1000:>21.2f}"
        )
    print("\nstage alone, this tree (one thread)   CPU ms/face")
    for name, v in st.items():
        print(f"  {name:<36}{v * 1000:>10.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
