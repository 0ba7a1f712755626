"""The one run loop: chunks of results, progress, a summary; cancel and errors."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "app"))

import _gui_data

from facealign_gui.core.annotation import Prediction
from facealign_gui.datasets.io import open_dataset
from facealign_gui.inference.types import FaceRegion
from facealign_gui.tasks.runs import RunChunk, RunSummary, run_chunks


class CentrePredictor:
    model_id = "centre"
    num_points = 98
    scheme = "wflw98"

    def __init__(self, fail_at: int | None = None) -> None:
        self.calls = 0
        self.fail_at = fail_at

    def predict(self, image: np.ndarray, face: FaceRegion) -> Prediction:
        self.calls += 1
        if self.fail_at is not None and self.calls > self.fail_at:
            raise RuntimeError("the runtime fell over")
        c = np.array(face.center if face.center else (0.0, 0.0))
        return Prediction(points=np.tile(c, (98, 1)), confidence=np.ones(98, np.float32),
                          heatmaps=np.zeros((98, 2, 2), np.float16), model_id="centre")  # fmt: skip

    def predict_batch(self, images: list, faces: list) -> list[Prediction]:
        return [self.predict(i, f) for i, f in zip(images, faces, strict=True)]


@pytest.fixture
def ds(tmp_path: Path) -> object:
    return open_dataset(_gui_data.write_wflw_dataset(tmp_path, n=30, distinct_images=3))


def drain(gen: object) -> tuple[list[RunChunk], RunSummary]:
    chunks = []
    while True:
        try:
            chunks.append(next(gen))  # type: ignore[call-overload]
        except StopIteration as stop:
            return chunks, stop.value


def test_every_sample_arrives_once_in_order_with_progress_and_a_summary(ds) -> None:
    order = list(range(29, -1, -1))
    gen = run_chunks(
        CentrePredictor(), ds, order, threading.Event(), lambda i: i < 5, chunk_seconds=0.0
    )
    chunks, summary = drain(gen)
    got = [i for c in chunks for i, _ in c]
    assert got == order
    assert [c.done for c in chunks] == sorted(c.done for c in chunks) and chunks[-1].done == 30
    assert summary.done == summary.total == 30 and not summary.cancelled and not summary.error
    kept = {i for c in chunks for i, r in c if r.heatmaps is not None}
    assert kept == {0, 1, 2, 3, 4}


def test_a_cancel_stops_the_run_and_says_so(ds) -> None:
    cancel = threading.Event()
    gen = run_chunks(CentrePredictor(), ds, list(range(30)), cancel, chunk_seconds=0.0)
    first = next(gen)
    cancel.set()
    rest, summary = drain(gen)
    assert summary.cancelled and summary.done < 30
    assert len(first.items) + sum(len(c.items) for c in rest) == summary.done


def test_a_face_the_model_fails_on_is_a_failure_result_and_the_run_goes_on(ds) -> None:
    chunks, summary = drain(run_chunks(CentrePredictor(fail_at=3), ds, list(range(30)),
                                       threading.Event(), batch_size=1))  # fmt: skip
    kinds = [type(r).__name__ for c in chunks for _, r in c]
    assert kinds[:3] == ["Prediction"] * 3 and set(kinds[3:]) == {"SampleFailure"}
    assert summary.done == 30 and summary.error == ""


def test_an_error_outside_the_model_ends_the_run_with_its_message(ds, monkeypatch) -> None:
    from facealign_gui.inference import pipeline

    def broken(*a: object, **k: object) -> object:
        raise OSError("disk gone")
        yield  # pragma: no cover

    monkeypatch.setattr(pipeline, "run_predictions", broken)
    chunks, summary = drain(run_chunks(CentrePredictor(), ds, [0, 1], threading.Event()))
    assert summary.error == "OSError: disk gone" and summary.done == 0
    assert [c.items for c in chunks] == [[]]


class BoxPredictor(CentrePredictor):
    def predict(self, image: np.ndarray, face: FaceRegion) -> Prediction:
        b = np.asarray(face.box, float)
        return Prediction(points=np.tile((b[:2] + b[2:]) / 2, (98, 1)),
                          confidence=np.ones(98, np.float32), model_id="box")  # fmt: skip


def test_with_all_faces_an_image_without_a_box_yields_each_face_and_counts_images(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cv2

    from facealign_gui.inference import detect

    folder = tmp_path / "images"
    folder.mkdir()
    for k in range(3):
        cv2.imwrite(str(folder / f"im{k}.png"), np.full((60, 80, 3), 40 * k, np.uint8))
    boxes = [np.array([2.0, 2.0, 30.0, 30.0]), np.array([40.0, 5.0, 70.0, 35.0])]
    monkeypatch.setattr(
        detect, "detect_faces", lambda image, **_k: [FaceRegion(box=b) for b in boxes]
    )
    images = open_dataset(folder)
    gen = run_chunks(BoxPredictor(), images, [0, 1, 2], threading.Event(), 0.0, all_faces=True)
    chunks, summary = drain(gen)
    got = [(i, tuple(r.points[0])) for c in chunks for i, r in c]
    centres = [tuple((b[:2] + b[2:]) / 2) for b in boxes]
    assert got == [(i, c) for i in range(3) for c in centres]  # every face, best first
    assert summary.done == summary.total == 3 and chunks[-1].done == 3  # images, not faces
    one, _ = drain(run_chunks(BoxPredictor(), images, [0, 1, 2], threading.Event()))
    assert [i for c in one for i, _ in c] == [0, 1, 2]  # without it: the best face only
