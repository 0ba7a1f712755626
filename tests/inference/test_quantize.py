"""Opt-in int8: a static QDQ copy of a tiny conv model, calibrated and measured on a dataset."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import onnx
import pytest
from _inference_models import card_for
from onnx import TensorProto, helper, numpy_helper

from facealign_gui import cli
from facealign_gui.core import metrics
from facealign_gui.core.schemes import get_scheme
from facealign_gui.datasets.io import open_dataset, write_dataset
from facealign_gui.datasets.model import Dataset
from facealign_gui.inference.card import CropSpec, load_card
from facealign_gui.inference.predictor import CardPredictor
from facealign_gui.inference.quantize import split_faces
from facealign_gui.inference.runtime import clear_sessions

K = 68
N_FACES = 10


def _conv_model(path: Path, opset: int = 11) -> Path:
    """(N, 3, 32, 32) -> Conv 3->8 s2 -> Relu -> Conv 8->K s2 -> (N, K, 8, 8) heatmaps."""
    rng = np.random.default_rng(7)
    w1 = rng.normal(0, 0.3, (8, 3, 3, 3)).astype(np.float32)
    w2 = rng.normal(0, 0.3, (K, 8, 3, 3)).astype(np.float32)
    b1 = rng.normal(0, 0.1, 8).astype(np.float32)
    b2 = rng.normal(0, 0.1, K).astype(np.float32)
    conv = {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}
    graph = helper.make_graph(
        [
            helper.make_node("Conv", ["input", "w1", "b1"], ["c1"], **conv),
            helper.make_node("Relu", ["c1"], ["r1"]),
            helper.make_node("Conv", ["r1", "w2", "b2"], ["heatmaps"], **conv),
        ],
        "tiny_heatmaps",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 32, 32])],
        [helper.make_tensor_value_info("heatmaps", TensorProto.FLOAT, ["N", K, 8, 8])],
        initializer=[
            numpy_helper.from_array(a, n)
            for a, n in ((w1, "w1"), (b1, "b1"), (w2, "w2"), (b2, "b2"))
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 7
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


@pytest.fixture
def setup(tmp_path: Path) -> dict[str, Path]:
    clear_sessions()
    _conv_model(tmp_path / "tiny.onnx")
    crop = CropSpec(rule="hrnet_center_scale", scale_factor=1.25)
    card_for(tmp_path / "tiny.toml", tmp_path / "tiny.onnx", "hrnet", K, size=(32, 32), crop=crop)
    rng = np.random.default_rng(1)
    images = tmp_path / "images"
    images.mkdir()
    names, pts = [], []
    for i in range(N_FACES):
        name = f"f{i}.png"
        img = cv2.GaussianBlur(rng.integers(0, 256, (96, 96, 3)).astype(np.uint8), (5, 5), 0)
        cv2.imwrite(str(images / name), img)
        p = 48 + rng.uniform(-20, 20, (K, 2))
        p[36], p[45] = (30.0, 40.0), (66.0, 40.0)  # outer eye corners 36 px apart
        names.append(name)
        pts.append(p)
    ds = Dataset(
        format="hrnet_csv",
        scheme="300w68",
        root=images,
        images=names,
        points=np.stack(pts),
        visible=np.ones((N_FACES, K), bool),
        centers=np.full((N_FACES, 2), 48.0),
        scales=np.full(N_FACES, 0.4),
    )
    write_dataset(ds, tmp_path / "faces.csv", "hrnet_csv")
    return {"dir": tmp_path, "card": tmp_path / "tiny.toml", "csv": tmp_path / "faces.csv"}


def _quantize(setup, capsys, *extra: str) -> tuple[int, dict]:
    out = setup["dir"] / "out" / "tiny_int8.onnx"
    args = ["quantize", str(setup["card"]), "--calibrate", str(setup["csv"]), "-o", str(out)]
    code = cli.main([*args, "--calibrate-faces", "6", "--heldout-faces", "4", *extra, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_calibration_and_heldout_faces_never_overlap() -> None:
    cal, held = split_faces(10, 6, 4)
    assert len(cal) == 6 and len(held) == 4 and not set(cal) & set(held)
    assert split_faces(10, 6, 4) == (cal, held)  # seeded: the same split every time
    cal, held = split_faces(3, 64, 64)  # a small dataset keeps at least one held-out face
    assert len(cal) == 2 and len(held) == 1


def test_quantize_writes_an_int8_qdq_model_and_a_card_with_measured_fields(setup, capsys):
    code, r = _quantize(setup, capsys)
    assert code == 0, r
    card = load_card(r["card"])
    q = card.quantization
    assert q is not None and q.calibration_faces == 6 and q.heldout_faces == 4
    assert card.id == "tiny_int8" and card.verify_sha256() == card.sha256
    assert card.provenance.published == [] and "int8 copy of" in card.provenance.notes
    model = onnx.load(str(card.onnx_path))
    ops = [n.op_type for n in model.graph.node]
    assert "QuantizeLinear" in ops and "DequantizeLinear" in ops
    assert max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")) >= 13
    # per-channel: the second conv's weights carry one scale per output channel
    scales = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    assert any(v.shape == (K,) and "w2" in name for name, v in scales.items())
    # the NME on the card is the NME of the held-out faces, for both models: recompute it
    ds = open_dataset(setup["csv"])
    _, held = split_faces(N_FACES, 6, 4)
    scheme = get_scheme("300w68")
    for c, want in ((load_card(setup["card"]), q.nme_float), (card, q.nme_int8)):
        pred = CardPredictor(c)
        pts = np.stack(
            [pred.predict(cv2.imread(str(ds.image_path(i))), _face(ds, i)).points for i in held]
        )
        nme, _ = metrics.score_faces(pts, ds.points[held], scheme)
        assert float(nme.mean()) == pytest.approx(want, rel=1e-9)
    assert r["nme_change"] == pytest.approx(q.nme_int8 - q.nme_float)
    assert q.speedup > 0 and r["float_ms_per_face"] / r["int8_ms_per_face"] == pytest.approx(
        q.speedup, rel=1e-2
    )


def _face(ds: Dataset, i: int):
    from facealign_gui.inference.pipeline import face_for_sample

    return face_for_sample(ds, i)


def test_dynamic_quantization_is_refused_with_the_reason(setup, capsys) -> None:
    code, r = _quantize(setup, capsys, "--dynamic")
    assert code == 2 and "dynamic quantization is not offered" in r["error"]
    assert "slower" in r["error"]
    assert not (setup["dir"] / "out").exists()


def test_bad_inputs_are_refused_with_the_file_named(setup, capsys) -> None:
    def run(card: Path, out: Path) -> tuple[int, str]:
        code = cli.main(["quantize", str(card), "--calibrate", str(setup["csv"]), "-o", str(out), "--json"])  # fmt: skip  # noqa: E501
        return code, json.loads(capsys.readouterr().out).get("error", "")

    code, err = run(setup["card"], setup["dir"] / "x.txt")
    assert code == 2 and "must end in .onnx" in err
    wrong = setup["dir"] / "wrong.toml"
    _conv_model(setup["dir"] / "wrong.onnx")
    card_for(wrong, setup["dir"] / "wrong.onnx", "hrnet", 5, size=(32, 32))
    code, err = run(wrong, setup["dir"] / "w8.onnx")
    assert code == 2 and "faces.csv" in err and "5 points" in err
    code, r = _quantize(setup, capsys)
    assert code == 0
    code, r = _quantize(setup, capsys)  # the output exists now
    assert code == 2 and "exists" in r["error"] and "--overwrite" in r["error"]


def test_a_card_quantization_table_without_its_measurements_is_refused(setup) -> None:
    from facealign_gui.inference.card import CardError

    text = setup["card"].read_text() + '\n[quantization]\nmethod = "static"\nnme_float = 0.1\n'
    bad = setup["dir"] / "bad.toml"
    bad.write_text(text)
    with pytest.raises(CardError, match=r"bad.toml \[quantization\]: missing required field"):
        load_card(bad)
    assert load_card(setup["card"]).quantization is None


@pytest.mark.parametrize(("float_s", "int8_s", "warned"), [(1.0, 0.9, True), (1.0, 0.5, False)])
def test_a_speed_up_below_1_2x_is_warned_about(setup, capsys, monkeypatch, float_s, int8_s, warned):
    from facealign_gui.inference import quantize

    monkeypatch.setattr(quantize, "_time_runs", lambda *_a: [float_s, int8_s])
    code, r = _quantize(setup, capsys)
    assert code == 0 and r["speedup"] == pytest.approx(float_s / int8_s, rel=1e-3)
    assert bool(r["warnings"]) is warned
    if warned:
        assert "1.11x" in r["warnings"][0] and "below 1.2x" in r["warnings"][0]
