"""Run a `Predictor` over a dataset or a list of images, in the background-friendly way.

A small pool of producer threads reads images ahead (OpenCV releases the GIL), finds the
face region (the sample's box / center-scale, else the face detector) and, for predictors
that offer ``prepare``/``run_prepared`` (`CardPredictor`), crops and normalises too; the
calling thread batches the prepared faces through the runtime. At most ``prefetch`` samples
are in flight, so memory stays bounded on any dataset size. Batches shrink when one runtime
call would take longer than ``max_batch_seconds``, so a cancel takes effect quickly even on a
slow model.

`run_predictions` yields ``(index, Prediction | SampleFailure)`` in input order. A failed
sample (missing or corrupt image, no face found, a bad box) is reported and the run goes
on. Cancellation is cooperative: set ``cancel`` (a `threading.Event`) and the generator
stops within one batch; ``progress(done, total)`` is called after each result. No Qt here:
the GUI worker calls this same function.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facealign_gui.core.annotation import Prediction
from facealign_gui.datasets.model import Dataset
from facealign_gui.inference.runtime import ThreadsArg
from facealign_gui.inference.types import FaceRegion, Predictor


@dataclass(frozen=True)
class SampleFailure:
    """Why one sample has no prediction."""

    index: int
    message: str

    def __str__(self) -> str:
        return self.message


class _Failed(Exception):
    pass


def face_for_sample(ds: Dataset, i: int, box_source: str = "auto") -> FaceRegion | None:
    """The face region a dataset gives for sample ``i`` (None: ask the detector).

    ``box_source="landmarks"`` takes the box of the ground-truth points (PIPNet's 300W and
    PFLD/HIH test crops are made that way).
    """
    center = scale = box = None
    if box_source == "landmarks" and ds.points is not None:
        from facealign_gui.core.geometry import box_from_points

        vis = None if ds.visible is None else ds.visible[i]
        pts = ds.points[i]
        ok = np.isfinite(pts).all(axis=1) if vis is None else (vis & np.isfinite(pts).all(axis=1))
        if ok.any():
            box = tuple(float(v) for v in box_from_points(pts, ok))
    if ds.centers is not None and ds.scales is not None:
        c, s = ds.centers[i], float(ds.scales[i])
        if np.isfinite(c).all() and np.isfinite(s) and s > 0:
            center, scale = (float(c[0]), float(c[1])), s
    if box is None and ds.boxes is not None and np.isfinite(ds.boxes[i]).all():
        box = tuple(float(v) for v in ds.boxes[i])
    if center is None and box is None:
        return None
    return FaceRegion(center=center, scale=scale, box=box)  # type: ignore[arg-type]


def _read_image(path: str | Path) -> np.ndarray:
    from facealign_gui.datasets.images import read_image_file

    return read_image_file(path)


@dataclass
class _Item:
    index: int
    image: np.ndarray | None = None
    face: FaceRegion | None = None
    prepared: object | None = None
    siblings: list[_Item] | None = None  # the image's other detected faces (all_faces)


def run_predictions(
    predictor: Predictor,
    source: Dataset | Sequence[str | Path],
    *,
    indices: Sequence[int] | None = None,
    batch_size: int = 8,
    workers: int = 2,
    prefetch: int | None = None,
    cancel: threading.Event | None = None,
    progress: Callable[[int, int], None] | None = None,
    detect: Callable[[np.ndarray], list[FaceRegion]] | None = None,
    max_batch_seconds: float = 1.0,
    threads: ThreadsArg = None,
    keep_heatmaps: bool | Callable[[int], bool] = True,
    all_faces: bool = False,
) -> Iterator[tuple[int, Prediction | SampleFailure]]:
    """Predict every sample of ``source`` (a Dataset, or image paths); see the module doc.

    Parameters
    ----------
    indices : which samples (default all), yielded in this order.
    batch_size : most faces per runtime call.
    max_batch_seconds : the batch shrinks (down to 1 face) when a runtime call takes longer,
        so a cancel is honoured within about this long (plus one face).
    workers : producer threads reading and preparing images.
    prefetch : samples in flight (default ``2 * batch_size + workers``).
    detect : face detector for samples without a region (default
        `facealign_gui.inference.detect.detect_faces`; the largest/best face is used).
    all_faces : for samples that go through the detector, predict every face it finds:
        the sample's index is then yielded once per face, best first (``progress`` still
        counts samples).
    """
    ds = source if isinstance(source, Dataset) else None
    paths = None if ds is not None else [Path(p) for p in source]  # type: ignore[union-attr]
    total_n = len(ds) if ds is not None else len(paths)  # type: ignore[arg-type]
    order = list(range(total_n)) if indices is None else [int(i) for i in indices]
    total = len(order)
    cancel = cancel or threading.Event()
    card = getattr(predictor, "card", None)
    box_source = card.crop.box_source if card is not None else "auto"
    can_prepare = hasattr(predictor, "prepare") and hasattr(predictor, "run_prepared")
    prefetch = prefetch or (2 * batch_size + workers)
    if threads is None:
        threads = getattr(getattr(predictor, "session", None), "config", None)
    keep = keep_heatmaps if callable(keep_heatmaps) else (lambda _i: bool(keep_heatmaps))
    pass_keep = can_prepare and _takes_keep_heatmaps(predictor)

    def find_faces(image: np.ndarray) -> list[FaceRegion]:
        if detect is not None:
            return detect(image)
        from facealign_gui.inference.detect import detect_faces

        faces = None if all_faces else 1
        return detect_faces(image, max_faces=faces, threads=threads)  # type: ignore[arg-type]

    def produce(i: int) -> _Item:
        if cancel.is_set():
            raise _Failed("cancelled")
        try:
            image = ds_image(i)
        except Exception as exc:  # DatasetError names the file; anything a decoder throws
            raise _Failed(str(exc) or type(exc).__name__) from None
        try:
            face = face_for_sample(ds, i, box_source) if ds is not None else None
            detected = False
            extra: list[_Item] | None = None
            if face is None:
                faces = find_faces(image)
                if not faces:
                    raise _Failed(f"{sample_name(i)}: no face found by the detector")
                face, detected = faces[0], True
                if all_faces and len(faces) > 1:
                    extra = [_Item(i, image, f) for f in faces[1:]]
            item = _Item(i, image, face, siblings=extra)
            for one in [item, *(extra or [])]:
                if can_prepare:
                    one.prepared = predictor.prepare(image, one.face, detected=detected)  # type: ignore[attr-defined]
                    one.image = None  # the crop is all we need: keep memory small
            return item
        except _Failed:
            raise
        except Exception as exc:  # a bad box, a detector that cannot load, ...
            raise _Failed(f"{sample_name(i)}: {exc or type(exc).__name__}") from None

    def ds_image(i: int) -> np.ndarray:
        if ds is not None:
            from facealign_gui.datasets.images import load_image

            return load_image(ds, i)
        return _read_image(paths[i])  # type: ignore[index]

    def sample_name(i: int) -> str:
        if ds is not None:
            return ds.sources[i] if ds.sources else str(ds.image_path(i))
        return str(paths[i])  # type: ignore[index]

    done = 0
    pending: deque[tuple[int, int, Future]] = deque()  # (position, index, future)
    it = iter(enumerate(order))
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="facealign-read")

    def top_up() -> None:
        while len(pending) < prefetch and not cancel.is_set():
            nxt = next(it, None)
            if nxt is None:
                return
            pending.append((nxt[0], nxt[1], pool.submit(produce, nxt[1])))

    limit = max(1, batch_size)
    try:
        top_up()
        while pending and not cancel.is_set():
            batch: list[tuple[int, _Item]] = []
            out: list[tuple[int, int, Prediction | SampleFailure]] = []
            while pending and len(batch) < limit:
                pos, i, fut = pending[0]
                try:
                    item = _wait(fut, cancel)
                except _Failed as exc:
                    out.append((pos, i, SampleFailure(i, str(exc))))
                    pending.popleft()
                    top_up()
                    continue
                except _Cancelled:
                    break
                pending.popleft()
                batch.append((pos, item))
                batch.extend((pos, sib) for sib in item.siblings or [])
                top_up()
            if cancel.is_set():
                break
            t0 = time.perf_counter()
            items = [b for _, b in batch]
            flags = [keep(b.index) for b in items] if pass_keep else None
            results = _run_batch(predictor, items, can_prepare, sample_name, flags)
            if batch:
                per_face = (time.perf_counter() - t0) / len(batch)
                limit = max(1, int(min(batch_size, max_batch_seconds / max(per_face, 1e-6))))
            out.extend((pos, r[0], r[1]) for (pos, _), r in zip(batch, results, strict=False))
            out.sort(key=lambda r: r[0])  # stable: an image's faces stay best first
            for k, (pos, i, result) in enumerate(out):
                yield i, result
                if k + 1 == len(out) or out[k + 1][0] != pos:  # the sample's last face
                    done += 1
                    if progress is not None:
                        progress(done, total)
    finally:
        for _, _, fut in pending:
            fut.cancel()
        pool.shutdown(wait=False, cancel_futures=True)


class _Cancelled(Exception):
    pass


def _wait(fut: Future, cancel: threading.Event) -> _Item:
    """The producer's result, giving up (``_Cancelled``) within 0.1 s of a cancel."""
    while True:
        try:
            return fut.result(timeout=0.1)
        except FutureTimeout:
            if cancel.is_set():
                raise _Cancelled from None


