"""``facealign-gui eval --model CARD --dataset DATASET``: run a model and score it.

Prints the same keys as ``score`` (count, nme, fr, auc, subsets, per_image) plus the model,
how many faces failed and why, and whether the run was stopped early (Ctrl-C: ``partial``).
A model whose landmark count differs from the dataset's is refused before any image is read.
"""

from __future__ import annotations

import argparse
import sys

from facealign_gui.commands._dataset_cli import (
    SCORING_NOTE,
    add_orientation_argument,
    apply_orientation,
    emit_json,
    fail,
    nothing_usable,
    print_missing,
    print_summary_table,
)
from facealign_gui.commands._model_cli import (
    Progress,
    add_model_arguments,
    default_model,
    failure_line,
    strip_image,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = SCORING_NOTE
    from facealign_gui.datasets.formats import names_text

    add_model_arguments(parser)
    parser.add_argument("--dataset", required=True, help="annotated dataset (any format)")
    parser.add_argument("--format", help=f"dataset format: {names_text()} (detected when omitted)")
    parser.add_argument("--subsets", metavar="WFLW_LIST_DIR", help="folder of WFLW subset lists")
    parser.add_argument("--threshold", type=float, default=0.1, help="failure threshold (0.1)")
    add_orientation_argument(parser)
    parser.add_argument("--limit", type=int, default=None, help="only the first N faces")
    parser.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 on any problem or any face without a usable prediction",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    import threading

    import numpy as np

    from facealign_gui.commands._checks import face_source, far_outside_problems
    from facealign_gui.core import metrics
    from facealign_gui.core.schemes import get_scheme
    from facealign_gui.datasets.io import open_dataset
    from facealign_gui.datasets.model import DatasetError
    from facealign_gui.inference.loader import load_predictor
    from facealign_gui.inference.pipeline import SampleFailure, run_predictions
    from facealign_gui.inference.types import InferenceError

    if not 0 < args.threshold <= 1:
        return fail(f"--threshold must be in (0, 1], got {args.threshold}", None, args.json)
    if args.limit is not None and args.limit < 1:
        return fail(f"--limit must be at least 1, got {args.limit}", None, args.json)
    try:
        ds = open_dataset(args.dataset, format=args.format)
    except DatasetError as e:
        return fail(f"cannot read {args.dataset}", [str(p) for p in e.problems], args.json)
    apply_orientation(ds, args)
    empty = nothing_usable(ds, args.dataset)
    if empty:
        return fail(empty[0], empty[1], args.json, 1)
    if ds.points is None or ds.num_points is None:
        return fail(f"{args.dataset} has no ground-truth landmarks to score", None, args.json)
    if args.model is None:
        args.model = default_model(ds.num_points)
    try:
        predictor = load_predictor(args.model, threads=args.threads, mode=args.mode)
    except (InferenceError, ValueError) as e:
        return fail(str(e), None, args.json)
    if predictor.num_points != ds.num_points:
        return fail(
            f"landmark count mismatch: model {args.model} predicts {predictor.num_points} "
            f"points ({predictor.scheme or 'unknown scheme'}), {args.dataset} has "
            f"{ds.num_points} ({ds.scheme or 'unknown scheme'})",
            None,
            args.json,
        )
    scheme_name = ds.scheme or predictor.scheme
    if scheme_name is None:
        return fail(
            f"{args.dataset}: no landmark scheme has {ds.num_points} points", None, args.json
        )
    scheme = get_scheme(scheme_name)
    problems = [str(p) for p in ds.problems]
    subsets = dict(ds.subsets)
    if args.subsets:
        from facealign_gui.datasets.subsets import match_wflw_subsets

        try:
            extra, sub_problems = match_wflw_subsets(args.subsets, ds)
        except DatasetError as e:
            return fail(
                f"cannot read subsets {args.subsets}", [str(p) for p in e.problems], args.json
            )
        subsets.update(extra)
        problems += [str(p) for p in sub_problems]

    n = len(ds) if args.limit is None else min(args.limit, len(ds))
    order = list(range(n))
    pred = np.full((len(ds), ds.num_points, 2), np.nan)
    failures: dict[int, str] = {}
    done: set[int] = set()
    cancel = threading.Event()
    progress = Progress("eval", enabled=not args.quiet)
    partial = False
    gen = run_predictions(
        predictor,
        ds,
        indices=order,
        batch_size=max(1, args.batch_size),
        workers=max(1, args.workers),
        cancel=cancel,
        progress=progress,
        threads=args.threads,
        keep_heatmaps=False,
    )
    try:
        for i, result in gen:
            done.add(i)
            if isinstance(result, SampleFailure):
                failures[i] = strip_image(ds.images[i], result.message)
            else:
                pred[i] = result.points
    except KeyboardInterrupt:
        cancel.set()
        partial = True
        progress.finish()
        print(f"interrupted: scoring the {len(done)} faces done so far", file=sys.stderr)
    finally:
        gen.close()

    evaluated = np.array(sorted(done), dtype=np.int64)
    if evaluated.size == 0:
        return fail("no face was evaluated", None, args.json, code=130 if partial else 2)
    g = ds.points[evaluated]
    box_sizes = ds.attributes.get("box_size")
    try:
        nme, _ = metrics.score_faces(
            pred[evaluated],
            g,
            scheme,
            visible=None if ds.visible is None else ds.visible[evaluated],
            box_sizes=None if box_sizes is None else np.asarray(box_sizes)[evaluated],
        )
    except ValueError as e:
        return fail(f"{args.dataset}: {e}", None, args.json)
    matched = metrics.restrict_subsets(subsets, evaluated, len(ds))
    summary = metrics.summarize(nme, args.threshold, matched)
    why = metrics.missing_reasons(
        pred[evaluated], g, None if ds.visible is None else ds.visible[evaluated]
    )
    missing = []
    for pos in np.flatnonzero(np.isposinf(nme)).tolist():
        i = int(evaluated[pos])
        reason = failures.get(i) or why[pos] or "no usable prediction"
        missing.append(
            {"image": ds.images[i], "source": face_source(ds, i),
             "reason": failure_line(ds.images[i], reason)}
        )  # fmt: skip
    gt_run = np.full(ds.points.shape, np.nan)
    gt_run[evaluated] = ds.points[evaluated]
    problems += far_outside_problems(ds, gt_run, "ground truth")
    problems += far_outside_problems(ds, pred, f"prediction ({predictor.model_id})")
    result = {
        "model": args.model,
        "model_id": predictor.model_id,
        "dataset": args.dataset,
        "scheme": scheme.name,
        "threshold": args.threshold,
        "mode": args.mode,
        **summary,
        "missing_count": summary["missing"],
        "missing": missing,
        "evaluated": int(evaluated.size),
        "total": len(ds),
        "partial": partial,
        "failed": [{"image": ds.images[i], "error": failures[i]} for i in sorted(failures)],
        "problems": problems,
        "per_image": [
            {"image": ds.images[i], "nme": float(v)}
            for i, v in zip(evaluated.tolist(), nme.tolist(), strict=True)
        ],
    }
    code = 130 if partial else (1 if args.strict and (missing or problems) else 0)
    if args.json:
        emit_json(result)
        return code
    _print_table(result)
    return code


def _print_table(r: dict) -> None:
    state = " (PARTIAL: stopped early)" if r["partial"] else ""
    print(
        f"{r['model_id']} on {r['dataset']} ({r['scheme']}, {r['mode']} mode, threshold "
        f"{r['threshold']}): {r['evaluated']} of {r['total']} faces{state}"
    )
    print_summary_table(r, width=18)
    print_missing(r["missing"])
    if r["problems"]:
        print(f"{len(r['problems'])} problems:", file=sys.stderr)
    for p in r["problems"][:20]:
        print(f"  {p}", file=sys.stderr)
