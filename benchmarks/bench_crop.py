"""The official HRNet crop per face: Pillow (now) against the former numpy emulation.

Rows, timed in alternation (``--rounds`` rounds over the same faces, medians of the
per-round means), wall and CPU ms per face:

official, Pillow     `facealign_gui.core.geometry.crop_image(mode="official")` as it is.
official, numpy      the same function at git revision ``--before`` (default: the last
                     commit with the numpy re-implementation of Pillow's resize), loaded
                     from ``git show``; skipped outside a git checkout.
precise, OpenCV      ``mode="precise"`` (one ``cv2.warpAffine``): the floor.

Faces: the 300-W faces of ``--faces DIR`` (.jpg + .pts, default shared/data/dev_faces when
present), else random images. Every face is also checked: both official rows must give the
same bytes.

    python benchmarks/bench_crop.py [--rounds 5] [--faces DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from facealign_gui.core.geometry import crop_image

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "f11aebc"  # the last commit whose official crop used core/_pil_resize.py
SHARED_FACES = ROOT.parent / "shared" / "data" / "dev_faces"

Face = tuple[np.ndarray, np.ndarray, float]


def _faces(folder: Path | None) -> list[Face]:
    faces: list[Face] = []
    if folder is not None and folder.is_dir():
        for jpg in sorted(folder.glob("*.jpg")):
            pts_file = jpg.with_suffix(".pts")
            img = cv2.imread(str(jpg))
            if img is None or not pts_file.is_file():
                continue
            lines = pts_file.read_text().splitlines()
            pts = np.array([[float(v) for v in ln.split()] for ln in lines[3:-1] if ln.strip()])
            lo, hi = pts.min(axis=0), pts.max(axis=0)
            faces.append((img, (lo + hi) / 2.0, float(max(hi - lo)) / 200.0 * 1.25))
    if not faces:
        rng = np.random.default_rng(0)
        for k in range(8):
            img = rng.integers(0, 256, size=(480 + 40 * k, 640, 3)).astype(np.uint8)
            faces.append((img, np.array([320.0, 240.0 + 20 * k]), 0.8 + 0.05 * k))
    return faces


def _old_geometry(rev: str) -> Callable | None:
    """``crop_image`` of revision ``rev`` (its _hrnet_official + _pil_resize), or None."""
    try:
        files = {
            name: subprocess.run(
                ["git", "-C", str(ROOT), "show", f"{rev}:facealign_gui/core/{name}.py"],
                capture_output=True,
                check=True,
                text=True,
            ).stdout
            for name in ("_hrnet_official", "_pil_resize")
        }
    except (OSError, subprocess.CalledProcessError):
        return None
    tmp = Path(tempfile.mkdtemp(prefix="bench_crop_"))
    (tmp / "old_pil_resize.py").write_text(files["_pil_resize"])
    src = files["_hrnet_official"].replace(
        "from facealign_gui.core import _pil_resize", "import old_pil_resize as _pil_resize"
    )
    (tmp / "old_hrnet_official.py").write_text(src)
    sys.path.insert(0, str(tmp))
    spec = importlib.util.spec_from_file_location("old_official", tmp / "old_hrnet_official.py")
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return lambda img, c, s: mod.official_crop(img, c, s, (256, 256))


def _time(fn: Callable, faces: list[Face]) -> tuple[float, float]:
    """Mean wall and CPU seconds per face of one pass."""
    c0, t0 = time.process_time(), time.perf_counter()
    for img, c, s in faces:
        fn(img, c, s)
    return (time.perf_counter() - t0) / len(faces), (time.process_time() - c0) / len(faces)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--faces", type=Path, default=SHARED_FACES if SHARED_FACES.is_dir() else None)
    ap.add_argument("--before", default=BEFORE, help="git revision of the numpy emulation")
    args = ap.parse_args()
    faces = _faces(args.faces)
    rows: dict[str, Callable] = {
        "official, Pillow": lambda img, c, s: crop_image(img, c, s, (256, 256))[0],
    }
    old = _old_geometry(args.before)
    if old is not None:
        rows["official, numpy (before)"] = lambda img, c, s: old(img, c, s)[0]
        for img, c, s in faces:
            if not np.array_equal(rows["official, Pillow"](img, c, s), old(img, c, s)[0]):
                raise SystemExit("the Pillow crop differs from the numpy emulation")
    rows["precise, OpenCV"] = lambda img, c, s: crop_image(img, c, s, (256, 256), mode="precise")[0]
    for fn in rows.values():  # warm-up
        _time(fn, faces[:2])
    res: dict[str, list[tuple[float, float]]] = {k: [] for k in rows}
    for _ in range(args.rounds):
        for name, fn in rows.items():
            res[name].append(_time(fn, faces))
    print(
        f"{len(faces)} faces, {args.rounds} alternating rounds, cores {os.cpu_count()}, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    base = statistics.median(r[1] for r in res["official, Pillow"])
    print(f"{'crop':<28}{'wall ms/face':>14}{'CPU ms/face':>13}{'CPU vs Pillow':>15}")
    for name, r in res.items():
        wall = statistics.median(x[0] for x in r)
        cpu = statistics.median(x[1] for x in r)
        print(f"{name:<28}{wall * 1000:>14.2f}{cpu * 1000:>13.2f}{cpu / base:>15.2f}")
    if old is not None:
        print("the two official rows gave the same bytes on every face")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
