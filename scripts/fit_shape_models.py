"""Fit the shipped point-distribution models (facealign_gui/models/shape_*.npz).

Developer-only: needs the real annotation files in ``../shared/data`` (not shipped).

* ``shape_300w68.npz`` from the 300-W HRNet CSVs ``face_landmarks_300w_test.csv`` and
  ``face_landmarks_300w_valid.csv`` (the 300-W test set and HRNet's valid set = the common +
  challenge subsets; the two ``valid_*`` subset files are left out as they repeat ``valid``).
  None of these faces is a 300-W *training* face, so the 300-W training images in
  ``shared/data/dev_faces`` are not in the model.
* ``shape_wflw98.npz`` from the six WFLW test-subset lists (``list_98pt_test_*.txt``); a face
  that is in several subsets is counted once.

The 300-W and WFLW annotations are released for research use only; see the models' NOTICE.

    python scripts/fit_shape_models.py [--data ../shared/data] [--modes 60] [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from facealign_gui.core.shape_model import fit_shape_model
from facealign_gui.datasets.io import open_dataset
from facealign_gui.datasets.wflw_list import centers_scales_from_points

ROOT = Path(__file__).resolve().parents[1]
W300_FILES = ("face_landmarks_300w_test.csv", "face_landmarks_300w_valid.csv")


def _stack(files: list[Path]) -> tuple[np.ndarray, list[str]]:
    shapes, seen, names = [], set(), []
    for f in files:
        ds = open_dataset(f, check_images=False)
        if ds.points is None:
            raise SystemExit(f"{f}: no landmarks")
        for p in ds.points:
            key = np.round(p, 3).tobytes()
            if key in seen:
                continue
            seen.add(key)
            shapes.append(p)
        names.append(f"{f.name} ({len(ds)} faces)")
    return np.stack(shapes), names


def fit(scheme: str, files: list[Path], modes: int, out: Path) -> None:
    shapes, names = _stack(files)
    # one box rule for every source: the readers' rule for landmark-only formats (pts, WFLW)
    centers, scales = centers_scales_from_points(shapes)
    source = (
        f"fitted by scripts/fit_shape_models.py on {len(shapes)} distinct faces from "
        f"{', '.join(names)}; annotations research-use only"
    )
    model = fit_shape_model(shapes, scheme=scheme, num_modes=modes, centers=centers,
                            scales=scales, source=source)  # fmt: skip
    model.save(out)
    kept = model.variances.sum() / (
        model.variances.sum()
        + model.residual_variance * (2 * model.num_points - 4 - model.num_modes)
    )
    print(f"{out}: {len(shapes)} faces, {model.num_modes} modes ({kept:.1%} of the variance)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--modes", type=int, default=60)
    parser.add_argument("--out", type=Path, default=ROOT / "facealign_gui" / "models")
    args = parser.parse_args(argv)
    fit("300w68", [args.data / "300w" / f for f in W300_FILES], args.modes,
        args.out / "shape_300w68.npz")  # fmt: skip
    wflw = sorted((args.data / "wflw").glob("list_98pt_test_*.txt"))
    fit("wflw98", wflw, args.modes, args.out / "shape_wflw98.npz")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
