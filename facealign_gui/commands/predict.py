"""``facealign-gui predict --model M INPUT... -o OUT``: landmarks for images or a dataset.

INPUT is any mix of image files, folders and dataset files. Dataset faces use their boxes /
center-scale; plain images go through the face detector (the best face per image). The
predictions are written with the dataset writers (HRNet CSV, WFLW list, .pts folder,
Kaggle CSV: ``--format``, else from OUT's extension). Failed images are reported, not
written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from facealign_gui.commands._dataset_cli import emit_json, fail
from facealign_gui.commands._model_cli import Progress, add_model_arguments

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".pgm", ".tif", ".tiff", ".webp"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_arguments(parser)
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="images, folders or datasets")
    parser.add_argument("-o", "--output", required=True, help="annotation file or .pts folder")
    parser.add_argument("--format", help="output format (hrnet_csv, wflw_list, pts, kaggle_csv)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    import os
    import threading

    import numpy as np

    from facealign_gui.datasets.io import open_dataset, write_dataset
    from facealign_gui.datasets.model import Dataset, DatasetError
    from facealign_gui.inference.loader import load_predictor
    from facealign_gui.inference.pipeline import SampleFailure, run_predictions
    from facealign_gui.inference.types import InferenceError

    sources: list[Dataset | list[Path]] = []
    loose: list[Path] = []
    problems: list[str] = []
    for item in args.inputs:
        p = Path(item)
        if not p.exists():
            return fail(f"{p}: no such file or folder", None, args.json)
        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES:
            loose.append(p)
            continue
        try:
            ds = open_dataset(p)
        except DatasetError as e:
            return fail(f"cannot read {p}", [str(x) for x in e.problems], args.json)
        problems += [str(x) for x in ds.problems]
        sources.append(ds)
    if loose:
        sources.append(loose)
    try:
        predictor = load_predictor(args.model, threads=args.threads, mode=args.mode)
    except (InferenceError, ValueError) as e:
        return fail(str(e), None, args.json)

    names: list[Path] = []
    points: list[np.ndarray] = []
    confidence: list[float] = []
    failed: list[dict[str, str]] = []
    cancel = threading.Event()
    total = sum(len(s) for s in sources)
    progress = Progress("predict", enabled=not args.quiet)
    offset = 0
    partial = False

    def report(done: int, _total: int) -> None:
        progress(offset + done, total)

    try:
        for src in sources:
            gen = run_predictions(
                predictor,
                src,
                batch_size=max(1, args.batch_size),
                workers=max(1, args.workers),
                cancel=cancel,
                progress=report,
            )
            try:
                for i, result in gen:
                    path = src.image_path(i) if isinstance(src, Dataset) else src[i]
                    if isinstance(result, SampleFailure):
                        failed.append({"image": str(path), "error": result.message})
                        continue
                    names.append(Path(os.path.abspath(path)))
                    points.append(result.points)
                    confidence.append(float(np.mean(result.confidence)))
            finally:
                gen.close()
            offset += len(src)
    except KeyboardInterrupt:
        cancel.set()
        partial = True
        progress.finish()
        print("interrupted: writing the faces done so far", file=sys.stderr)

    if not names:
        return fail(
            "no face was predicted",
            [f"{f['image']}: {f['error']}" for f in failed],
            args.json,
            code=130 if partial else 1,
        )
    try:
        root = Path(os.path.commonpath([str(n.parent) for n in names]))
    except ValueError:  # different drives
        root = Path()
    out = Dataset(
        format="predictions",
        scheme=predictor.scheme,
        root=root,
        images=[os.path.relpath(n, root) if root != Path() else str(n) for n in names],
        points=np.stack(points),
        visible=np.ones((len(names), predictor.num_points), dtype=bool),
        sources=[str(n) for n in names],
    )
    try:
        fmt = write_dataset(out, args.output, args.format, overwrite=args.overwrite)
    except DatasetError as e:
        return fail(f"cannot write {args.output}", [str(p) for p in e.problems], args.json)
    result = {
        "model": args.model,
        "model_id": predictor.model_id,
        "output": args.output,
        "format": fmt,
        "count": len(names),
        "partial": partial,
        "failed": failed,
        "problems": problems,
        "mean_confidence": float(np.mean(confidence)),
    }
    if args.json:
        emit_json(result)
    else:
        print(f"wrote {len(names)} faces to {args.output} ({fmt})")
        for f in failed[:20]:
            print(f"  failed: {f['image']}: {f['error']}", file=sys.stderr)
        if len(failed) > 20:
            print(f"  ... and {len(failed) - 20} more failures", file=sys.stderr)
    return 130 if partial else 0
