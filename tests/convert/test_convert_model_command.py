"""``facealign-gui convert-model`` reports problems and writes ONNX + card."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from facealign_gui.cli import main

pytest.importorskip("torch")


def test_missing_checkpoint_is_reported_with_its_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["convert-model", "kaggle-hourglass", str(tmp_path / "nope.ckpt"),
                 "-o", str(tmp_path / "k.onnx")])  # fmt: skip
    assert code == 1
    assert "nope.ckpt: no such checkpoint file" in capsys.readouterr().err


def test_checkpoint_and_random_weights_are_exclusive(tmp_path: Path) -> None:
    assert main(["convert-model", "hih", "-o", str(tmp_path / "h.onnx")]) == 2


def test_kaggle_checkpoint_becomes_onnx_and_a_loadable_card(
    shared_dir: Path, tmp_path: Path
) -> None:
    from facealign_gui.inference.card import load_card

    ckpt = shared_dir / "models" / "kaggle_hourglass_15pt_epoch809.ckpt"
    if not ckpt.is_file():
        pytest.skip("Kaggle hourglass checkpoint is not present")
    out = tmp_path / "kaggle.onnx"
    assert main(["convert-model", "kaggle-hourglass", str(ckpt), "-o", str(out)]) == 0
    card = load_card(out.with_suffix(".toml"))
    assert card.onnx_path == out and card.verify_sha256() == card.sha256
    assert tomllib.loads(out.with_suffix(".toml").read_text())["scheme"] == "kaggle15"


def test_pipnet_card_names_the_mean_face_copied_beside_it(shared_dir: Path, tmp_path: Path) -> None:
    from facealign_gui.convert import pipnet
    from facealign_gui.inference.card import save_card

    meanface = shared_dir / "data" / "pipnet_meanface" / "meanface_COFW.txt"
    if not meanface.is_file():
        pytest.skip("PIPNet mean faces are not present")
    card = pipnet.make_card("p.onnx", "cofw", "mobilenet_v3", 29)
    assert card.decoder.meanface == "p.meanface.txt"
    save_card(card, tmp_path / "p.toml")
    assert pipnet.meanface_path("cofw") == meanface
