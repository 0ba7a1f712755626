"""Conversion time per family, and ONNX (onnxruntime) vs eager PyTorch forward time on CPU.

For each network: the time `convert` takes (build or load, ONNX export, the ONNX-vs-PyTorch
check, write), then the median time of one batch-1 forward pass through eager PyTorch and
through onnxruntime on the exported file, with both runtimes limited to the same number of
threads, and their ratio (eager / onnxruntime; > 1 means onnxruntime is faster).

    python benchmarks/bench_convert.py [--runs 7] [--threads 1] [--only hrnet pipnet-r18]

The Kaggle hourglass uses the real checkpoint in ../shared/models when present; the others
use random weights (speed does not depend on the weights).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
KAGGLE = SHARED / "models" / "kaggle_hourglass_15pt_epoch809.ckpt"

# label -> (converter module, keyword arguments, input shape)
CASES: dict[str, tuple[str, dict, tuple[int, ...]]] = {
    "kaggle-hourglass": ("kaggle_hourglass", {}, (1, 1, 96, 96)),
    "hrnet-w18": ("hrnet", {"dataset": None}, (1, 3, 256, 256)),
    "pipnet-r18": ("pipnet", {"backbone": "resnet18"}, (1, 3, 256, 256)),
    "pipnet-r50": ("pipnet", {"backbone": "resnet50"}, (1, 3, 256, 256)),
    "pipnet-mbv2": ("pipnet", {"backbone": "mobilenet_v2"}, (1, 3, 256, 256)),
    "pipnet-mbv3": ("pipnet", {"backbone": "mobilenet_v3"}, (1, 3, 256, 256)),
    "hih": ("hih", {}, (1, 3, 256, 256)),
}


def median_seconds(fns: list[Callable[[], object]], runs: int) -> list[tuple[float, float]]:
    """Median wall and CPU (``time.process_time``) seconds of each function, alternating."""
    for fn in fns:
        fn()  # warm-up
    samples: list[list[tuple[float, float]]] = [[] for _ in fns]
    for _ in range(runs):
        for k, fn in enumerate(fns):
            c0, t0 = time.process_time(), time.perf_counter()
            fn()
            samples[k].append((time.perf_counter() - t0, time.process_time() - c0))
    return [
        (statistics.median(w for w, _ in s), statistics.median(c for _, c in s)) for s in samples
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--only", nargs="*", choices=list(CASES), default=list(CASES))
    args = parser.parse_args(argv)

    import importlib

    import onnxruntime as ort
    import torch

    torch.set_num_threads(args.threads)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = args.threads
    opts.inter_op_num_threads = 1

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label in args.only:
            module_name, kwargs, shape = CASES[label]
            module = importlib.import_module(f"facealign_gui.convert.{module_name}")
            ckpt = KAGGLE if label == "kaggle-hourglass" and KAGGLE.is_file() else None
            out = Path(tmp) / f"{label}.onnx"
            t0 = time.perf_counter()
            result = module.convert(ckpt, out, **kwargs)
            convert_s = time.perf_counter() - t0

            if label == "kaggle-hourglass":
                model = module.load_checkpoint(ckpt) if ckpt else module.build_kaggle_hourglass()
            elif module_name == "pipnet":
                model = module.build_pipnet(kwargs["backbone"], 98)
            elif module_name == "hrnet":
                model = module.build_hrnet_w18(98)
            else:
                model = module.build_hih(98)
            model.eval()
            x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
            xt = torch.from_numpy(x)
            sess = ort.InferenceSession(str(out), opts, providers=["CPUExecutionProvider"])
            name = sess.get_inputs()[0].name

            def eager(model: torch.nn.Module = model, xt: torch.Tensor = xt) -> object:
                with torch.no_grad():
                    return model(xt)

            def onnx(
                sess: ort.InferenceSession = sess, name: str = name, x: np.ndarray = x
            ) -> object:
                return sess.run(None, {name: x})

            (t_torch, c_torch), (t_onnx, c_onnx) = median_seconds([eager, onnx], args.runs)
            mb = out.stat().st_size / 1e6
            rows.append(
                (label, convert_s, mb, result.max_abs_diff, t_torch, t_onnx, c_torch, c_onnx)
            )
            print(f"... {label} done", flush=True)

    print(
        f"\nCPU, batch 1, {args.threads} thread(s), median of {args.runs} alternating runs, "
        f"load average {os.getloadavg()[0]:.2f}\n"
    )
    head = (
        "network", "convert s", "onnx MB", "max|diff|", "torch ms", "onnx ms", "torch/onnx",
        "torch CPU ms", "onnx CPU ms",
    )  # fmt: skip
    print("{:<18} {:>10} {:>8} {:>10} {:>9} {:>9} {:>11} {:>13} {:>12}".format(*head))
    for label, conv, mb, diff, tt, to, ct, co in rows:
        print(
            f"{label:<18} {conv:>10.1f} {mb:>8.1f} {diff:>10.1e} {tt * 1e3:>9.1f} "
            f"{to * 1e3:>9.1f} {tt / to:>11.2f} {ct * 1e3:>13.1f} {co * 1e3:>12.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
