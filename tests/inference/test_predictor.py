"""End to end: tiny ONNX models with known outputs -> image points, for every family."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _inference_models import card_for, constant_model, gaussian_maps

from facealign_gui.inference.card import CropSpec, DecoderSpec
from facealign_gui.inference.loader import load_predictor
from facealign_gui.inference.predictor import CardPredictor
from facealign_gui.inference.runtime import clear_sessions, get_session
from facealign_gui.inference.types import FaceRegion, InferenceError, Predictor

GRAY = np.full((120, 160, 3), 90, np.uint8)


@pytest.fixture(autouse=True)
def _fresh_sessions() -> None:
    clear_sessions()


def test_hrnet_card_decodes_through_center_and_enlarged_scale(tmp_path: Path) -> None:
    hm = gaussian_maps(np.array([[16, 16], [40, 20]]), (64, 64))
    constant_model(tmp_path / "hr.onnx", {"hm": hm}, ("N", 3, 256, 256))
    card_for(
        tmp_path / "hr.toml",
        tmp_path / "hr.onnx",
        "hrnet",
        2,
        size=(256, 256),
        crop=CropSpec(rule="hrnet_center_scale", scale_factor=1.25),
    )
    pred = load_predictor(tmp_path / "hr.toml", mode="precise")
    assert isinstance(pred, Predictor)
    r = pred.predict(
        np.zeros((400, 400, 3), np.uint8), FaceRegion(center=(200.0, 200.0), scale=1.0)
    )
    # crop spans 200 * 1.0 * 1.25 = 250 px over 64 heatmap px, centred on heatmap 31.5
    step = 250 / 64
    expect = [
        [200 + (16 - 31.5) * step, 200 + (16 - 31.5) * step],
        [200 + (40 - 31.5) * step, 200 + (20 - 31.5) * step],
    ]
    assert r.points == pytest.approx(np.array(expect))
    assert r.heatmaps is not None and r.heatmaps.dtype == np.float16
    # the heatmap -> image matrix sends heatmap pixel (16, 16) to the first point
    m = r.crop_to_image
    assert m @ np.array([16.0, 16.0, 1.0]) == pytest.approx(np.array(expect[0]))
    assert r.seconds > 0 and r.model_id == "hr"


def test_pipnet_card_maps_box_fractions_back_to_the_image(tmp_path: Path) -> None:
    mf = tmp_path / "mf.txt"
    mf.write_text("0 0 1 0 3 0 4 0\n")  # four points on a line, see test_decoder_pipnet
    k, nb = 4, 2
    score = np.zeros((k, 2, 2), np.float32)
    for lm, (c, r) in enumerate([(0, 0), (1, 0), (0, 1), (1, 1)]):
        score[lm, r, c] = 1.0
    zeros = np.zeros((k, 2, 2), np.float32)
    nbz = np.zeros((k * nb, 2, 2), np.float32)
    constant_model(
        tmp_path / "pip.onnx",
        {"cls": score, "x": zeros, "y": zeros, "nb_x": nbz, "nb_y": nbz},
        ("N", 3, 64, 64),
    )
    card_for(
        tmp_path / "pip.toml",
        tmp_path / "pip.onnx",
        "pipnet",
        4,
        size=(64, 64),
        crop=CropSpec(rule="pipnet_box", pad=(0.0, 0.0, 0.0, 0.0), clip=True),
        decoder=DecoderSpec(net_stride=32, num_nb=2, meanface="mf.txt"),
    )
    pred = load_predictor(tmp_path / "pip.toml")
    r = pred.predict(GRAY, FaceRegion(box=(10.0, 20.0, 74.0, 84.0)))
    # landmark 3: own (0.5, 0.5), vote of 2 (0, 0.5) x3 -> (0.125, 0.5) of the 64-px box
    assert r.points[3] == pytest.approx([10 + 0.125 * 64, 20 + 0.5 * 64])
    # landmark 0: own (0, 0); votes of 1 from cell (1, 0): (0.5, 0) x3 -> (0.375, 0)
    assert r.points[0] == pytest.approx([10 + 0.375 * 64, 20.0])
    # detector boxes use detector_pad (0 here too) and the same mapping
    r2 = pred.prepare(GRAY, FaceRegion(box=(10.0, 20.0, 74.0, 84.0)), detected=True)
    assert r2.image_to_crop == pytest.approx(np.array([[1.0, 0, -10.0], [0, 1.0, -20.0]]))


def test_hih_card_in_official_box_mode_matches_the_pfld_square(tmp_path: Path) -> None:
    hm = np.zeros((1, 8, 8), np.float32)
    hm[0, 5, 3] = 1.0
    off = np.zeros((1, 4, 4), np.float32)
    off[0, 3, 1] = 1.0  # +1/4 x, +3/4 y
    constant_model(tmp_path / "hih.onnx", {"hm": hm, "off": off}, ("N", 3, 32, 32))
    card_for(
        tmp_path / "hih.toml",
        tmp_path / "hih.onnx",
        "hih",
        1,
        size=(32, 32),
        crop=CropSpec(rule="box", enlarge=1.0),
        outputs={"hm": "heatmaps", "off": "offset_heatmaps"},
    )
    r = load_predictor(tmp_path / "hih.toml").predict(GRAY, FaceRegion(box=(0.0, 0.0, 63.0, 63.0)))
    # (3.25, 5.75) heatmap px * 4 = (13, 23) crop px; PFLD square: lo 0, wh 64, centre 32,
    # side 64 -> origin 0, 2 image px per crop px
    assert r.points[0] == pytest.approx([26.0, 46.0])


def test_hourglass_card_on_a_gray_full_image_input(tmp_path: Path) -> None:
    hm = gaussian_maps(np.array([[3, 5], [10, 2]]), (16, 16))
    constant_model(tmp_path / "hg.onnx", {"heatmaps": hm}, ("N", 1, 16, 16))
    card_for(
        tmp_path / "hg.toml",
        tmp_path / "hg.onnx",
        "hourglass",
        2,
        size=(16, 16),
        colour="gray",
        crop=CropSpec(rule="full_image"),
    )
    r = load_predictor(tmp_path / "hg.toml").predict(np.zeros((32, 32, 3), np.uint8), FaceRegion())
    assert r.points.tolist() == [[6.0, 10.0], [20.0, 4.0]]


def test_regression_card_with_static_batch_loops_over_faces(tmp_path: Path) -> None:
    coords = np.array([0.25, 0.5, 0.75, 1.0], np.float32)
    constant_model(tmp_path / "reg.onnx", {"coords": coords}, (1, 3, 32, 32))
    card_for(
        tmp_path / "reg.toml",
        tmp_path / "reg.onnx",
        "regression",
        2,
        size=(32, 32),
        crop=CropSpec(rule="box", enlarge=1.0),
    )
    pred = load_predictor(tmp_path / "reg.toml", mode="precise")
    assert not pred.session.dynamic_batch  # type: ignore[attr-defined]
    faces = [FaceRegion(box=(0.0, 0.0, 32.0, 32.0)), FaceRegion(box=(10.0, 10.0, 74.0, 74.0))]
    out = pred.predict_batch([GRAY, GRAY], faces)
    # precise square: side 32 (1 px per crop px) then 64 (2 px), origin at the box corner
    assert out[0].points.tolist() == [[8.0, 16.0], [24.0, 32.0]]
    assert out[1].points.tolist() == [[26.0, 42.0], [58.0, 74.0]]


def test_one_session_is_shared_per_model_file(tmp_path: Path) -> None:
    constant_model(tmp_path / "a.onnx", {"coords": np.zeros(4, np.float32)}, ("N", 3, 8, 8))
    a = get_session(tmp_path / "a.onnx")
    assert get_session(tmp_path / "a.onnx") is a
    assert get_session(tmp_path / "a.onnx", threads=1) is not a


def test_file_that_is_not_onnx_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "bad.onnx").write_text("this is not a model")
    card_for(tmp_path / "bad.toml", tmp_path / "bad.onnx", "hrnet", 2)
    with pytest.raises(InferenceError, match=r"bad\.onnx: not a loadable ONNX model"):
        load_predictor(tmp_path / "bad.toml")
    with pytest.raises(InferenceError, match="not found"):
        load_predictor(tmp_path / "missing.onnx")


def test_landmark_count_mismatch_between_card_and_outputs_is_refused(tmp_path: Path) -> None:
    constant_model(tmp_path / "m.onnx", {"hm": np.zeros((2, 16, 16), np.float32)}, ("N", 3, 64, 64))
    card_for(tmp_path / "m.toml", tmp_path / "m.onnx", "heatmap", 3)
    with pytest.raises(InferenceError, match=r"2 channels.*3 landmarks"):
        load_predictor(tmp_path / "m.toml")


def test_card_naming_a_missing_output_is_refused(tmp_path: Path) -> None:
    constant_model(tmp_path / "m.onnx", {"hm": np.zeros((2, 16, 16), np.float32)}, ("N", 3, 64, 64))
    card_for(tmp_path / "m.toml", tmp_path / "m.onnx", "heatmap", 2, outputs={"maps": "heatmaps"})
    with pytest.raises(InferenceError, match=r"output 'maps' \(heatmaps\) is not in"):
        load_predictor(tmp_path / "m.toml")
    card_for(
        tmp_path / "p.toml", tmp_path / "m.onnx", "pipnet", 2, decoder=DecoderSpec(meanface="x.txt")
    )
    with pytest.raises(InferenceError, match="needs 5 outputs"):
        load_predictor(tmp_path / "p.toml")


def test_wrong_rank_output_is_refused(tmp_path: Path) -> None:
    constant_model(tmp_path / "m.onnx", {"c": np.zeros(4, np.float32)}, ("N", 3, 64, 64))
    card_for(tmp_path / "m.toml", tmp_path / "m.onnx", "hrnet", 2)
    with pytest.raises(InferenceError, match="rank 2"):
        load_predictor(tmp_path / "m.toml")


def test_card_input_that_does_not_fit_the_model_is_refused(tmp_path: Path) -> None:
    constant_model(tmp_path / "m.onnx", {"c": np.zeros(4, np.float32)}, ("N", 3, 64, 64))
    card_for(tmp_path / "m.toml", tmp_path / "m.onnx", "regression", 2, size=(32, 32))
    with pytest.raises(InferenceError, match=r"input 'input' has shape .*\(N, 3, 32, 32\)"):
        load_predictor(tmp_path / "m.toml")
    card_for(
        tmp_path / "g.toml", tmp_path / "m.onnx", "regression", 2, size=(64, 64), colour="gray"
    )
    with pytest.raises(InferenceError, match="colour gray"):
        load_predictor(tmp_path / "g.toml")


def test_empty_image_is_an_inference_error(tmp_path: Path) -> None:
    constant_model(tmp_path / "m.onnx", {"c": np.zeros(4, np.float32)}, ("N", 3, 8, 8))
    card_for(tmp_path / "m.toml", tmp_path / "m.onnx", "regression", 2, size=(8, 8))
    pred = load_predictor(tmp_path / "m.toml")
    assert isinstance(pred, CardPredictor)
    with pytest.raises(InferenceError, match="empty"):
        pred.predict(np.zeros((0, 0, 3), np.uint8), FaceRegion(box=(0, 0, 4, 4)))
    with pytest.raises(InferenceError, match="outside"):
        load_predictor(tmp_path / "m.toml")  # same card, fine
        card_for(
            tmp_path / "p.toml",
            tmp_path / "m.onnx",
            "regression",
            2,
            size=(8, 8),
            crop=CropSpec(rule="pipnet_box", clip=True),
        )
        load_predictor(tmp_path / "p.toml").predict(GRAY, FaceRegion(box=(500, 500, 600, 600)))


def test_fixed_batch_of_two_runs_three_faces_by_padding(tmp_path: Path) -> None:
    constant_model(tmp_path / "b2.onnx", {"c": np.array([0.5, 0.25], np.float32)}, (2, 3, 8, 8))
    sess = get_session(tmp_path / "b2.onnx")
    out = sess.run(np.zeros((3, 3, 8, 8), np.float32))
    assert out["c"].shape == (3, 2) and out["c"][2].tolist() == [0.5, 0.25]
    with pytest.raises(InferenceError, match="axis 2"):
        sess.run(np.zeros((1, 3, 9, 8), np.float32))


def test_card_dtype_that_differs_from_the_model_input_is_refused(tmp_path: Path) -> None:
    constant_model(tmp_path / "m.onnx", {"c": np.zeros(4, np.float32)}, ("N", 3, 8, 8))
    card = card_for(tmp_path / "m.toml", tmp_path / "m.onnx", "regression", 2, size=(8, 8))
    card.input.dtype = "float16"
    with pytest.raises(InferenceError, match=r"is float32; the card .* dtype = 'float16'"):
        CardPredictor(card)


@pytest.mark.parametrize(("colour", "layout"), [("rgb", "NCHW"), ("bgr", "NHWC"), ("gray", "NCHW")])
def test_to_tensor_applies_colour_scale_mean_std_and_layout(colour: str, layout: str) -> None:
    import cv2

    from facealign_gui.inference.card import InputSpec, ModelCard
    from facealign_gui.inference.preprocess import to_tensor

    crop = np.random.default_rng(0).integers(0, 256, (12, 10, 3), dtype=np.uint8)
    n = 1 if colour == "gray" else 3
    mean, std = (0.485, 0.456, 0.406)[:n], (0.229, 0.224, 0.225)[:n]
    card = ModelCard(
        id="x",
        family="hrnet",
        num_points=1,
        onnx="x.onnx",
        input=InputSpec(colour=colour, layout=layout, mean=mean, std=std),
    )
    if colour == "rgb":
        img = crop[:, :, ::-1]
    elif colour == "gray":
        img = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)[:, :, None]
    else:
        img = crop
    ref = (img / 255.0 - np.array(mean)) / np.array(std)
    if layout == "NCHW":
        ref = ref.transpose(2, 0, 1)
    x = to_tensor(crop, card)
    assert x.dtype == np.float32 and x.flags.c_contiguous
    assert x == pytest.approx(ref, abs=1e-5)


def test_heatmaps_are_copied_to_float16_only_for_the_faces_that_keep_them(tmp_path: Path) -> None:
    hm = gaussian_maps(np.array([[16, 16]]), (64, 64))
    constant_model(tmp_path / "hr.onnx", {"hm": hm}, ("N", 3, 256, 256))
    crop = CropSpec(rule="hrnet_center_scale", scale_factor=1.25)
    card_for(tmp_path / "hr.toml", tmp_path / "hr.onnx", "hrnet", 1, size=(256, 256), crop=crop)
    pred = load_predictor(tmp_path / "hr.toml", mode="precise")
    face = FaceRegion(center=(200.0, 200.0), scale=1.0)
    items = [pred.prepare(np.zeros((400, 400, 3), np.uint8), face) for _ in range(3)]
    out = pred.run_prepared(items, keep_heatmaps=[True, False, True])
    assert [p.heatmaps is not None for p in out] == [True, False, True]
    assert out[1].crop_to_image is not None  # the matrix stays: it is 6 numbers
    assert np.array_equal(out[0].points, out[1].points)
    assert all(p.heatmaps is None for p in pred.run_prepared(items, keep_heatmaps=False))
    with pytest.raises(ValueError, match="2 flags for 3 faces"):
        pred.run_prepared(items, keep_heatmaps=[True, False])


def test_generic_heatmap_decoders_keep_heatmaps_only_when_asked(tmp_path: Path) -> None:
    hm = gaussian_maps(np.array([[4, 4], [9, 3]]), (16, 16))
    constant_model(tmp_path / "hg.onnx", {"heatmaps": hm}, ("N", 3, 64, 64))
    card_for(tmp_path / "hg.toml", tmp_path / "hg.onnx", "heatmap", 2, size=(64, 64))
    pred = load_predictor(tmp_path / "hg.toml", mode="precise")
    item = pred.prepare(GRAY, FaceRegion(box=(20.0, 20.0, 100.0, 100.0)))
    kept, dropped = pred.run_prepared([item, item], keep_heatmaps=[True, False])
    assert kept.heatmaps is not None and kept.heatmaps.dtype == np.float16
    assert dropped.heatmaps is None and np.array_equal(kept.points, dropped.points)
