"""The batch pipeline: order, per-sample failures, detector fallback, cancellation."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from _inference_models import card_for, constant_model

from facealign_gui.core.annotation import Prediction
from facealign_gui.datasets.model import Dataset
from facealign_gui.inference.card import CropSpec
from facealign_gui.inference.loader import load_predictor
from facealign_gui.inference.pipeline import SampleFailure, face_for_sample, run_predictions
from facealign_gui.inference.runtime import clear_sessions
from facealign_gui.inference.types import FaceRegion


@pytest.fixture
def predictor(tmp_path: Path):
    clear_sessions()
    coords = np.array([0.5, 0.5], np.float32)  # the crop centre
    constant_model(tmp_path / "reg.onnx", {"coords": coords}, ("N", 3, 16, 16))
    card_for(
        tmp_path / "reg.toml",
        tmp_path / "reg.onnx",
        "regression",
        1,
        size=(16, 16),
        crop=CropSpec(rule="box", enlarge=1.0),
    )
    return load_predictor(tmp_path / "reg.toml", mode="precise")


def _dataset(tmp_path: Path, n: int, bad: dict[int, str] | None = None) -> Dataset:
    bad = bad or {}
    names = []
    for i in range(n):
        name = f"img{i:03d}.png"
        if bad.get(i) == "corrupt":
            (tmp_path / name).write_bytes(b"not a png")
        elif bad.get(i) != "missing":
            cv2.imwrite(str(tmp_path / name), np.full((40, 40, 3), i, np.uint8))
        names.append(name)
    boxes = np.array([[i, 0.0, i + 20.0, 20.0] for i in range(n)])
    return Dataset(
        format="test",
        scheme=None,
        root=tmp_path,
        images=names,
        boxes=boxes,
        sources=[f"list.txt:{i + 1}" for i in range(n)],
    )


def test_results_come_in_order_with_failures_marked(tmp_path: Path, predictor) -> None:
    ds = _dataset(tmp_path, 12, {3: "missing", 7: "corrupt"})
    seen = []
    out = list(
        run_predictions(
            predictor, ds, batch_size=4, workers=2, progress=lambda d, t: seen.append((d, t))
        )
    )
    assert [i for i, _ in out] == list(range(12))
    assert isinstance(out[3][1], SampleFailure) and "image not found" in out[3][1].message
    assert isinstance(out[7][1], SampleFailure) and "cannot decode" in out[7][1].message
    for i, r in out:
        if i not in (3, 7):
            assert isinstance(r, Prediction)
            # centre of the square box [i, i + 20]: precise crop of side 20 at (i, 0)
            assert r.points[0].tolist() == pytest.approx([i + 10.0, 10.0])
    assert seen[-1] == (12, 12) and len(seen) == 12


def test_subset_of_indices_and_image_list_sources(tmp_path: Path, predictor) -> None:
    ds = _dataset(tmp_path, 6)
    out = list(run_predictions(predictor, ds, indices=[5, 1]))
    assert [i for i, _ in out] == [5, 1]
    paths = [tmp_path / "img000.png", tmp_path / "nothing.png"]
    found = [FaceRegion(box=(4.0, 4.0, 36.0, 36.0))]
    out = list(run_predictions(predictor, paths, detect=lambda img: found))
    assert out[0][1].points[0].tolist() == pytest.approx([20.0, 20.0])
    assert isinstance(out[1][1], SampleFailure) and "nothing.png" in out[1][1].message


def test_sample_without_region_where_detector_finds_nothing_fails(
    tmp_path: Path, predictor
) -> None:
    ds = _dataset(tmp_path, 2)
    ds.boxes = None
    out = list(run_predictions(predictor, ds, detect=lambda img: []))
    assert all(isinstance(r, SampleFailure) and "no face found" in r.message for _, r in out)
    assert "list.txt:1" in out[0][1].message


def test_cancel_stops_the_run_within_a_batch(tmp_path: Path, predictor) -> None:
    ds = _dataset(tmp_path, 40)
    cancel = threading.Event()

    def progress(done: int, total: int) -> None:
        if done == 4:
            cancel.set()

    out = list(run_predictions(predictor, ds, batch_size=4, cancel=cancel, progress=progress))
    assert 4 <= len(out) <= 8
    assert [i for i, _ in out] == list(range(len(out)))


def test_face_for_sample_prefers_ground_truth_box_when_asked(tmp_path: Path) -> None:
    pts = np.array([[[10.0, 20.0], [30.0, 60.0]]])
    ds = Dataset(
        format="t",
        scheme=None,
        root=tmp_path,
        images=["a.png"],
        points=pts,
        visible=np.ones((1, 2), bool),
        centers=np.array([[5.0, 6.0]]),
        scales=np.array([1.5]),
        boxes=np.array([[0.0, 0.0, 9.0, 9.0]]),
    )
    f = face_for_sample(ds, 0, "landmarks")
    assert f.box == (10.0, 20.0, 30.0, 60.0) and f.center == (5.0, 6.0) and f.scale == 1.5
    assert face_for_sample(ds, 0, "dataset").box == (0.0, 0.0, 9.0, 9.0)


def test_a_detector_that_raises_fails_the_sample_not_the_run(tmp_path: Path, predictor) -> None:
    ds = _dataset(tmp_path, 3)
    ds.boxes = None

    def broken(image: np.ndarray) -> list[FaceRegion]:
        raise RuntimeError("detector model missing")

    out = list(run_predictions(predictor, ds, detect=broken))
    assert len(out) == 3
    assert all("detector model missing" in r.message for _, r in out)


def test_batches_shrink_when_a_runtime_call_is_slow(tmp_path: Path) -> None:
    sizes: list[int] = []

    class Slow:
        model_id, num_points, scheme = "slow", 1, None

        def prepare(self, image: np.ndarray, face: FaceRegion, *, detected: bool = False) -> int:
            return 0

        def run_prepared(self, items: list) -> list[Prediction]:
            sizes.append(len(items))
            time.sleep(0.02 * len(items))
            return [Prediction(np.zeros((1, 2)), np.ones(1, np.float32)) for _ in items]

    ds = _dataset(tmp_path, 9)
    out = list(run_predictions(Slow(), ds, batch_size=4, max_batch_seconds=0.01))  # type: ignore[arg-type]
    assert len(out) == 9 and sizes[0] == 4 and set(sizes[1:]) == {1}
    sizes.clear()
    out = list(run_predictions(Slow(), ds, batch_size=4, max_batch_seconds=float("inf")))  # type: ignore[arg-type]
    assert sizes == [4, 4, 1]


def test_the_default_detector_gets_the_thread_settings(tmp_path: Path, predictor, monkeypatch):
    from facealign_gui.inference import detect
    from facealign_gui.inference.runtime import SessionConfig

    seen: list[object] = []

    def fake_detect(image, *, max_faces=None, threads=None, **_kw):
        seen.append(threads)
        return [FaceRegion(box=(0.0, 0.0, 20.0, 20.0))]

    monkeypatch.setattr(detect, "detect_faces", fake_detect)
    cv2.imwrite(str(tmp_path / "a.png"), np.zeros((40, 40, 3), np.uint8))
    live = SessionConfig(1, False)
    list(run_predictions(predictor, [tmp_path / "a.png"], threads=live))
    assert seen == [live]
    # without threads=, the detector runs like the predictor's own session
    list(run_predictions(predictor, [tmp_path / "a.png"]))
    assert seen[1] == predictor.session.config


def test_heatmaps_are_kept_only_for_the_samples_asked_for(tmp_path: Path) -> None:
    from _inference_models import gaussian_maps

    clear_sessions()
    hm = gaussian_maps(np.array([[4, 4]]), (8, 8))
    constant_model(tmp_path / "hr.onnx", {"hm": hm}, ("N", 3, 32, 32))
    card_for(
        tmp_path / "hr.toml",
        tmp_path / "hr.onnx",
        "hrnet",
        1,
        size=(32, 32),
        crop=CropSpec(rule="hrnet_center_scale"),
    )
    pred = load_predictor(tmp_path / "hr.toml", mode="precise")
    ds = _dataset(tmp_path, 5)
    kept = dict(run_predictions(pred, ds, batch_size=2, keep_heatmaps=lambda i: i in (1, 4)))
    assert [kept[i].heatmaps is not None for i in range(5)] == [False, True, False, False, True]
    assert kept[1].heatmaps.dtype == np.float16
    none = dict(run_predictions(pred, ds, batch_size=3, keep_heatmaps=False))
    assert all(r.heatmaps is None for r in none.values())
    # the points do not depend on it
    assert all(np.array_equal(none[i].points, kept[i].points) for i in range(5))
