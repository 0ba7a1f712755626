"""Predictions per (model id, sample index), Qt-free.

Heatmaps are kept only for the most recently used entries: 98 heatmaps of 64x64 for 10,000
images would be 8 GB.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict

import numpy as np

from facealign_gui.core.annotation import Prediction


class ResultCache:
    """Predictions per (model id, index); heatmaps only for the `heatmap_slots` newest uses."""

    def __init__(self, heatmap_slots: int = 128) -> None:
        self._preds: dict[tuple[str, int], Prediction] = {}
        self._failures: dict[tuple[str, int], str] = {}
        self._with_heatmaps: OrderedDict[tuple[str, int], None] = OrderedDict()
        self.heatmap_slots = heatmap_slots

    def put(self, model_id: str, index: int, prediction: Prediction) -> None:
        key = (model_id, index)
        old = self._preds.get(key)
        if prediction.heatmaps is None and old is not None and old.heatmaps is not None:
            prediction = dataclasses.replace(prediction, heatmaps=old.heatmaps)
        self._preds[key] = prediction
        self._failures.pop(key, None)
        if prediction.heatmaps is not None:
            self._touch(key)

    def put_failure(self, model_id: str, index: int, message: str) -> None:
        self._failures[(model_id, index)] = message

    def get(self, model_id: str, index: int) -> Prediction | None:
        key = (model_id, index)
        p = self._preds.get(key)
        if p is not None and p.heatmaps is not None:
            self._touch(key)
        return p

    def failure(self, model_id: str, index: int) -> str | None:
        return self._failures.get((model_id, index))

    def _touch(self, key: tuple[str, int]) -> None:
        self._with_heatmaps[key] = None
        self._with_heatmaps.move_to_end(key)
        while len(self._with_heatmaps) > self.heatmap_slots:
            old, _ = self._with_heatmaps.popitem(last=False)
            p = self._preds.get(old)
            if p is not None:
                self._preds[old] = dataclasses.replace(p, heatmaps=None)

    def statuses(self, model_id: str, n: int) -> list[tuple[int, object]]:
        """(index, Prediction or error text) of every sample below ``n`` known for a model."""
        out: list[tuple[int, object]] = [
            (i, p) for (m, i), p in self._preds.items() if m == model_id and i < n
        ]
        out += [(i, e) for (m, i), e in self._failures.items() if m == model_id and i < n]
        return out

    def count(self, model_id: str) -> int:
        return sum(1 for m, _ in self._preds if m == model_id)

    def points(self, model_id: str, n: int, k: int) -> np.ndarray:
        """(n, k, 2) predicted points, NaN where there is no prediction."""
        out = np.full((n, k, 2), np.nan)
        for (m, i), p in self._preds.items():
            if m == model_id and 0 <= i < n and p.points.shape == (k, 2):
                out[i] = p.points
        return out

    def clear(self) -> None:
        self._preds.clear()
        self._failures.clear()
        self._with_heatmaps.clear()
