"""Edits as deltas: the unit of undo, of the on-disk journal, and of replay.

Every change to an image's annotation or review status is one `Edit`: which landmark indices
changed (old and new coordinates and visibility) and the image's small state before and after
(whether it has an annotation, its source, the prediction it came from, its status). Undo
applies `Edit.inverse`; the journal stores each applied edit; `replay` rebuilds every
annotation from the journal alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import numpy as np

_DUMPS = json.JSONEncoder(separators=(",", ":")).encode


@dataclass(frozen=True)
class ImageState:
    """The scalar part of one image's labelling state."""

    annotated: bool = False
    source: str | None = None  # core.annotation.Source value, when annotated
    from_prediction: int | None = None  # predictions.id the annotation started from
    status: str = "unlabelled"  # core.annotation.Status value
    prediction: int | None = None  # predictions.id of the image's current prediction

    def to_json(self) -> str:
        # the fields by hand: `asdict` (deep copies) cost more than the rest of an edit
        d = {
            "annotated": self.annotated,
            "source": self.source,
            "from_prediction": self.from_prediction,
            "status": self.status,
            "prediction": self.prediction,
        }
        return _DUMPS(d)

    @classmethod
    def from_json(cls, text: str) -> ImageState:
        return cls(**json.loads(text))


def _empty_points() -> np.ndarray:
    return np.zeros((0, 2), dtype=np.float64)


def _empty_visible() -> np.ndarray:
    return np.zeros(0, dtype=bool)


@dataclass(frozen=True)
class Edit:
    """One change to one image.

    When ``new_state.annotated`` is true and ``old_state.annotated`` is false, the annotation
    is first created from prediction ``new_state.from_prediction`` (all points visible; NaN
    points when there is none) and then ``indices`` get ``new_points``/``new_visible``.
    When ``new_state.annotated`` is false the annotation is removed.
    """

    image: int
    kind: str
    old_state: ImageState
    new_state: ImageState
    indices: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    old_points: np.ndarray = field(default_factory=_empty_points)
    new_points: np.ndarray = field(default_factory=_empty_points)
    old_visible: np.ndarray = field(default_factory=_empty_visible)
    new_visible: np.ndarray = field(default_factory=_empty_visible)

    def inverse(self) -> Edit:
        """The edit that undoes this one."""
        return Edit(
            image=self.image,
            kind=f"undo:{self.kind}" if not self.kind.startswith("undo:") else self.kind[5:],
            old_state=self.new_state,
            new_state=self.old_state,
            indices=self.indices,
            old_points=self.new_points,
            new_points=self.old_points,
            old_visible=self.new_visible,
            new_visible=self.old_visible,
        )

    def with_kind(self, kind: str) -> Edit:
        return replace(self, kind=kind)

    @property
    def is_noop(self) -> bool:
        return (
            self.old_state == self.new_state
            and np.array_equal(self.old_points, self.new_points, equal_nan=True)
            and np.array_equal(self.old_visible, self.new_visible)
        )


# -- blobs ---------------------------------------------------------------------------------


def points_blob(a: np.ndarray) -> bytes:
    return np.ascontiguousarray(a, dtype="<f8").tobytes()


def points_from_blob(b: bytes) -> np.ndarray:
    return np.frombuffer(b, dtype="<f8").reshape(-1, 2).copy()


def mask_blob(a: np.ndarray) -> bytes:
    return np.ascontiguousarray(a, dtype=np.uint8).tobytes()


def mask_from_blob(b: bytes) -> np.ndarray:
    return np.frombuffer(b, dtype=np.uint8).astype(bool)


def index_blob(a: np.ndarray) -> bytes:
    return np.ascontiguousarray(a, dtype="<i8").tobytes()


def index_from_blob(b: bytes) -> np.ndarray:
    return np.frombuffer(b, dtype="<i8").copy()


def floats_blob(a: np.ndarray) -> bytes:
    return np.ascontiguousarray(a, dtype="<f4").tobytes()


def floats_from_blob(b: bytes) -> np.ndarray:
    return np.frombuffer(b, dtype="<f4").copy()


def edit_row(edit: Edit, t: float) -> tuple:
    """The journal row of ``edit`` (column order of the INSERT in the store)."""
    return (
        t,
        edit.image,
        edit.kind,
        index_blob(edit.indices),
        points_blob(edit.old_points),
        points_blob(edit.new_points),
        mask_blob(edit.old_visible),
        mask_blob(edit.new_visible),
        edit.old_state.to_json(),
        edit.new_state.to_json(),
    )


def edit_from_row(row: tuple) -> Edit:
    """Inverse of `edit_row` for ``(image, kind, indices, old_p, new_p, old_v, new_v, old_s,
    new_s)``."""
    image, kind, idx, op, np_, ov, nv, os_, ns = row
    return Edit(
        image=int(image),
        kind=kind,
        indices=index_from_blob(idx),
        old_points=points_from_blob(op),
        new_points=points_from_blob(np_),
        old_visible=mask_from_blob(ov),
        new_visible=mask_from_blob(nv),
        old_state=ImageState.from_json(os_),
        new_state=ImageState.from_json(ns),
    )


# -- replay --------------------------------------------------------------------------------


@dataclass
class ReplayedImage:
    """What `replay` rebuilt for one image."""

    state: ImageState
    points: np.ndarray | None
    visible: np.ndarray | None


def apply_to(
    current: ReplayedImage,
    edit: Edit,
    num_points: int,
    prediction_points: dict[int, np.ndarray],
) -> ReplayedImage:
    """``current`` after ``edit``; the one rule both the store and `replay` follow."""
    state = edit.new_state
    if not state.annotated:
        return ReplayedImage(state, None, None)
    if current.points is None or not current.state.annotated:
        pid = state.from_prediction
        if pid is not None and pid in prediction_points:
            points = np.array(prediction_points[pid], dtype=np.float64, copy=True)
        else:
            points = np.full((num_points, 2), np.nan)
        visible = np.ones(num_points, dtype=bool)
    else:
        points, visible = current.points.copy(), current.visible.copy()
    if edit.indices.size:
        points[edit.indices] = edit.new_points
        visible[edit.indices] = edit.new_visible
    return ReplayedImage(state, points, visible)


def replay(
    num_images: int,
    num_points: int,
    edits: Iterable[Edit],
    prediction_points: dict[int, np.ndarray],
) -> list[ReplayedImage]:
    """Rebuild every image's annotation and state from the journal alone."""
    out = [ReplayedImage(ImageState(), None, None) for _ in range(num_images)]
    for e in edits:
        out[e.image] = apply_to(out[e.image], e, num_points, prediction_points)
    return out
