"""Raw onnxruntime throughput vs the end-to-end pipeline, on the same images, in one run.

raw:        ``session.run`` on pre-made input tensors, in batches (the ceiling).
end-to-end: `run_predictions` over a dataset of JPEG files: read + decode the image, crop
            by the card's rule, normalise, run, decode, map back to the image.

Models: random-weight HRNetV2-W18 and PIPNet-ResNet18 rebuilt by facealign_gui.convert (needs
torch) and exported to a temporary folder; or your own ``--card CARD.toml`` files. The table
shows the median of ``--runs`` alternating runs, the ratio end-to-end / raw (target >= 0.9)
and the CPU ms per image of each (``time.process_time``: every thread of the process).
Defaults are the CLI's: official mode, batch 8, 2 reader threads, a 1 s batch-time limit.

    python benchmarks/bench_inference.py            # 100 images, 3 runs
    python benchmarks/bench_inference.py --images 500
    python benchmarks/bench_inference.py --card my_model.toml
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from facealign_gui.datasets.model import Dataset
from facealign_gui.inference.card import (
    CropSpec,
    DecoderSpec,
    InputSpec,
    ModelCard,
    load_card,
    save_card,
)
from facealign_gui.inference.pipeline import SampleFailure, run_predictions
from facealign_gui.inference.predictor import CardPredictor

IMAGENET = {"mean": (0.485, 0.456, 0.406), "std": (0.229, 0.224, 0.225)}


def export_models(folder: Path) -> list[Path]:
    """Random-weight HRNetV2-W18 (98 points) and PIPNet-ResNet18 (98 points) with cards."""
    try:
        from facealign_gui.convert.export import onnx_bytes, write_atomic
        from facealign_gui.convert.hrnet import build_hrnet_w18
        from facealign_gui.convert.pipnet import build_pipnet
    except ImportError as exc:
        sys.exit(f"cannot build the models ({exc}); install torch or pass --card CARD.toml")
    import torch

    torch.manual_seed(0)
    cards = []
    write_atomic(
        folder / "hrnet.onnx",
        onnx_bytes(build_hrnet_w18(98), (1, 3, 256, 256), "input", ["heatmaps"]),
    )
    hr = ModelCard(
        id="hrnetv2_w18_random",
        family="hrnet",
        num_points=98,
        onnx="hrnet.onnx",
        scheme="wflw98",
        input=InputSpec(name="input", size=(256, 256), **IMAGENET),
        crop=CropSpec(rule="hrnet_center_scale", scale_factor=1.25),
        outputs={"heatmaps": "heatmaps"},
    )
    cards.append(save_card(hr, folder / "hrnet.toml"))
    names = ["cls", "x", "y", "nb_x", "nb_y"]
    write_atomic(
        folder / "pipnet.onnx",
        onnx_bytes(build_pipnet("resnet18", 98), (1, 3, 256, 256), "input", names),
    )
    mean = np.random.default_rng(1).uniform(0.1, 0.9, size=(98, 2))
    (folder / "meanface.txt").write_text(" ".join(f"{v:.6f}" for v in mean.ravel()) + "\n")
    pip = ModelCard(
        id="pipnet_resnet18_random",
        family="pipnet",
        num_points=98,
        onnx="pipnet.onnx",
        scheme="wflw98",
        input=InputSpec(name="input", size=(256, 256), **IMAGENET),
        crop=CropSpec(rule="pipnet_box", pad=(0.1, 0.1, 0.1, 0.1), clip=True),
        outputs=dict(
            zip(names, ["score_map", "offset_x", "offset_y", "nb_x", "nb_y"], strict=True)
        ),
        decoder=DecoderSpec(net_stride=32, num_nb=10, meanface="meanface.txt"),
    )
    cards.append(save_card(pip, folder / "pipnet.toml"))
    return cards


def make_images(folder: Path, n: int) -> Dataset:
    """``n`` 640x480 JPEG files of noise with one face box each (as a dataset)."""
    rng = np.random.default_rng(0)
    names, boxes = [], []
    for i in range(n):
        img = rng.integers(0, 256, size=(480, 640, 3), dtype=np.uint8)
        name = f"img{i:04d}.jpg"
        cv2.imwrite(str(folder / name), img, [cv2.IMWRITE_JPEG_QUALITY, 90])
        x, y, s = rng.uniform(100, 300), rng.uniform(60, 160), rng.uniform(150, 250)
        names.append(name)
        boxes.append([x, y, x + s, y + s])
    b = np.array(boxes)
    centers = (b[:, :2] + b[:, 2:]) / 2
    scales = (b[:, 2] - b[:, 0]) / 200.0
    return Dataset(
        format="bench",
        scheme="wflw98",
        root=folder,
        images=names,
        boxes=b,
        centers=centers,
        scales=scales,
    )


def time_raw(pred: CardPredictor, n: int, batch: int) -> tuple[float, float]:
    """Wall and CPU seconds of ``session.run`` over ``n`` pre-made inputs."""
    w, h = pred.card.input.size
    x = np.random.default_rng(0).standard_normal((n, 3, h, w)).astype(np.float32)
    c0, t0 = time.process_time(), time.perf_counter()
    for i in range(0, n, batch):
        pred.session.run(x[i : i + batch])
    return time.perf_counter() - t0, time.process_time() - c0


def time_pipeline(
    pred: CardPredictor, ds: Dataset, batch: int, workers: int, max_batch_seconds: float
) -> tuple[float, float]:
    """Wall and CPU seconds of `run_predictions` as ``eval`` calls it (no heatmaps kept)."""
    c0, t0 = time.process_time(), time.perf_counter()
    failed = 0
    runs = run_predictions(
        pred,
        ds,
        batch_size=batch,
        workers=workers,
        max_batch_seconds=max_batch_seconds,
        keep_heatmaps=False,
    )
    for _, r in runs:
        failed += isinstance(r, SampleFailure)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    if failed:
        print(f"warning: {failed} samples failed", file=sys.stderr)
    return elapsed, cpu


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--images", type=int, default=100, help="images per run (100; try 500)")
    ap.add_argument("--runs", type=int, default=3, help="runs per measurement (median)")
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2, help="pipeline reader threads")
    ap.add_argument("--threads", type=int, default=None, help="onnxruntime intra-op threads")
    ap.add_argument("--mode", choices=("official", "precise"), default="official")
    ap.add_argument(
        "--max-batch-seconds",
        type=float,
        default=1.0,
        help="pipeline batch-shrinking limit (default 1.0 s, as the CLI and the app)",
    )
    ap.add_argument("--card", action="append", default=[], help="benchmark this card instead")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="facealign-bench-") as tmp:
        folder = Path(tmp)
        cards = [Path(c) for c in args.card] or export_models(folder)
        ds = make_images(folder, args.images)
        rows = []
        for card_path in cards:
            pred = CardPredictor(load_card(card_path), threads=args.threads, mode=args.mode)
            time_raw(pred, min(args.batch_size, args.images), args.batch_size)  # warm-up
            raw, e2e = [], []
            for _ in range(args.runs):  # interleaved so drift hits both alike
                raw.append(time_raw(pred, args.images, args.batch_size))
                e2e.append(
                    time_pipeline(pred, ds, args.batch_size, args.workers, args.max_batch_seconds)
                )
            n = args.images
            r = n / statistics.median(w for w, _ in raw)
            e = n / statistics.median(w for w, _ in e2e)
            rc = statistics.median(c for _, c in raw) / n
            ec = statistics.median(c for _, c in e2e) / n
            rows.append((pred.model_id, r, e, e / r, rc, ec))
    print(
        f"{args.images} images/run, {args.runs} alternating runs (median), batch "
        f"{args.batch_size}, {args.workers} reader threads, mode {args.mode}, batch limit "
        f"{args.max_batch_seconds} s, load average {os.getloadavg()[0]:.2f}"
    )
    print(
        f"{'model':<26} {'raw img/s':>10} {'end-to-end img/s':>17} {'ratio':>6} "
        f"{'raw CPU ms/img':>15} {'e2e CPU ms/img':>15}"
    )
    for name, r, e, ratio, rc, ec in rows:
        print(
            f"{name:<26} {r:>10.1f} {e:>17.1f} {ratio:>6.2f} {rc * 1000:>15.2f} {ec * 1000:>15.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
