"""The result cache: points are kept, heatmaps only for the newest entries."""

from __future__ import annotations

import numpy as np

from facealign_gui.core.annotation import Prediction
from facealign_gui.tasks.cache import ResultCache


def pred(k: int = 3, heat: bool = True) -> Prediction:
    return Prediction(
        points=np.zeros((k, 2)),
        confidence=np.ones(k, np.float32),
        heatmaps=np.zeros((k, 2, 2), np.float16) if heat else None,
    )


def test_the_cache_keeps_heatmaps_only_for_the_newest_entries() -> None:
    cache = ResultCache(heatmap_slots=2)
    for i in range(4):
        cache.put("m", i, pred())
    assert [cache.get("m", i).heatmaps is None for i in range(4)] == [True, True, False, False]
    assert cache.get("m", 0).points.shape == (3, 2)  # points are never dropped
    # a result without heatmaps does not erase heatmaps already held
    cache.put("m", 3, pred(heat=False))
    assert cache.get("m", 3).heatmaps is not None


def test_cached_points_are_nan_where_there_is_no_prediction() -> None:
    cache = ResultCache()
    cache.put("m", 1, pred())
    cache.put("other", 0, pred())
    cache.put_failure("m", 2, "no face")
    pts = cache.points("m", 3, 3)
    assert np.isnan(pts[[0, 2]]).all() and (pts[1] == 0).all()
    assert cache.failure("m", 2) == "no face" and cache.count("m") == 1
