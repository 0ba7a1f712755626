"""The family registry: each family's rules are declared once and read by every consumer."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pytest
from _inference_models import card_for, constant_model

from facealign_gui.inference import families
from facealign_gui.inference.card import CardError, CropSpec, DecoderSpec, load_card
from facealign_gui.inference.families import (
    FAMILIES,
    CardField,
    DecodedBatch,
    Family,
    Graph,
    Guess,
)
from facealign_gui.inference.loader import load_predictor
from facealign_gui.inference.propose import propose_card
from facealign_gui.inference.runtime import clear_sessions
from facealign_gui.inference.types import FaceRegion, InferenceError

PACKAGE = Path(families.__file__).parent


@pytest.fixture(autouse=True)
def _fresh_sessions() -> None:
    clear_sessions()


def test_every_family_lives_in_its_own_module_and_the_registry_lists_each_once() -> None:
    modules = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem not in ("__init__", "base"))
    assert sorted(FAMILIES) == modules
    for name, fam in FAMILIES.items():
        assert importlib.import_module(f"facealign_gui.inference.families.{name}").FAMILY is fam
        assert fam.name == name
        if fam.predictor == "card":
            assert fam.roles and fam.decode is not None
    # bare graphs are matched against the most specific patterns first
    assert families.propose_order() == ["pipnet", "hih", "hrnet", "hourglass", "heatmap",
                                        "regression"]  # fmt: skip


def test_the_pipnet_mean_face_rule_is_the_declared_one_everywhere(tmp_path: Path) -> None:
    from facealign_gui.app.card_dialog import required_missing

    need = FAMILIES["pipnet"].required
    assert [f.key for f in need] == ["decoder.meanface"]
    path = tmp_path / "c.toml"
    path.write_text('id = "x"\nfamily = "pipnet"\nonnx = "x.onnx"\nnum_points = 4\n')
    with pytest.raises(CardError) as e:
        load_card(path)
    assert need[0].help in str(e.value)
    k, nb = 4, 2
    maps = np.zeros((k, 2, 2), np.float32)
    nbm = np.zeros((k * nb, 2, 2), np.float32)
    constant_model(
        tmp_path / "p.onnx",
        {"cls": maps, "x": maps, "y": maps, "nb_x": nbm, "nb_y": nbm},
        ("N", 3, 64, 64),
    )
    proposal = propose_card(tmp_path / "p.onnx")
    assert proposal.unknown[0] == f"decoder.meanface: {need[0].help}"
    assert required_missing(proposal.card) == ["decoder.meanface"]
    with pytest.raises(InferenceError) as e2:
        load_predictor(tmp_path / "p.onnx")
    assert need[0].help in str(e2.value)


# -- adding a family is one module and one registry line --------------------------------


def _toy_propose(g: Graph) -> Guess | None:
    outs = [o for o in g.outputs if o.rank == 2 and o.shape[1] == 2]
    if not outs:
        return None
    return Guess(
        num_points=1,
        outputs={outs[0].name: "coords"},
        crop=CropSpec(rule="full_image"),
        reasons=["one (N, 2) output: a single point in crop pixels"],
    )


def _toy_decode(card, roles, outs, items, mode) -> DecodedBatch:
    v = np.asarray(outs[roles["coords"]], dtype=np.float64)  # (N, 2): x, y in crop pixels
    return DecodedBatch(v[:, None, :], np.full((len(v), 1), 0.5, np.float32))


TOY = Family(
    name="toy",
    roles=("coords",),
    required=(CardField("decoder.meanface", "the toy's reference file"),),
    propose=_toy_propose,
    decode=_toy_decode,
)


def test_a_new_family_needs_only_its_declaration_and_one_registry_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(FAMILIES, "toy", TOY)  # the one registry line
    constant_model(tmp_path / "t.onnx", {"c": np.array([8.0, 4.0], np.float32)}, ("N", 3, 16, 16))
    proposal = propose_card(tmp_path / "t.onnx")
    assert proposal.card.family == "toy"
    assert proposal.unknown[0] == "decoder.meanface: the toy's reference file"
    with pytest.raises(InferenceError, match="the toy's reference file"):
        load_predictor(tmp_path / "t.onnx")
    (tmp_path / "ref.txt").write_text("1\n")
    card_for(
        tmp_path / "t.toml",
        tmp_path / "t.onnx",
        "toy",
        1,
        size=(16, 16),
        crop=CropSpec(rule="full_image"),
        decoder=DecoderSpec(meanface="ref.txt"),
    )
    pred = load_predictor(tmp_path / "t.toml")
    r = pred.predict(np.zeros((32, 64, 3), np.uint8), FaceRegion())
    # crop pixel (8, 4) of the 16x16 input is image (32, 8) of the 64x32 image
    assert r.points.tolist() == [[32.0, 8.0]] and r.confidence.tolist() == [0.5]
