"""`predict` never replaces an input, writes the good faces of a partly failed run, and
uses the embedded default model when --model is not given."""

from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from facealign_gui import cli
from facealign_gui.datasets.io import open_dataset


def _predict(args: list[str], capsys) -> tuple[int, dict]:
    code = cli.main(["predict", *args, "--json", "--quiet"])
    return code, json.loads(capsys.readouterr().out)


def _variants(setup: dict[str, Path]) -> list[tuple[str, Path, list[str]]]:
    d = setup["dir"]
    csv = setup["csv"]
    (d / "link.csv").symlink_to(csv)
    os.link(csv, d / "hard.csv")
    return [
        ("the dataset file itself", csv, [str(csv)]),
        ("a symlink to it", d / "link.csv", [str(csv)]),
        ("a hard link to it", d / "hard.csv", [str(csv)]),
        ("the same file by another spelling", d / "images" / ".." / "test.csv", [str(csv)]),
        ("an image the dataset reads", d / "images" / "a.png", [str(csv)]),
        ("the input folder as a .pts folder", d / "images", [str(d / "images")]),
        ("a folder holding the dataset", d, [str(csv)]),
    ]


@pytest.mark.parametrize("overwrite", [False, True])
def test_predict_refuses_an_output_that_is_one_of_its_inputs(setup, capsys, overwrite) -> None:
    for what, out, inputs in _variants(setup):
        before = {p: p.read_bytes() for p in setup["dir"].rglob("*") if p.is_file()}
        extra = ["--overwrite"] if overwrite else []
        args = ["--model", str(setup["card"]), *inputs, "-o", str(out), *extra]
        if out.is_dir() or out.suffix == "":
            args += ["--format", "pts"]
        code, r = _predict(args, capsys)
        assert code == 2, what
        assert "refusing to write" in r["error"], (what, r)
        after = {p: p.read_bytes() for p in setup["dir"].rglob("*") if p.is_file()}
        assert after == before, what


def test_predict_writes_the_good_faces_and_lists_the_ones_with_nan(setup, capsys, monkeypatch):
    from facealign_gui.inference import loader as registry

    real = registry.load_predictor

    def nan_on_b(*a, **k):
        pred = real(*a, **k)
        run = pred.run_prepared

        def patched(items):
            out = run(items)
            for p in out:
                p.points = p.points.copy()
            if len(out) == 2:
                out[1].points[5] = np.nan  # b.png gets one NaN point
            return out

        pred.run_prepared = patched
        return pred

    monkeypatch.setattr(registry, "load_predictor", nan_on_b)
    out = setup["dir"] / "pred.csv"
    code, r = _predict(["--model", str(setup["card"]), str(setup["csv"]), "-o", str(out)], capsys)
    assert code == 0 and r["count"] == 1
    assert len(r["failed"]) == 1 and "b.png" in r["failed"][0]["image"]
    assert "non-finite points (5)" in r["failed"][0]["error"]
    written = open_dataset(out, check_images=False)
    assert [Path(x).name for x in written.images] == ["a.png"]


def test_a_failure_message_names_the_image_once(tmp_path: Path, capsys) -> None:
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((120, 160, 3), 200, np.uint8))
    code = cli.main(["predict", str(blank), "-o", str(tmp_path / "p.csv"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("blank.png") == 1, err
    assert "no face" in err


def test_predict_without_model_uses_the_embedded_default(shared_dir: Path, tmp_path, capsys):
    img = shared_dir / "fixtures" / "takeo.ppm"
    code, r = _predict([str(img), "-o", str(tmp_path / "p.csv")], capsys)
    assert code == 0 and r["model"] == "mediapipe_face_landmark" and r["count"] >= 1


def test_a_wrong_output_name_fails_before_the_run_and_names_the_real_flag(setup, capsys):
    code, r = _predict(
        ["--model", str(setup["card"]), str(setup["csv"]), "-o", str(setup["dir"] / "p.xyz")],
        capsys,
    )
    assert code == 2 and "--format" in r["error"] and "--to" not in r["error"]


def _eval(args: list[str], capsys) -> tuple[int, dict]:
    code = cli.main(["eval", *args, "--json", "--quiet"])
    return code, json.loads(capsys.readouterr().out)


def test_eval_counts_a_failed_image_as_a_missing_face_and_strict_exits_1(setup, capsys):
    (setup["dir"] / "images" / "b.png").unlink()
    args = ["--model", str(setup["card"]), "--dataset", str(setup["csv"]), "--mode", "precise"]
    code, r = _eval(args, capsys)
    assert code == 0
    assert r["count"] == 1 and r["missing_count"] == 1
    assert r["fr"] == pytest.approx(0.5)  # a's NME is small, b has no prediction
    assert r["missing"][0]["image"] == "b.png"
    assert r["missing"][0]["reason"].count("b.png") == 1
    code, _ = _eval([*args, "--strict"], capsys)
    assert code == 1


def test_eval_without_model_uses_the_embedded_default(shared_dir: Path, capsys) -> None:
    pts = shared_dir / "fixtures" / "takeo.pts"
    code, r = _eval(["--dataset", str(pts)], capsys)
    assert code == 0 and r["model_id"] == "mediapipe_face_landmark" and r["count"] == 1


def test_predict_writes_every_face_of_an_image(shared_dir: Path, tmp_path: Path, capsys) -> None:
    face = cv2.imread(str(shared_dir / "fixtures" / "takeo.ppm"))
    h, w = face.shape[:2]
    canvas = np.full((h + 40, 2 * w + 60, 3), 128, np.uint8)
    canvas[20 : 20 + h, 20 : 20 + w] = face
    canvas[20 : 20 + h, 40 + w : 40 + 2 * w] = face[:, ::-1]
    cv2.imwrite(str(tmp_path / "two.png"), canvas)
    out = tmp_path / "p.csv"
    code, r = _predict([str(tmp_path / "two.png"), "-o", str(out)], capsys)
    assert code == 0 and r["count"] == 2
    written = open_dataset(out, check_images=False)
    xs = sorted(float(np.mean(p[:, 0])) for p in written.points)
    assert xs[0] < 20 + w < xs[1]  # one face on each half
