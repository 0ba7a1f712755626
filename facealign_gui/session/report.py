"""How much correcting the model needed: final labels against the prediction they started from.

Per image: NME between the prediction and the final annotation (the final annotation plays
ground truth: same `core.metrics` functions and the scheme's published normaliser, e.g. the
outer-eye-corner distance), how many points moved, and the person's time. Per landmark: mean
normalised correction and the share of images where that point was moved.
"""

from __future__ import annotations

import csv
import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facealign_gui.session.store import Session

MOVED_PX = 1e-6  # a point counts as moved when it changed by more than this (pixels)


@dataclass
class CorrectionReport:
    images: list[str]
    index: np.ndarray  # (n,) session indices
    status: list[str]
    nme: np.ndarray  # (n,) NaN when the image has no prediction
    moved: np.ndarray  # (n,) number of points moved
    seconds: np.ndarray  # (n,)
    landmark_names: list[str]
    landmark_error: np.ndarray  # (K,) mean normalised correction over images
    landmark_moved: np.ndarray  # (K,) share of images where the point moved
    normaliser: str

    def __len__(self) -> int:
        return len(self.images)


def correction_report(session: Session, verified_only: bool = False) -> CorrectionReport:
    """The report over every annotated (or only verified) image."""
    from facealign_gui.core.metrics import landmark_errors, nme_per_image

    lab = session.labels(verified_only=verified_only)
    k = session.num_points
    names, scheme = _scheme(session)
    norm, norm_name = _normalisers(lab.points, scheme, lab.attributes)
    pred = lab.predicted
    has_pred = np.isfinite(pred).all(axis=(1, 2)) if len(lab) else np.zeros(0, bool)
    if len(lab):
        nme = nme_per_image(pred, lab.points, norm, lab.visible)
        err = landmark_errors(pred, lab.points, norm, lab.visible)
        dist = np.linalg.norm(pred - lab.points, axis=2)
        moved_mask = np.where(has_pred[:, None], dist > MOVED_PX, False)
    else:
        nme, err = np.zeros(0), np.zeros((0, k))
        moved_mask = np.zeros((0, k), bool)
    nme = np.where(has_pred, nme, np.nan)
    with warnings.catch_warnings():  # all-NaN landmarks: 'mean of empty slice'
        warnings.simplefilter("ignore", RuntimeWarning)
        lm_err = np.nanmean(err[has_pred], axis=0) if has_pred.any() else np.full(k, np.nan)
    n_pred = max(int(has_pred.sum()), 1)
    return CorrectionReport(
        images=lab.images,
        index=lab.index,
        status=lab.status,
        nme=nme,
        moved=moved_mask.sum(axis=1),
        seconds=lab.seconds,
        landmark_names=names,
        landmark_error=lm_err,
        landmark_moved=moved_mask.sum(axis=0) / n_pred,
        normaliser=norm_name,
    )


def image_csv(report: CorrectionReport) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["index", "image", "status", f"nme_{report.normaliser}", "points_moved", "seconds"])
    for j in range(len(report)):
        row = [int(report.index[j]), report.images[j], report.status[j], _num(report.nme[j])]
        w.writerow([*row, int(report.moved[j]), f"{report.seconds[j]:.3f}"])
    return out.getvalue()


def landmark_csv(report: CorrectionReport) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["landmark", "name", f"mean_error_{report.normaliser}", "moved_share"])
    for i, name in enumerate(report.landmark_names):
        w.writerow([i, name, _num(report.landmark_error[i]), f"{report.landmark_moved[i]:.4f}"])
    return out.getvalue()


def write_report_csv(report: CorrectionReport, path: str | Path) -> tuple[Path, Path]:
    """Per-image rows to ``path`` and per-landmark rows to ``<stem>_landmarks.csv``."""
    from facealign_gui.datasets._common import atomic_write_text

    path = Path(path)
    lm = path.with_name(f"{path.stem}_landmarks{path.suffix or '.csv'}")
    atomic_write_text(path, image_csv(report))
    atomic_write_text(lm, landmark_csv(report))
    return path, lm


def _num(v: float) -> str:
    return "" if not np.isfinite(v) else repr(float(v))


def _scheme(session: Session) -> tuple[list[str], object | None]:
    try:
        from facealign_gui.core.schemes import get_scheme

        s = get_scheme(session.scheme or "")
        return list(s.point_names), s
    except Exception:
        return [f"p{i}" for i in range(session.num_points)], None


def _normalisers(
    points: np.ndarray, scheme: object | None, attributes: list[dict[str, object]]
) -> tuple[np.ndarray, str]:
    """The scheme's published normaliser; AFLW's box size when the images carry it; else
    the square root of the landmark box area."""
    from facealign_gui.core.metrics import normalisers

    if len(points) == 0:
        return np.zeros(0), "none"
    if scheme is not None:
        kind = getattr(scheme, "normaliser_kind", "inter_ocular")
        if kind == "box":
            sizes = [a.get("box_size") for a in attributes]
            if all(isinstance(v, (int, float)) for v in sizes):
                return normalisers(points, scheme, np.asarray(sizes, float), "box"), "box"
            return normalisers(points, scheme, kind="bbox_sqrt_area"), "bbox_sqrt_area"
        return normalisers(points, scheme), kind
    lo, hi = np.nanmin(points, axis=1), np.nanmax(points, axis=1)
    wh = hi - lo
    return np.sqrt(wh[:, 0] * wh[:, 1]), "bbox_sqrt_area"
