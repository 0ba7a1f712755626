"""Opt-in int8: a static QDQ int8 copy of a card's model, calibrated and measured on a dataset.

`quantize_card` splits the dataset's faces (seeded shuffle) into calibration faces and
held-out faces, crops the calibration faces exactly as the card says (the predictor's own
``prepare``), and runs onnxruntime's tools: ``quant_pre_process`` (shape inference and graph
optimisation), then ``quantize_static`` in the QDQ format with per-channel weights (int8
weights, uint8 activations, min/max calibration). Per-channel QDQ needs opset 13; an older
model is converted first. It then measures, on the held-out faces only:

- the NME of the float model and of the int8 model (the dataset's scheme and normaliser);
- the speed-up: float ms / int8 ms per face for ``session.run`` on the same prepared faces
  in the same batches and threads, alternating the two models (medians).

Both go on the new card (`facealign_gui.inference.card.Quantization`). Dynamic quantization
is not offered: on this project's conv models it measured 4-7x *slower* than float (its
per-call activation quantization and int8 MatMul/ConvInteger kernels lose to float Conv).
Needs the ``onnx`` package (the ``[convert]`` extra), which onnxruntime's tools import.
"""

from __future__ import annotations

import copy
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facealign_gui.inference.card import ModelCard, Quantization, file_sha256, save_card
from facealign_gui.inference.types import InferenceError

QDQ_OPSET = 13  # QuantizeLinear/DequantizeLinear with a per-channel axis
SLOW_SPEEDUP = 1.2
METHOD = "static QDQ int8 (per-channel int8 weights, uint8 activations, min/max calibration)"


@dataclass
class QuantizeResult:
    card: ModelCard  # the int8 card, written next to its model
    quantization: Quantization
    float_ms: float  # per face, median
    int8_ms: float
    warnings: list[str]


def split_faces(n: int, calibrate: int, heldout: int, seed: int = 0) -> tuple[list[int], list[int]]:
    """Disjoint calibration and held-out face indices (a seeded shuffle of ``range(n)``)."""
    if n < 2:
        raise InferenceError(f"the calibration dataset has {n} face(s); at least 2 are needed")
    order = np.random.default_rng(seed).permutation(n).tolist()
    n_cal = max(1, min(calibrate, n - 1))
    cal = sorted(order[:n_cal])
    held = sorted(order[n_cal : n_cal + max(1, heldout)])
    return cal, held


def _prepared(predictor, ds, indices: list[int]) -> tuple[list[int], list]:
    """The faces that crop, as (indices, `Prepared` list); the others are skipped."""
    from facealign_gui.datasets.images import load_image
    from facealign_gui.inference.detect import detect_faces
    from facealign_gui.inference.pipeline import face_for_sample

    out_i, out_p = [], []
    for i in indices:
        try:
            image = load_image(ds, i)
            face = face_for_sample(ds, i, predictor.card.crop.box_source)
            detected = face is None
            if face is None:
                found = detect_faces(image, max_faces=1)
                if not found:
                    continue
                face = found[0]
            out_p.append(predictor.prepare(image, face, detected=detected))
            out_i.append(i)
        except Exception:  # an unreadable image or a bad box: not a face to use
            continue
    return out_i, out_p


class _Reader:
    """onnxruntime CalibrationDataReader over prepared tensors, one face per call."""

    def __init__(self, name: str, tensors: list[np.ndarray]) -> None:
        self.name = name
        self.tensors = tensors
        self.pos = 0

    def get_next(self) -> dict[str, np.ndarray] | None:
        if self.pos >= len(self.tensors):
            return None
        t = self.tensors[self.pos]
        self.pos += 1
        return {self.name: t[None]}

    def rewind(self) -> None:
        self.pos = 0


def _at_opset(src: Path, dst: Path) -> None:
    import onnx
    from onnx import version_converter

    model = onnx.load(str(src))
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
    if opset < QDQ_OPSET:
        model = version_converter.convert_version(model, QDQ_OPSET)
    onnx.save(model, str(dst))


def quantize_model(src: Path, dst: Path, input_name: str, tensors: list[np.ndarray]) -> None:
    """Static QDQ per-channel int8 of ``src`` into ``dst``, calibrated on ``tensors``."""
    try:
        from onnxruntime.quantization import (
            CalibrationDataReader,
            QuantFormat,
            QuantType,
            quant_pre_process,
            quantize_static,
        )
    except ImportError as exc:
        raise InferenceError(
            f"int8 quantization needs the 'onnx' package ({exc}); install the optional "
            f"extra: pip install 'facealign-gui[convert]'"
        ) from None

    class Reader(_Reader, CalibrationDataReader):
        pass

    with tempfile.TemporaryDirectory(dir=dst.parent, prefix=".quantize-") as tmp:
        t = Path(tmp)
        _at_opset(src, t / "opset.onnx")
        quant_pre_process(str(t / "opset.onnx"), str(t / "pre.onnx"), skip_symbolic_shape=False)
        quantize_static(
            str(t / "pre.onnx"),
            str(t / "int8.onnx"),
            Reader(input_name, tensors),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
        )
        os.replace(t / "int8.onnx", dst)  # same folder: atomic