def _takes_keep_heatmaps(predictor: Predictor) -> bool:
    import inspect

    try:
        params = inspect.signature(predictor.run_prepared).parameters  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        return False
    return "keep_heatmaps" in params


def _run_prepared(predictor: Predictor, items: list, flags: list[bool] | None) -> list:
    if flags is None:
        return predictor.run_prepared(items)  # type: ignore[attr-defined]
    return predictor.run_prepared(items, keep_heatmaps=flags)  # type: ignore[attr-defined]


def _run_batch(
    predictor: Predictor,
    batch: list[_Item],
    can_prepare: bool,
    name: Callable[[int], str],
    flags: list[bool] | None = None,
) -> list[tuple[int, Prediction | SampleFailure]]:
    if not batch:
        return []
    try:
        if can_prepare:
            preds = _run_prepared(predictor, [b.prepared for b in batch], flags)
        else:
            preds = predictor.predict_batch([b.image for b in batch], [b.face for b in batch])  # type: ignore[misc]
        return [(b.index, p) for b, p in zip(batch, preds, strict=False)]
    except Exception:
        if len(batch) == 1:
            b = batch[0]
            try:
                if can_prepare:
                    p = _run_prepared(predictor, [b.prepared], flags)[0]
                else:
                    p = predictor.predict(b.image, b.face)  # type: ignore[arg-type]
                return [(b.index, p)]
            except Exception as exc:
                return [(b.index, SampleFailure(b.index, f"{name(b.index)}: {exc}"))]
        out: list[tuple[int, Prediction | SampleFailure]] = []
        for k, b in enumerate(batch):
            one = None if flags is None else [flags[k]]
            out.extend(_run_batch(predictor, [b], can_prepare, name, one))
        return out
