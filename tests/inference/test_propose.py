"""Card proposals from bare ONNX shapes, and the ``card`` command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from _inference_models import constant_model

from facealign_gui import cli
from facealign_gui.inference.card import load_card
from facealign_gui.inference.loader import load_predictor
from facealign_gui.inference.propose import propose_card
from facealign_gui.inference.types import FaceRegion, InferenceError


def test_single_quarter_size_heatmap_on_256_input_is_hrnet_like(tmp_path: Path) -> None:
    constant_model(
        tmp_path / "m.onnx", {"hm": np.zeros((98, 64, 64), np.float32)}, ("N", 3, 256, 256)
    )
    p = propose_card(tmp_path / "m.onnx")
    assert p.card.family == "hrnet" and p.card.num_points == 98 and p.card.scheme == "wflw98"
    assert p.card.crop.rule == "hrnet_center_scale" and p.card.input.size == (256, 256)
    assert any("colour" in u for u in p.unknown) and any("mean/std" in u for u in p.unknown)
    # a bare .onnx loads with the proposal
    pred = load_predictor(tmp_path / "m.onnx")
    r = pred.predict(np.zeros((50, 50, 3), np.uint8), FaceRegion(center=(25.0, 25.0), scale=0.2))
    assert r.points.shape == (98, 2)


def test_five_outputs_are_pipnet_and_the_meanface_is_asked_for(tmp_path: Path) -> None:
    k, nb = 68, 10
    maps = {
        n: np.zeros((c, 8, 8), np.float32)
        for n, c in (("cls", k), ("x", k), ("y", k), ("nbx", k * nb), ("nby", k * nb))
    }
    constant_model(tmp_path / "p.onnx", maps, ("N", 3, 256, 256))
    p = propose_card(tmp_path / "p.onnx")
    assert p.card.family == "pipnet" and p.card.decoder.num_nb == nb
    assert p.card.decoder.net_stride == 32 and p.card.scheme == "300w68"
    assert p.card.outputs == {
        "cls": "score_map",
        "x": "offset_x",
        "y": "offset_y",
        "nbx": "nb_x",
        "nby": "nb_y",
    }
    assert any("meanface" in u for u in p.unknown)
    with pytest.raises(InferenceError, match="mean face"):
        load_predictor(tmp_path / "p.onnx")


def test_other_shapes_give_hih_hourglass_and_regression(tmp_path: Path) -> None:
    constant_model(
        tmp_path / "h.onnx",
        {"a": np.zeros((29, 64, 64), np.float32), "b": np.zeros((29, 8, 8), np.float32)},
        ("N", 3, 256, 256),
    )
    hih = propose_card(tmp_path / "h.onnx").card
    assert hih.family == "hih" and hih.decoder.offset_size == 8 and hih.scheme == "cofw29"
    constant_model(tmp_path / "g.onnx", {"a": np.zeros((15, 96, 96), np.float32)}, ("N", 1, 96, 96))
    hg = propose_card(tmp_path / "g.onnx").card
    assert hg.family == "hourglass" and hg.input.colour == "gray" and hg.scheme == "kaggle15"
    constant_model(tmp_path / "r.onnx", {"c": np.zeros(38, np.float32)}, ("N", 112, 112, 3))
    reg = propose_card(tmp_path / "r.onnx").card
    assert reg.family == "regression" and reg.num_points == 19 and reg.input.layout == "NHWC"


def test_unrecognisable_outputs_are_a_clear_error(tmp_path: Path) -> None:
    constant_model(tmp_path / "x.onnx", {"c": np.zeros(3, np.float32)}, ("N", 3, 32, 32))
    with pytest.raises(InferenceError, match=r"x\.onnx: cannot tell the model family"):
        propose_card(tmp_path / "x.onnx")


def test_card_command_writes_a_loadable_card_with_the_unknowns_as_comments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    constant_model(
        tmp_path / "m.onnx", {"hm": np.zeros((19, 64, 64), np.float32)}, ("N", 3, 256, 256)
    )
    out = tmp_path / "cards" / "m.toml"
    assert cli.main(["card", str(tmp_path / "m.onnx"), "-o", str(out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["family"] == "hrnet" and info["card"]["num_points"] == 19
    text = out.read_text()
    assert text.startswith("# Proposed by") and "# Check these" in text
    card = load_card(out)
    assert card.onnx == "../m.onnx" and card.onnx_path.resolve() == (tmp_path / "m.onnx").resolve()
    assert cli.main(["card", str(tmp_path / "m.onnx"), "-o", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert cli.main(["card", str(tmp_path / "m.onnx")]) == 0
    assert 'family = "hrnet"' in capsys.readouterr().out
