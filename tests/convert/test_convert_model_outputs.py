"""``convert-model`` never overwrites by surprise, never leaves an ONNX and a card that
disagree, refuses NaN weights, parses the guide's argument order and speaks JSON."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from facealign_gui.cli import main

torch = pytest.importorskip("torch")


def _kaggle_checkpoint(path: Path, poison: bool = False) -> Path:
    from facealign_gui.convert.kaggle_hourglass import build_kaggle_hourglass

    torch.manual_seed(0)
    state = build_kaggle_hourglass().state_dict()
    if poison:
        name = next(k for k, v in state.items() if v.is_floating_point() and v.numel() > 4)
        state[name].view(-1)[3] = float("nan")
    torch.save(state, path)
    return path


def test_a_checkpoint_with_nan_weights_is_refused_and_nothing_is_written(
    tmp_path: Path, capsys
) -> None:
    ckpt = _kaggle_checkpoint(tmp_path / "nan.pth", poison=True)
    out = tmp_path / "k.onnx"
    assert main(["convert-model", "kaggle-hourglass", str(ckpt), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "nan.pth: refused: 1 tensor(s) hold NaN or infinite values" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nan.pth"]


def test_an_existing_onnx_or_card_is_kept_without_overwrite(tmp_path: Path, capsys) -> None:
    ckpt = _kaggle_checkpoint(tmp_path / "w.pth")
    out = tmp_path / "k.onnx"
    for existing in (out, out.with_suffix(".toml")):
        existing.write_text("keep me")
        code = main(["convert-model", "kaggle-hourglass", str(ckpt), "-o", str(out)])
        assert code == 2 and "use --overwrite" in capsys.readouterr().err
        assert existing.read_text() == "keep me"
        existing.unlink()


def test_overwrite_replaces_both_files_and_the_card_matches_the_onnx(tmp_path: Path) -> None:
    from facealign_gui.inference.card import load_card

    ckpt = _kaggle_checkpoint(tmp_path / "w.pth")
    out = tmp_path / "k.onnx"
    out.write_bytes(b"old onnx")
    out.with_suffix(".toml").write_text("old card")
    argv = ["convert-model", "kaggle-hourglass", str(ckpt), "-o", str(out), "--overwrite"]
    assert main(argv) == 0
    card = load_card(out.with_suffix(".toml"))
    assert card.verify_sha256() == card.sha256
    assert not list(tmp_path.glob(".facealign-convert-*"))


def test_an_input_named_as_the_output_is_refused_before_anything_is_touched(
    tmp_path: Path, capsys
) -> None:
    meanface = tmp_path / "p.toml"
    meanface.write_text("0.1 0.2\n" * 98)
    before = meanface.read_bytes()
    out = str(tmp_path / "p.onnx")
    argv = ["convert-model", "pipnet", "--dataset", "wflw", "--random-weights"]
    code = main([*argv, "--meanface", str(meanface), "-o", out, "--overwrite"])
    assert code == 2
    assert "is both an input and the output" in capsys.readouterr().err
    assert meanface.read_bytes() == before and not (tmp_path / "p.onnx").exists()


def test_a_killed_conversion_leaves_no_staging_folder_behind_the_next_one(tmp_path: Path) -> None:
    stale = tmp_path / ".facealign-convert-999999999-abc"  # a pid that cannot be running
    stale.mkdir()
    (stale / "k.onnx").write_bytes(b"half")
    ckpt = _kaggle_checkpoint(tmp_path / "w.pth")
    assert (
        main(["convert-model", "kaggle-hourglass", str(ckpt), "-o", str(tmp_path / "k.onnx")]) == 0
    )
    assert not stale.exists()


def test_the_guides_argument_order_works_and_json_is_one_object(tmp_path: Path, capsys) -> None:
    # the guide writes: convert-model hrnet --dataset wflw CHECKPOINT -o OUT.onnx
    ckpt = _kaggle_checkpoint(tmp_path / "w.pth")
    out = tmp_path / "k.onnx"
    code = main(["convert-model", "kaggle-hourglass", "--json", str(ckpt), "-o", str(out)])
    assert code == 0
    r = json.loads(capsys.readouterr().out)
    assert r["onnx"] == str(out) and r["card"] == str(out.with_suffix(".toml"))
    assert r["max_abs_diff"] < 1e-3 and r["random_weights"] is False


def test_hrnet_as_the_guide_writes_it(tmp_path: Path) -> None:
    from facealign_gui.convert.hrnet import build_hrnet_w18

    torch.manual_seed(0)
    ckpt = tmp_path / "hrnet.pth"
    torch.save(build_hrnet_w18(98).state_dict(), ckpt)
    out = tmp_path / "OUT.onnx"
    assert main(["convert-model", "hrnet", "--dataset", "wflw", str(ckpt), "-o", str(out)]) == 0
    assert out.is_file() and out.with_suffix(".toml").is_file()
    assert os.path.getsize(out) > 1_000_000
