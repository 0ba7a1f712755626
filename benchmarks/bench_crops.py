"""Time of one crop (`crop_face`) per crop rule, official vs precise, in one run.

Official mode cuts the authors' integer region and resizes it (cv2.resize, zero border
where the box leaves the image); precise mode warps with the float matrix. The table shows
the median of ``--runs`` runs of ``--faces`` crops and the ratio official / precise.

    python benchmarks/bench_crops.py
    python benchmarks/bench_crops.py --faces 2000 --runs 7
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from facealign_gui.inference.card import CropSpec, InputSpec, ModelCard
from facealign_gui.inference.preprocess import crop_face
from facealign_gui.inference.types import FaceRegion

RULES = {
    "box (PFLD/HIH, 112)": (CropSpec(rule="box", enlarge=1.2, box_source="landmarks"), 112),
    "pipnet_box WFLW (256)": (CropSpec(rule="pipnet_box", pad=(0.1,) * 4, clip=True), 256),
    "pipnet_box 300W (256)": (
        CropSpec(rule="pipnet_box", pad=(0.05,) * 4, box_source="landmarks", clip=True),
        256,
    ),
    "hrnet_center_scale (256)": (CropSpec(rule="hrnet_center_scale", scale_factor=1.25), 256),
}


def _card(crop: CropSpec, size: int) -> ModelCard:
    return ModelCard(
        id="b", family="heatmap", num_points=2, onnx="b.onnx",
        input=InputSpec(size=(size, size)), crop=crop,
    )  # fmt: skip


def _faces(n: int, rng: np.random.Generator) -> list[FaceRegion]:
    out = []
    for _ in range(n):
        x, y = rng.uniform(-20, 300, 2)
        s = rng.uniform(80, 250)
        out.append(FaceRegion(box=(x, y, x + s, y + s * 1.1), center=(x + s / 2, y + s / 2),
                              scale=s / 200))  # fmt: skip
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--faces", type=int, default=500)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)
    faces = _faces(args.faces, rng)
    print(f"{args.faces} faces, 640x480 image, median of {args.runs} runs; "
          f"load {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"{'rule':28} {'official ms':>12} {'precise ms':>11} {'cpu ms (off.)':>14} {'ratio':>6}")
    for name, (crop, size) in RULES.items():
        card = _card(crop, size)
        rows = {}
        for mode in ("official", "precise"):
            wall, cpu = [], []
            for _ in range(args.runs):
                t0, c0 = time.perf_counter(), time.process_time()
                for f in faces:
                    crop_face(image, f, card, mode=mode)
                wall.append((time.perf_counter() - t0) / len(faces) * 1e3)
                cpu.append((time.process_time() - c0) / len(faces) * 1e3)
            rows[mode] = (statistics.median(wall), statistics.median(cpu))
        off, pre = rows["official"], rows["precise"]
        print(f"{name:28} {off[0]:12.3f} {pre[0]:11.3f} {off[1]:14.3f} {off[0] / pre[0]:6.2f}")


if __name__ == "__main__":
    main()
