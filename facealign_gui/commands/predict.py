"""``facealign-gui predict [--model M] INPUT... -o OUT``: landmarks for images or a dataset.

INPUT is any mix of image files, folders and dataset files. Dataset faces use their boxes /
center-scale; plain images go through the face detector (every face it finds). Without
``--model`` the embedded offline default is used. The predictions are written with the
dataset writers (HRNet CSV, WFLW list, .pts folder, Kaggle CSV: ``--format``, else from
OUT's extension). Failed images and faces with non-finite points are reported, not written;
the good faces are. OUT may never be one of the inputs (nor their images or annotation
files, nor a folder holding them), with or without ``--overwrite``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from facealign_gui.commands._dataset_cli import (
    add_orientation_argument,
    apply_orientation,
    emit_json,
    fail,
    nothing_usable,
)
from facealign_gui.commands._model_cli import (
    DEFAULT_MODEL,
    Progress,
    add_model_arguments,
    failure_line,
)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".pgm", ".tif", ".tiff", ".webp"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from facealign_gui.datasets.formats import names_text

    add_model_arguments(parser)
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="images, folders or datasets")
    parser.add_argument("-o", "--output", required=True, help="annotation file or .pts folder")
    parser.add_argument("--format", help=f"output format ({names_text(writable=True)})")
    add_orientation_argument(parser)
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    import os
    import threading

    import numpy as np

    from facealign_gui.commands._outputs import output_clash
    from facealign_gui.datasets.io import check_output, open_dataset, source_files, write_dataset
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
        apply_orientation(ds, args)
        empty = nothing_usable(ds, p)
        if empty:
            return fail(empty[0], empty[1], args.json, 1)
        problems += [str(x) for x in ds.problems]
        sources.append(ds)
    if loose:
        sources.append(loose)
    protected: list[str | Path] = [Path(x) for x in args.inputs]
    for src in sources:
        if isinstance(src, Dataset):
            protected += sorted(source_files(src))
            protected += [src.image_path(i) for i in range(len(src))]
    clash = output_clash(args.output, protected)
    if clash:
        return fail(f"refusing to write: {clash}", None, args.json)
    try:  # a wrong output name or an existing output fails now, not after the whole run
        check_output(Dataset("predictions", None, Path(), []), args.output, args.format,
                     overwrite=args.overwrite)  # fmt: skip
    except DatasetError as e:
        from facealign_gui.datasets.formats import names_text

        text = _problem_text(e)
        if "output format" in text:
            text += f"; name the format with --format ({names_text(writable=True)})"
        return fail(f"cannot write {args.output}: {text}", None, args.json)
    if args.model is None:
        args.model = DEFAULT_MODEL
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
                threads=args.threads,
                keep_heatmaps=False,
                all_faces=True,  # images without boxes: every face the detector finds
            )
            try:
                for i, result in gen:
                    path = src.image_path(i) if isinstance(src, Dataset) else src[i]
                    if isinstance(result, SampleFailure):
                        failed.append(
                            {"image": str(path), "error": failure_line(str(path), result.message)}
                        )
                        continue
                    faces = result if isinstance(result, (list, tuple)) else [result]
                    for face in faces:
                        bad = ~np.isfinite(np.asarray(face.points, dtype=np.float64)).all(axis=1)
                        if bad.any():
                            shown = ", ".join(str(int(j)) for j in np.flatnonzero(bad)[:8])
                            failed.append({"image": str(path), "error": failure_line(
                                str(path), f"the model gave non-finite points ({shown}); "
                                "face not written")})  # fmt: skip
                            continue
                        names.append(Path(os.path.abspath(path)))
                        points.append(face.points)
                        confidence.append(float(np.mean(face.confidence)))
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
            f"no face was predicted: all {len(failed)} images failed"
            if failed
            else "no face was predicted: the inputs hold no images",
            [f["error"] for f in failed],
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
            print(f"  failed: {f['error']}", file=sys.stderr)
        if len(failed) > 20:
            print(f"  ... and {len(failed) - 20} more failures", file=sys.stderr)
    return 130 if partial else 0


def _problem_text(e: Exception) -> str:
    problems = getattr(e, "problems", None)
    if problems:
        return "; ".join(getattr(p, "message", str(p)) for p in problems)
    return str(e)
