"""Fit the default model's learned per-point correction from faces with 68-point ``.pts``.

Runs the default model (detector, both passes, mirrored average, silhouette marching as the
card says; no correction) on every
image of FOLDER that has a 68-point iBUG ``.pts`` file beside it, then fits
`facealign_gui.inference.contour.fit_correction` and writes the coefficients as JSON
(default: ``facealign_gui/models/mediapipe_contour_correction.json``, the file the default
card's ``[correction]`` table names). The ``fitted_on`` field records the folder's name, the
number of faces and the sha256 of the sorted ``.pts`` names, so a card can say what it was
fitted on. Faces the detector misses are cropped from their ground-truth box.

Keep evaluation faces (300-W/WFLW/COFW *test* images) out of FOLDER; measure the effect
leave-one-out with ``benchmarks/bench_accuracy.py --jaw-correction``.

    python scripts/fit_contour_correction.py ../shared/data/dev_faces [-o OUT] [--ridge 1.0]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_accuracy import gt_box, load_folder, matching_face  # noqa: E402

from facealign_gui.fileio import atomic_write_text  # noqa: E402
from facealign_gui.inference import contour  # noqa: E402
from facealign_gui.inference.detect import detect_faces  # noqa: E402
from facealign_gui.inference.mediapipe import load_default_predictor  # noqa: E402
from facealign_gui.inference.types import FaceRegion  # noqa: E402

DEFAULT_OUT = ROOT / "facealign_gui" / "models" / "mediapipe_contour_correction.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("-o", "--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--ridge", type=float, default=1.0)
    parser.add_argument("--note", default="", help="appended to fitted_on (e.g. the licence)")
    args = parser.parse_args(argv)
    samples = load_folder(args.folder)
    if len(samples) < 3:
        print(f"{args.folder}: need at least 3 images with 68-point .pts files")
        return 2
    model = load_default_predictor(correction=None)
    preds, truths, yaws = [], [], []
    for s in samples:
        face = matching_face(detect_faces(s.image), s.gt) or FaceRegion(box=gt_box(s.gt))
        r = model.predict(s.image, face)
        preds.append(r.points)
        truths.append(s.gt)
        yaws.append(r.yaw)
    names = "\n".join(sorted(s.name for s in samples)).encode()
    fitted_on = (
        f"{len(samples)} faces of the folder '{args.folder.name}' (sha256 of their sorted "
        f"names {hashlib.sha256(names).hexdigest()[:16]}), ridge {args.ridge}"
        + (f"; {args.note}" if args.note else "")
    )
    corr = contour.fit_correction(preds, truths, yaws, ridge=args.ridge, fitted_on=fitted_on)
    atomic_write_text(args.out, corr.to_json() + "\n")
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes): {fitted_on}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