def _time_runs(sessions: list, batches: list[np.ndarray], rounds: int) -> list[float]:
    """Median seconds per face of each session over ``batches``, alternating sessions."""
    faces = sum(b.shape[0] for b in batches)
    per: list[list[float]] = [[] for _ in sessions]
    for s in sessions:  # warm-up
        s.run(batches[0])
    for _ in range(rounds):
        for k, s in enumerate(sessions):
            t0 = time.perf_counter()
            for b in batches:
                s.run(b)
            per[k].append((time.perf_counter() - t0) / faces)
    return [statistics.median(p) for p in per]


def _nme(predictor, prepared: list, ds, indices: list[int], scheme) -> float:
    from facealign_gui.core import metrics

    preds = predictor.run_prepared(prepared, keep_heatmaps=False)
    pts = np.stack([p.points for p in preds])
    vis = None if ds.visible is None else ds.visible[indices]
    box = ds.attributes.get("box_size")
    box = None if box is None else np.asarray(box)[indices]
    nme, _ = metrics.score_faces(pts, ds.points[indices], scheme, visible=vis, box_sizes=box)
    return float(np.nanmean(nme))


def quantize_card(
    card: ModelCard,
    dataset: str | Path,
    out_onnx: Path,
    *,
    calibrate_faces: int = 64,
    heldout_faces: int = 64,
    mode: str = "official",
    threads: int | None = None,
    batch_size: int = 8,
    rounds: int = 3,
    log: Callable[[str], None] = lambda _m: None,
) -> QuantizeResult:
    """Quantize ``card``'s model (see the module doc); writes OUT.onnx and OUT.toml."""
    from facealign_gui.core.schemes import get_scheme
    from facealign_gui.datasets.io import open_dataset
    from facealign_gui.inference.predictor import CardPredictor

    if card.family == "mediapipe":
        raise InferenceError(f"{card.where}: the MediaPipe mesh is not quantized (int8 is slower)")
    if card.input.dtype != "float32":
        raise InferenceError(f"{card.where}: only float32 models can be quantized")
    out_onnx = Path(out_onnx)
    if out_onnx.suffix.lower() != ".onnx":
        raise InferenceError(f"{out_onnx}: the output must end in .onnx")
    if out_onnx.resolve() == card.onnx_path.resolve():
        raise InferenceError(f"{out_onnx}: would overwrite the float model")
    ds = open_dataset(dataset)
    if ds.points is None or ds.num_points != card.num_points:
        raise InferenceError(
            f"{dataset}: needs ground truth with {card.num_points} points per face to measure "
            f"the NME change (has {ds.num_points or 'none'})"
        )
    scheme = get_scheme(ds.scheme or card.scheme or "")
    fp = CardPredictor(card, threads=threads, mode=mode)
    cal_i, held_i = split_faces(len(ds), calibrate_faces, heldout_faces)
    cal_i, cal_p = _prepared(fp, ds, cal_i)
    held_i, held_p = _prepared(fp, ds, held_i)
    if not cal_p or not held_p:
        raise InferenceError(
            f"{dataset}: {len(cal_p)} calibration and {len(held_p)} held-out faces could be "
            f"cropped; both must be at least 1"
        )
    log(f"calibrating on {len(cal_p)} faces, measuring on {len(held_p)} held-out faces")
    out_onnx.parent.mkdir(parents=True, exist_ok=True)
    quantize_model(card.onnx_path, out_onnx, fp.session.input.name, [p.tensor for p in cal_p])

    q_card = copy.deepcopy(card)
    q_card.id = f"{card.id}_int8"
    q_card.name = f"{card.name or card.id} (int8)"
    q_card.onnx = out_onnx.name
    q_card.sha256 = file_sha256(out_onnx)
    if card.decoder.meanface:  # keep the float card's mean face reachable from the new folder
        q_card.decoder.meanface = str(card.resolve(card.decoder.meanface).resolve())
    q_card.path = out_onnx.with_suffix(".toml")
    # the published numbers were measured on the float model: they stay on its card only
    q_card.provenance.published = []
    q_card.provenance.notes = f"int8 copy of {card.path or card.id}; published figures: see it"
    qp = CardPredictor(q_card, threads=threads, mode=mode)

    nme_f = _nme(fp, held_p, ds, held_i, scheme)
    nme_q = _nme(qp, held_p, ds, held_i, scheme)
    tensors = np.stack([p.tensor for p in held_p])
    batches = [tensors[k : k + batch_size] for k in range(0, len(tensors), batch_size)]
    float_s, int8_s = _time_runs([fp.session, qp.session], batches, rounds)
    speedup = float_s / int8_s
    quant = Quantization(
        method=METHOD,
        float_model=str(card.path) if card.path is not None else card.id,
        calibration=str(dataset),
        calibration_faces=len(cal_p),
        heldout_faces=len(held_p),
        nme_float=nme_f,
        nme_int8=nme_q,
        speedup=round(speedup, 3),
    )
    q_card.quantization = quant
    warnings = []
    if speedup < SLOW_SPEEDUP:
        warnings.append(
            f"int8 is only {speedup:.2f}x as fast as float here (below {SLOW_SPEEDUP}x): "
            f"the float model is probably the better choice"
        )
    save_card(q_card, q_card.path, comment=f"int8 copy of {quant.float_model}")
    return QuantizeResult(q_card, quant, float_s * 1000, int8_s * 1000, warnings)
