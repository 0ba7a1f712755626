"""Accuracy of the embedded default model on a folder of faces with iBUG ``.pts`` files.

For every image with a 68-point ``.pts`` beside it (default ``../shared/data/dev_faces``),
the default detector runs on the whole image; a detection "finds" the face when its centre
lies inside the box of the ground-truth points and its side is between 0.3 and 3 times
that box's (the best-scoring such detection is used). The 68 points are then predicted from
that detection and compared with the ground truth:

* faces found / total;
* mean NME (inter-ocular: outer eye corners 36 and 45) over the found faces, and FR@0.10
  (fraction of found faces with NME > 0.10);
* NME per group: jaw 0-16, brows 17-26, nose 27-35, eyes 36-47, mouth 48-67.

``--box gt`` skips the detector and crops from the ground-truth box (the dataset-box path).
A learned correction (``--jaw-correction``) is always measured leave-one-out: it is refitted
on every face but the one being measured (see `scripts/fit_contour_correction.py`).

    python benchmarks/bench_accuracy.py [FOLDER] [--mesh v1|v2] [--ranges both|short|full]
        [--refine N] [--no-mirror] [--no-march] [--box detector|gt] [--jaw-correction]

The shipped configuration is the default flags plus ``--jaw-correction`` (the learned part
refitted leave-one-out); the old default is ``--mesh v1 --ranges short --refine 0
--no-mirror --no-march``.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from facealign_gui.datasets.images import read_image_file  # noqa: E402
from facealign_gui.datasets.pts import parse_pts  # noqa: E402
from facealign_gui.inference import contour  # noqa: E402
from facealign_gui.inference.default_model import confidence_from_spread  # noqa: E402
from facealign_gui.inference.detect import detect_faces  # noqa: E402
from facealign_gui.inference.mediapipe import MeshPrediction, load_default_predictor  # noqa: E402
from facealign_gui.inference.types import FaceRegion  # noqa: E402

DEFAULT_FOLDER = ROOT.parent / "shared" / "data" / "dev_faces"
GROUPS = {
    "jaw": range(0, 17),
    "brows": range(17, 27),
    "nose": range(27, 36),
    "eyes": range(36, 48),
    "mouth": range(48, 68),
}
POINTS = {"all": tuple(range(68)), "jaw": tuple(range(17))}
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".ppm")


@dataclass
class Sample:
    name: str
    image: np.ndarray
    gt: np.ndarray  # (68, 2), 0-based


def load_folder(folder: Path) -> list[Sample]:
    out = []
    for pts in sorted(folder.glob("*.pts")):
        image = next(
            (pts.with_suffix(s) for s in IMAGE_SUFFIXES if pts.with_suffix(s).is_file()), None
        )
        if image is None:
            continue
        gt = parse_pts(pts)
        if gt.shape != (68, 2):
            continue
        out.append(Sample(pts.stem, read_image_file(image), gt))
    return out


def gt_box(gt: np.ndarray) -> tuple[float, float, float, float]:
    x1, y1 = gt.min(axis=0)
    x2, y2 = gt.max(axis=0)
    return float(x1), float(y1), float(x2), float(y2)


def matching_face(faces: list[FaceRegion], gt: np.ndarray) -> FaceRegion | None:
    """The best detection that is this face (see the module docstring), or None."""
    x1, y1, x2, y2 = gt_box(gt)
    side = max(x2 - x1, y2 - y1)
    for face in faces:  # best first
        bx1, by1, bx2, by2 = face.box  # type: ignore[misc]
        cx, cy = (bx1 + bx2) / 2, (by1 + by2) / 2
        ratio = max(bx2 - bx1, by2 - by1) / side
        if x1 <= cx <= x2 and y1 <= cy <= y2 and 0.3 <= ratio <= 3.0:
            return face
    return None


def nme_parts(pred: np.ndarray, gt: np.ndarray) -> tuple[float, dict[str, float], np.ndarray]:
    """NME, per-group NME and the per-point normalised errors (68,)."""
    norm = float(np.linalg.norm(gt[36] - gt[45]))
    err = np.linalg.norm(pred - gt, axis=1) / norm
    return float(err.mean()), {g: float(err[list(r)].mean()) for g, r in GROUPS.items()}, err


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--mesh", choices=("v1", "v2"), default="v2")
    parser.add_argument("--ranges", choices=("both", "short", "full"), default="both")
    parser.add_argument("--refine", type=int, default=1, help="second passes from the mesh")
    parser.add_argument("--box", choices=("detector", "gt"), default="detector")
    parser.add_argument("--no-mirror", action="store_true", help="skip the mirrored pass")
    parser.add_argument("--no-march", action="store_true", help="no silhouette marching")
    parser.add_argument("--jaw-correction", action="store_true", help="learned, leave-one-out")
    parser.add_argument("--per-face", action="store_true")
    parser.add_argument("--correct", choices=tuple(POINTS), default="all")
    parser.add_argument("--ridge", type=float, default=1.0)
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        print(f"{args.folder}: not a folder (need images with 68-point .pts files)")
        return 2
    samples = load_folder(args.folder)
    if not samples:
        print(f"{args.folder}: no image with a 68-point .pts file")
        return 2
    card = "mediapipe_face_landmark" if args.mesh == "v2" else "mediapipe_face_landmark_v1"
    model = load_default_predictor(
        card_name=card,
        refine=args.refine,
        mirror=not args.no_mirror,
        correction=None,
        march=not args.no_march,
    )
    t0 = time.perf_counter()
    raw: list[tuple[Sample, MeshPrediction | None]] = []
    extra_faces = 0  # detections beyond one per image (each dev face image shows one face)
    for s in samples:
        if args.box == "gt":
            face: FaceRegion | None = FaceRegion(box=gt_box(s.gt))
        else:
            faces = detect_faces(s.image, ranges=args.ranges)
            extra_faces += max(0, len(faces) - 1)
            face = matching_face(faces, s.gt)
        raw.append((s, None if face is None else model.predict(s.image, face)))
    seconds = time.perf_counter() - t0
    found = [(s, r) for s, r in raw if r is not None]
    preds = {s.name: r.points for s, r in found}  # type: ignore[union-attr]
    confs = {s.name: r.confidence for s, r in found}  # type: ignore[union-attr]
    if args.jaw_correction and len(found) > 2:
        for s, r in found:
            others = [(o.gt, rr) for o, rr in found if o.name != s.name]
            corr = contour.fit_correction(
                [rr.points for _, rr in others],  # type: ignore[union-attr]
                [g for g, _ in others],
                [rr.yaw for _, rr in others],  # type: ignore[union-attr]
                points=POINTS[args.correct],
                ridge=args.ridge,
            )
            preds[s.name] = contour.apply_correction(corr, r.points, r.yaw)  # type: ignore[union-attr]
            confs[s.name] = confidence_from_spread(r.spread, r.presence, corr.expected, r.yaw)  # type: ignore[union-attr]
    nmes, groups, errs, conf_list = [], {g: [] for g in GROUPS}, [], []
    for s, _r in found:
        nme, grp, err = nme_parts(preds[s.name], s.gt)
        nmes.append(nme)
        errs.append(err)
        conf_list.append(confs[s.name])
        for g, v in grp.items():
            groups[g].append(v)
        if args.per_face:
            print(f"  {s.name:<20} NME {nme:.4f}  jaw {grp['jaw']:.4f}")
    for s, r in raw:
        if r is None and args.per_face:
            print(f"  {s.name:<20} not found")
    arr = np.asarray(nmes)
    print(
        f"folder {args.folder}: mesh {args.mesh}, detector {args.ranges}, box {args.box}, "
        f"refine {args.refine}, mirror {not args.no_mirror}, marching {not args.no_march}, "
        f"correction "
        f"{'leave-one-out' if args.jaw_correction else 'off'}"
    )
    print(f"| faces found | mean NME | FR@0.10 | {' | '.join(GROUPS)} | s/face |")
    print("|---|---|---|" + "---|" * len(GROUPS) + "---|")
    print(
        f"| {len(found)}/{len(samples)} | {arr.mean():.4f} | {np.mean(arr > 0.10):.3f} | "
        + " | ".join(f"{np.mean(groups[g]):.4f}" for g in GROUPS)
        + f" | {seconds / len(samples):.3f} |"
    )
    if args.box == "detector":
        print(f"detections beyond one per image: {extra_faces}")
    if conf_list:
        from scipy.stats import spearmanr

        c, e = np.concatenate(conf_list), np.concatenate(errs)
        rho = spearmanr(c, -e).statistic
        face = spearmanr([float(np.mean(x)) for x in conf_list], -arr).statistic
        print(
            f"confidence vs -error, Spearman rank correlation: {rho:.3f} over {c.size} points, "
            f"{face:.3f} over {len(conf_list)} faces (mean confidence vs NME)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
