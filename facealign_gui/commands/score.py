"""``facealign-gui score --gt A --pred B``: NME / FR / AUC of predictions, per subset."""

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
    print_problems,
    print_summary_table,
)

NORMALISERS = ("default", "inter_ocular", "inter_pupil", "box", "bbox_diag", "bbox_sqrt_area")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = SCORING_NOTE
    from facealign_gui.datasets.formats import names_text

    parser.add_argument("--gt", required=True, help="ground-truth annotations (any format)")
    parser.add_argument("--pred", required=True, help="predicted annotations (any format)")
    parser.add_argument("--subsets", metavar="WFLW_LIST_DIR", help="folder of WFLW subset lists")
    parser.add_argument("--threshold", type=float, default=0.1, help="failure threshold (0.1)")
    parser.add_argument("--normaliser", choices=NORMALISERS, default="default")
    known = names_text()
    parser.add_argument("--gt-format", help=f"format of --gt: {known} (detected when omitted)")
    parser.add_argument("--pred-format", help=f"format of --pred: {known} (detected when omitted)")
    parser.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 on any problem, unmatched face or missing prediction",
    )
    add_orientation_argument(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from facealign_gui.commands._checks import face_source, far_outside_problems
    from facealign_gui.core import metrics
    from facealign_gui.core.schemes import get_scheme
    from facealign_gui.datasets.io import open_dataset
    from facealign_gui.datasets.matching import match_samples
    from facealign_gui.datasets.model import DatasetError

    if not 0 < args.threshold <= 1:
        return fail(f"--threshold must be in (0, 1], got {args.threshold}", None, args.json)
    loaded = []
    for path, fmt in ((args.gt, args.gt_format), (args.pred, args.pred_format)):
        try:
            loaded.append(open_dataset(path, format=fmt, check_images=False))
        except DatasetError as e:
            return fail(f"cannot read {path}", [str(p) for p in e.problems], args.json)
    gt, pred = loaded
    apply_orientation(gt, args)
    for ds, path in ((gt, args.gt), (pred, args.pred)):
        empty = nothing_usable(ds, path)
        if empty:
            return fail(empty[0], empty[1], args.json, 1)
    if gt.points is None or pred.points is None:
        which = args.gt if gt.points is None else args.pred
        return fail(f"{which} has no landmarks to score", None, args.json)
    if gt.num_points != pred.num_points:
        return fail(
            f"scheme mismatch: {args.pred} has {pred.num_points}-point faces "
            f"({pred.scheme or 'unknown scheme'}), {args.gt} has {gt.num_points} "
            f"({gt.scheme or 'unknown scheme'})",
            None,
            args.json,
        )
    if gt.scheme is None:
        return fail(f"{args.gt}: no landmark scheme has {gt.num_points} points", None, args.json)
    scheme = get_scheme(gt.scheme)
    problems = [str(p) for p in gt.problems + pred.problems]

    subsets = dict(gt.subsets)
    if args.subsets:
        from facealign_gui.datasets.subsets import match_wflw_subsets

        try:
            extra, sub_problems = match_wflw_subsets(args.subsets, gt)
        except DatasetError as e:
            return fail(f"cannot read subsets {args.subsets}", [str(p) for p in e.problems],
                        args.json)  # fmt: skip
        subsets.update(extra)
        problems += [str(p) for p in sub_problems]

    m = match_samples(gt, pred)
    if len(m.gt_index) == 0:
        reasons = list(dict.fromkeys(m.unmatched_gt.values()))[:5]
        return fail(
            f"no prediction in {args.pred} matches a face in {args.gt} by image path", reasons,
            args.json,
        )  # fmt: skip
    # every ground-truth face is scored; one without a paired prediction is a missing one
    p = np.full(gt.points.shape, np.nan)
    p[m.gt_index] = pred.points[m.pred_index]
    box_sizes = gt.attributes.get("box_size")
    try:
        nme, _ = metrics.score_faces(
            p,
            gt.points,
            scheme,
            visible=gt.visible,
            box_sizes=None if box_sizes is None else np.asarray(box_sizes),
            kind=args.normaliser,
        )
    except ValueError as e:
        return fail(f"{args.gt}: {e}", None, args.json)
    reasons = dict(m.unmatched_gt)
    for i, why in enumerate(metrics.missing_reasons(p, gt.points, gt.visible)):
        if why is not None and i not in reasons:
            j = int(m.pred_index[np.searchsorted(m.gt_index, i)])
            reasons[i] = f"{face_source(pred, j)}: {why}"
    problems += far_outside_problems(gt, gt.points, "ground truth")
    problems += far_outside_problems(gt, p, f"prediction ({args.pred})")
    summary = metrics.summarize(nme, args.threshold, subsets)
    result = {
        "gt": args.gt,
        "pred": args.pred,
        "scheme": scheme.name,
        "threshold": args.threshold,
        "normaliser": args.normaliser,
        "matched_by": m.how,
        **summary,
        "missing_count": summary["missing"],
        "missing": [
            {"image": gt.images[i], "source": face_source(gt, i), "reason": reasons.get(i, "")}
            for i in np.flatnonzero(np.isposinf(nme)).tolist()
        ],
        "unmatched": {
            "gt": [gt.images[i] for i in m.unmatched_gt],
            "pred": [pred.images[j] for j in m.unmatched_pred],
        },
        "problems": problems,
        "per_image": [{"image": gt.images[i], "nme": float(v)} for i, v in enumerate(nme.tolist())],
    }
    anything_off = problems or result["missing"] or m.unmatched_pred
    code = 1 if args.strict and anything_off else 0
    if args.json:
        emit_json(result)
        return code
    _print_table(result)
    return code


def _print_table(r: dict) -> None:
    print(f"{r['pred']} vs {r['gt']} ({r['scheme']}, normaliser {r['normaliser']}, "
          f"threshold {r['threshold']}, matched by {r['matched_by']})")  # fmt: skip
    print_summary_table(r, width=14)
    print_missing(r["missing"])
    for side in ("gt", "pred"):
        if r["unmatched"][side]:
            print(f"{len(r['unmatched'][side])} unmatched {side} faces, e.g. "
                  f"{r['unmatched'][side][0]}", file=sys.stderr)  # fmt: skip
    if r["problems"]:
        print(f"{len(r['problems'])} problems:", file=sys.stderr)
        print_problems(r["problems"])
