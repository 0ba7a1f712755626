"""``predict`` and ``eval`` end to end on a tiny 300W-style dataset and a constant model."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _predict_setup import CENTER, SCALE, K, _expected_points, _peaks  # noqa: F401

from facealign_gui import cli
from facealign_gui.datasets.io import open_dataset


def _eval(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    code = cli.main(["eval", *args, "--json", "--quiet"])
    return code, json.loads(capsys.readouterr().out)


def test_eval_scores_a_known_prediction_exactly(setup, capsys) -> None:
    code, r = _eval(
        ["--model", str(setup["card"]), "--dataset", str(setup["csv"]), "--mode", "precise"], capsys
    )
    assert code == 0
    assert r["count"] == 2 and r["partial"] is False and r["failed"] == []
    per = {p["image"]: p["nme"] for p in r["per_image"]}
    assert per["a.png"] == pytest.approx(0.0, abs=1e-9)
    assert per["b.png"] == pytest.approx(5.0 / 35.0)
    assert r["nme"] == pytest.approx(2.5 / 35.0)
    assert r["fr"] == pytest.approx(0.5)  # 5/35 > 0.1
    assert set(r) >= {"count", "nme", "fr", "auc", "subsets", "per_image"}


def test_eval_limit_and_landmark_count_mismatch(setup, capsys) -> None:
    code, r = _eval(
        [
            "--model",
            str(setup["card"]),
            "--dataset",
            str(setup["csv"]),
            "--mode",
            "precise",
            "--limit",
            "1",
        ],
        capsys,
    )
    assert code == 0 and r["evaluated"] == 1 and r["nme"] == pytest.approx(0.0, abs=1e-9)
    code, r = _eval(
        ["--model", str(setup["dir"] / "two.toml"), "--dataset", str(setup["csv"])], capsys
    )
    assert code == 2 and "landmark count mismatch" in r["error"] and "68" in r["error"]


def test_eval_ctrl_c_reports_partial_results(setup, capsys, monkeypatch) -> None:
    from facealign_gui.inference import pipeline

    real = pipeline.run_predictions

    def interrupted(*a, **kw):
        gen = real(*a, **kw)
        yield next(gen)
        gen.close()
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "run_predictions", interrupted)
    code, r = _eval(
        ["--model", str(setup["card"]), "--dataset", str(setup["csv"]), "--mode", "precise"], capsys
    )
    assert code == 130 and r["partial"] is True and r["evaluated"] == 1 and r["total"] == 2


def test_eval_bad_model_file_is_a_clear_error(setup, capsys) -> None:
    bad = setup["dir"] / "bad.onnx"
    bad.write_text("nope")
    code, r = _eval(["--model", str(bad), "--dataset", str(setup["csv"])], capsys)
    assert code == 2 and "bad.onnx" in r["error"]


def test_predict_writes_the_predicted_points_in_the_chosen_format(setup, capsys) -> None:
    out = setup["dir"] / "pred.csv"
    code = cli.main(
        [
            "predict",
            "--model",
            str(setup["card"]),
            str(setup["csv"]),
            "-o",
            str(out),
            "--mode",
            "precise",
            "--json",
            "--quiet",
        ]
    )
    r = json.loads(capsys.readouterr().out)
    assert code == 0 and r["count"] == 2 and r["format"] == "hrnet_csv"
    back = open_dataset(out, check_images=False)
    assert back.points.shape == (2, K, 2)
    assert back.points[0] == pytest.approx(_expected_points())


def test_predict_on_an_image_without_a_face_reports_the_failure(setup, capsys) -> None:
    img = setup["dir"] / "blank.png"
    cv2.imwrite(str(img), np.zeros((64, 64, 3), np.uint8))
    broken = setup["dir"] / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really a jpeg")
    code = cli.main(
        [
            "predict",
            "--model",
            str(setup["card"]),
            str(img),
            str(broken),
            "-o",
            str(setup["dir"] / "o.csv"),
            "--json",
            "--quiet",
        ]
    )
    r = json.loads(capsys.readouterr().out)
    assert code == 1 and "no face was predicted" in r["error"]
    text = " ".join(r["problems"])
    assert "blank.png" in text and "no face found" in text
    assert "broken.jpg" in text and "cannot decode" in text


@pytest.mark.parametrize("command", ["eval", "predict"])
def test_threads_reach_the_run_and_no_heatmaps_are_kept(setup, capsys, monkeypatch, command):
    from facealign_gui.inference import pipeline

    real = pipeline.run_predictions
    seen: list[dict] = []

    def spy(*a, **kw):
        seen.append(kw)
        return real(*a, **kw)

    monkeypatch.setattr(pipeline, "run_predictions", spy)
    common = ["--model", str(setup["card"]), "--threads", "1", "--json", "--quiet"]
    if command == "eval":
        args = ["eval", *common, "--dataset", str(setup["csv"])]
    else:
        args = ["predict", *common, str(setup["csv"]), "-o", str(setup["dir"] / "p.csv")]
    assert cli.main(args) == 0
    capsys.readouterr()
    assert [(kw["threads"], kw["keep_heatmaps"]) for kw in seen] == [(1, False)]
