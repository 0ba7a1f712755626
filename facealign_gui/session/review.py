"""Review signals: the numbers that decide which image a person looks at first.

A `ReviewSignal` says what a number means (``name``, ``label`` for menus), which end of it is
reviewed first (``worst``), how per-landmark values become one score per face (``reduce``) and,
optionally, how to compute it from a stored `Prediction` (``compute``). One registry holds
them; the session keeps a score table with one row per (prediction, signal), so a new signal
is one `register_signal` call and never a schema change.

Adding a signal (e.g. in ``inference/``, where heatmaps are at hand)::

    from facealign_gui.session.review import ReviewSignal, register_signal

    register_signal(ReviewSignal(
        name="heatmap_spread",
        label="Widest heatmap peak",
        worst="high",        # large spread = unsure: review first
        reduce="max",        # a face is as unsure as its worst landmark
    ))

    # after predicting image i (per-landmark values, or one float per face):
    session.set_prediction(i, prediction, scores={"heatmap_spread": spread_k})
    session.set_scores(i, "heatmap_spread", spread_k)   # or later, for the current prediction
    session.scores("heatmap_spread")      # -> Scores(face=(n,), per_point=(n, K)), NaN = none
    session.review_queue("heatmap_spread")  # image indices, worst first

Scores belong to the prediction they were computed for: a new prediction of an image starts
without them. A signal with ``compute`` is filled in by the session itself whenever a
prediction is stored. Built-in signals (``uncertainty``/``mean``, ``min``, ``mirror``) read
columns the session already keeps (``column``); they have no score rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from facealign_gui.core.annotation import Prediction

Reduce = Literal["mean", "max", "min"]


@dataclass(frozen=True)
class ReviewSignal:
    """One kind of review score (see the module docstring)."""

    name: str
    label: str
    worst: Literal["low", "high"]  # which end is reviewed first
    reduce: Reduce = "mean"  # per-landmark values -> the per-face score the queue sorts by
    compute: Callable[[Prediction], np.ndarray | float] | None = None
    column: str | None = None  # built-ins: a value the session already stores
    description: str = ""

    def face_score(self, values: np.ndarray | float) -> tuple[float | None, np.ndarray | None]:
        """``(per-face score or None, per-landmark float32 values or None)`` of ``values``."""
        a = np.asarray(values, dtype=np.float64)
        if a.ndim == 0:
            v = float(a)
            return (v if np.isfinite(v) else None), None
        per = a.reshape(-1)
        finite = per[np.isfinite(per)]
        if not finite.size:
            return None, per.astype(np.float32)
        fn = {"mean": np.mean, "max": np.max, "min": np.min}[self.reduce]
        return float(fn(finite)), per.astype(np.float32)


@dataclass
class Scores:
    """One signal's scores over a session: ``face`` (n,) and ``per_point`` (n, K), NaN where
    an image's current prediction has none (``per_point`` is all NaN for per-face signals)."""

    signal: str
    face: np.ndarray
    per_point: np.ndarray


_REGISTRY: dict[str, ReviewSignal] = {}
_ALIASES = {"mean": "uncertainty"}
INDEX_ORDER = "index"  # file order: not a signal, always available


def register_signal(signal: ReviewSignal) -> ReviewSignal:
    """Add ``signal`` to the registry (registering the same definition again is a no-op)."""
    if not signal.name or not signal.name.replace("_", "").isalnum():
        raise ValueError(f"review signal names are letters, digits and _: {signal.name!r}")
    if signal.worst not in ("low", "high") or signal.reduce not in ("mean", "max", "min"):
        raise ValueError(f"review signal {signal.name!r}: worst is low/high, reduce mean/max/min")
    old = _REGISTRY.get(signal.name)
    if old is not None and old != signal:
        raise ValueError(f"another review signal is already called {signal.name!r}")
    if signal.name in _ALIASES or signal.name == INDEX_ORDER:
        raise ValueError(f"{signal.name!r} is a reserved review order name")
    _REGISTRY[signal.name] = signal
    return signal


def unregister_signal(name: str) -> None:
    """Remove a registered signal (a plugin being unloaded; tests). Built-ins stay."""
    sig = _REGISTRY.get(name)
    if sig is not None and sig.column is None:
        del _REGISTRY[name]


def get_signal(name: str) -> ReviewSignal:
    """The registered signal called ``name`` (or one of its aliases); ValueError otherwise."""
    sig = _REGISTRY.get(_ALIASES.get(name, name))
    if sig is None:
        raise ValueError(f"unknown review order {name!r}; choose one of {', '.join(orders())}")
    return sig


def signals() -> list[ReviewSignal]:
    """Every registered signal, built-ins first, then in registration order."""
    return list(_REGISTRY.values())


def orders() -> list[str]:
    """Every name `Session.review_queue` accepts."""
    return [*_REGISTRY, INDEX_ORDER]


register_signal(
    ReviewSignal(
        "uncertainty",
        "Least confident first (mean)",
        worst="low",
        column="mean_conf",
        description="mean per-point confidence of the current prediction",
    )
)
register_signal(
    ReviewSignal(
        "min",
        "Least confident point first",
        worst="low",
        reduce="min",
        column="min_conf",
        description="lowest single-point confidence of the current prediction",
    )
)
register_signal(
    ReviewSignal(
        "mirror",
        "Mirror disagreement first",
        worst="high",
        column="disagreement",
        description="distance between the prediction and the un-flipped mirrored prediction",
    )
)
