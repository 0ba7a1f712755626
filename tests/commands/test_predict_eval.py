"""``predict`` and ``eval`` end to end on a tiny 300W-style dataset and a constant model."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "inference"))
from _inference_models import card_for, constant_model, gaussian_maps

from facealign_gui import cli
from facealign_gui.datasets.io import open_dataset, write_dataset
from facealign_gui.datasets.model import Dataset
from facealign_gui.inference.card import CropSpec
from facealign_gui.inference.runtime import clear_sessions

K = 68
CENTER = np.array([60.0, 50.0])
SCALE = 0.32  # x 1.25 -> 80 px crop over a 16 px heatmap: 5 px per heatmap px


def _peaks() -> np.ndarray:
    rng = np.random.default_rng(3)
    peaks = rng.integers(2, 14, size=(K, 2))
    peaks[36], peaks[45] = (4, 7), (11, 7)  # outer eye corners: 35 px apart in the image
    return peaks


def _expected_points() -> np.ndarray:
    # precise mode: heatmap pixel p -> centre + (p - 7.5) * 5
    return CENTER + (_peaks() - 7.5) * 5.0


@pytest.fixture
def setup(tmp_path: Path) -> dict[str, Path]:
    clear_sessions()
    constant_model(
        tmp_path / "hr.onnx", {"hm": gaussian_maps(_peaks(), (16, 16))}, ("N", 3, 64, 64)
    )
    card_for(
        tmp_path / "hr.toml",
        tmp_path / "hr.onnx",
        "hrnet",
        K,
        size=(64, 64),
        crop=CropSpec(rule="hrnet_center_scale", scale_factor=1.25),
        scheme="300w68",
    )
    constant_model(
        tmp_path / "two.onnx", {"hm": np.zeros((2, 16, 16), np.float32)}, ("N", 3, 64, 64)
    )
    card_for(
        tmp_path / "two.toml",
        tmp_path / "two.onnx",
        "hrnet",
        2,
        size=(64, 64),
        crop=CropSpec(rule="hrnet_center_scale"),
    )
    images = tmp_path / "images"
    images.mkdir()
    for name in ("a.png", "b.png"):
        cv2.imwrite(str(images / name), np.full((100, 120, 3), 128, np.uint8))
    gt = np.stack([_expected_points(), _expected_points() + np.array([3.0, 4.0])])  # 5 px off
    ds = Dataset(
        format="hrnet_csv",
        scheme="300w68",
        root=images,
        images=["a.png", "b.png"],
        points=gt,
        visible=np.ones((2, K), bool),
        centers=np.stack([CENTER, CENTER]),
        scales=np.array([SCALE, SCALE]),
    )
    write_dataset(ds, tmp_path / "test.csv", "hrnet_csv")
    return {"dir": tmp_path, "card": tmp_path / "hr.toml", "csv": tmp_path / "test.csv"}


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
