"""The new-card dialog for a bare .onnx: it asks only what the graph cannot tell, writes a
card that loads and runs, and loads nothing when cancelled."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pytest

from facealign_gui.app import card_dialog
from facealign_gui.app.card_dialog import NO_SCHEME, CardDialog, analyse
from facealign_gui.app.main_window import MainWindow
from facealign_gui.inference.card import load_card
from facealign_gui.inference.loader import load_predictor
from facealign_gui.inference.types import FaceRegion

IMAGENET_MEAN = (0.485, 0.456, 0.406)  # torchvision's ImageNet normalisation, used by HRNet
IMAGENET_STD = (0.229, 0.224, 0.225)


def _save(path: Path, nodes: list, inputs: list, outputs: list, inits: list) -> Path:
    import onnx
    from onnx import helper

    graph = helper.make_graph(nodes, path.stem, inputs, outputs, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def heatmap_onnx(path: Path) -> Path:
    """Input N×3×256×256 → 98 heatmaps of 64×64 (a quarter of the input, like HRNet)."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    nodes = [
        helper.make_node("ReduceMean", ["input", "axes"], ["grey"], keepdims=1),
        helper.make_node("AveragePool", ["grey"], ["pooled"], kernel_shape=[4, 4], strides=[4, 4]),
        helper.make_node("Mul", ["pooled", "weight"], ["heatmaps"]),
    ]
    inits = [
        numpy_helper.from_array(np.array([1], np.int64), "axes"),
        numpy_helper.from_array(rng.random((1, 98, 1, 1), np.float32), "weight"),
    ]
    f = TensorProto.FLOAT
    return _save(
        path,
        nodes,
        [helper.make_tensor_value_info("input", f, ["N", 3, 256, 256])],
        [helper.make_tensor_value_info("heatmaps", f, ["N", 98, 64, 64])],
        inits,
    )


def regression_onnx(path: Path, k: int = 33) -> Path:
    """Input N×3×112×112 → (N, 2k) coordinates; no known scheme has k = 33 points."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(1)
    nodes = [
        helper.make_node("GlobalAveragePool", ["image"], ["pooled"]),
        helper.make_node("Flatten", ["pooled"], ["flat"]),
        helper.make_node("MatMul", ["flat", "w"], ["prod"]),
        helper.make_node("Add", ["prod", "b"], ["coords"]),
    ]
    inits = [
        numpy_helper.from_array(rng.normal(0, 0.01, (3, 2 * k)).astype(np.float32), "w"),
        numpy_helper.from_array(rng.uniform(0.2, 0.8, 2 * k).astype(np.float32), "b"),
    ]
    f = TensorProto.FLOAT
    return _save(
        path,
        nodes,
        [helper.make_tensor_value_info("image", f, ["N", 3, 112, 112])],
        [helper.make_tensor_value_info("coords", f, ["N", 2 * k])],
        inits,
    )


def pipnet_onnx(path: Path, k: int = 19, nb: int = 10) -> Path:
    """Input N×3×256×256 → PIPNet's five maps at stride 32: k, k, k, k·nb, k·nb channels."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(2)
    f = TensorProto.FLOAT
    nodes = [
        helper.make_node(
            "AveragePool", ["input"], ["pooled"], kernel_shape=[32, 32], strides=[32, 32]
        ),
        helper.make_node("ReduceMean", ["pooled", "axes"], ["grey"], keepdims=1),
    ]
    inits = [numpy_helper.from_array(np.array([1], np.int64), "axes")]
    outputs = []
    for name, ch in (("cls", k), ("x", k), ("y", k), ("nb_x", k * nb), ("nb_y", k * nb)):
        nodes.append(helper.make_node("Mul", ["grey", f"w_{name}"], [name]))
        inits.append(numpy_helper.from_array(rng.random((1, ch, 1, 1), np.float32), f"w_{name}"))
        outputs.append(helper.make_tensor_value_info(name, f, ["N", ch, 8, 8]))
    inputs = [helper.make_tensor_value_info("input", f, ["N", 3, 256, 256])]
    return _save(path, nodes, inputs, outputs, inits)


@pytest.fixture
def window(qtbot, prefs) -> MainWindow:
    w = MainWindow(prefs, default_model=None)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def open_dialog(window: MainWindow, qtbot, onnx: Path) -> CardDialog:
    with qtbot.waitSignal(window.card_flow.dialogShown, timeout=10000) as blocker:
        window.open_path(onnx)
    dlg = blocker.args[0]
    assert dlg.isVisible()
    return dlg


def runs(card_path: Path) -> np.ndarray:
    """Predict once on a grey image with the card; the K×2 points."""
    predictor = load_predictor(card_path)
    image = np.full((300, 300, 3), 128, np.uint8)
    face = FaceRegion(center=(150.0, 150.0), scale=1.0, box=(50.0, 50.0, 250.0, 250.0))
    return predictor.predict(image, face).points


def test_an_hrnet_like_onnx_asks_only_colour_normalisation_and_source(
    window: MainWindow, qtbot, tmp_path: Path
) -> None:
    onnx = heatmap_onnx(tmp_path / "models" / "my_hrnet.onnx")
    dlg = open_dialog(window, qtbot, onnx)
    assert set(dlg.fields) == {"colour", "pixel_scale", "mean", "std", "source"}
    assert dlg.scheme() == "wflw98"
    assert dlg.proposed.family == "hrnet"
    assert dlg.fields["colour"].currentText() == "rgb"
    assert card_dialog._floats(dlg.fields["mean"].text()) == IMAGENET_MEAN
    assert card_dialog._floats(dlg.fields["std"].text()) == IMAGENET_STD
    assert dlg.warning.isHidden()  # no dataset open, nothing to contradict

    dlg.fields["colour"].setCurrentText("bgr")
    dlg.fields["source"].setText("my own training run")
    with qtbot.waitSignal(window.inspector.modelLoaded, timeout=10000):
        dlg.save_button.click()
    card_path = onnx.with_suffix(".toml")
    assert window.inspector.model_path == str(card_path)
    card = load_card(card_path)
    assert card.onnx == "my_hrnet.onnx"  # relative to the card, beside it
    assert (card.family, card.scheme, card.num_points) == ("hrnet", "wflw98", 98)
    assert card.input.colour == "bgr"
    assert card.crop.rule == "hrnet_center_scale" and card.crop.scale_factor == 1.25
    assert card.provenance.source == "my own training run"
    assert runs(card_path).shape == (98, 2)


def test_a_regression_onnx_with_an_unusual_point_count_asks_for_the_scheme(
    window: MainWindow, qtbot, tmp_path: Path
) -> None:
    onnx = regression_onnx(tmp_path / "reg33.onnx")
    dlg = open_dialog(window, qtbot, onnx)
    crop = {"crop.rule", "crop.scale_factor", "crop.enlarge", "crop.pad", "crop.box_source"}
    assert (
        set(dlg.fields)
        == {"scheme", "colour", "pixel_scale", "mean", "std", "coords", "source"} | crop
    )
    scheme = dlg.fields["scheme"]
    assert [scheme.itemText(i) for i in range(scheme.count())] == [NO_SCHEME]
    assert dlg.scheme() is None
    # only the rows of the chosen crop rule are shown
    dlg.fields["crop.rule"].setCurrentText("box")
    assert dlg.form.isRowVisible(dlg.fields["crop.enlarge"])
    assert not dlg.form.isRowVisible(dlg.fields["crop.scale_factor"])
    dlg.fields["coords"].setCurrentText("normalised")

    with qtbot.waitSignal(window.inspector.modelLoaded, timeout=10000):
        dlg.save_button.click()
    card = load_card(tmp_path / "reg33.toml")
    assert card.family == "regression" and card.scheme is None and card.num_points == 33
    assert card.crop.rule == "box"
    pts = runs(tmp_path / "reg33.toml")
    assert pts.shape == (33, 2) and np.isfinite(pts).all()
    assert window.model_label.text().strip() == "model: reg33"


def test_cancel_writes_and_loads_nothing(window: MainWindow, qtbot, tmp_path: Path) -> None:
    onnx = heatmap_onnx(tmp_path / "m.onnx")
    dlg = open_dialog(window, qtbot, onnx)
    dlg.buttons.button(dlg.buttons.StandardButton.Cancel).click()
    assert not dlg.isVisible()
    assert window.inspector.hub.pool.activeThreadCount() == 0  # no load was started
    qtbot.wait(50)
    assert window.inspector.predictor is None
    assert not onnx.with_suffix(".toml").exists()
    assert window.status_label.text() == "No model added"


def test_a_model_whose_points_contradict_the_open_dataset_is_warned_about_by_name(
    qtbot, tmp_path: Path
) -> None:
    analysis = analyse(heatmap_onnx(tmp_path / "m.onnx"))
    dlg = CardDialog(analysis, dataset_scheme="300w68", dataset_points=68)
    qtbot.addWidget(dlg)
    assert not dlg.warning.isHidden()
    text = dlg.warning.text()
    assert "wflw98" in text and "300w68" in text and "98" in text and "68" in text
    same = CardDialog(analysis, dataset_scheme="wflw98", dataset_points=98)
    qtbot.addWidget(same)
    assert same.warning.isHidden()


def test_a_read_only_model_folder_asks_where_to_save_the_card(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    onnx = heatmap_onnx(tmp_path / "ro" / "m.onnx")
    ro = onnx.parent
    ro.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        if card_dialog.folder_writable(ro):  # root ignores the mode: pretend it is read-only
            real = card_dialog.folder_writable
            monkeypatch.setattr(card_dialog, "folder_writable", lambda f: f != ro and real(f))
        dlg = CardDialog(analyse(onnx))
        qtbot.addWidget(dlg)
        assert "read-only" in dlg.where.text() and str(ro) in dlg.where.text()

        monkeypatch.setattr(dlg, "ask_save_as", lambda: None)  # the user cancels save-as
        dlg.save()
        assert dlg.result() != dlg.DialogCode.Accepted and dlg.card_path is None
        assert "read-only" in dlg.status.text() and str(ro) in dlg.status.text()

        other = tmp_path / "cards" / "m.toml"
        monkeypatch.setattr(dlg, "ask_save_as", lambda: other)
        dlg.save()
        assert dlg.result() == dlg.DialogCode.Accepted and dlg.card_path == other
        assert sorted(p.name for p in ro.iterdir()) == ["m.onnx"]
        card = load_card(other)
        assert card.onnx == os.path.join("..", "ro", "m.onnx")
        assert card.onnx_path.resolve() == onnx.resolve()
        assert runs(other).shape == (98, 2)
    finally:
        ro.chmod(stat.S_IRWXU)


def test_the_command_line_loads_a_complete_onnx_without_asking(
    window: MainWindow, qtbot, tmp_path: Path
) -> None:
    onnx = heatmap_onnx(tmp_path / "cli.onnx")
    shown: list[object] = []
    window.card_flow.dialogShown.connect(shown.append)
    with qtbot.waitSignal(window.inspector.modelLoaded, timeout=10000):
        window.open_model(onnx, ask=False)
    assert shown == []
    assert window.inspector.model_path == str(onnx)
    assert not onnx.with_suffix(".toml").exists()


def test_a_model_card_opens_without_the_dialog(window: MainWindow, qtbot, tiny_model: Path) -> None:
    shown: list[object] = []
    window.card_flow.dialogShown.connect(shown.append)
    with qtbot.waitSignal(window.inspector.modelLoaded, timeout=10000):
        window.open_path(tiny_model)
    assert shown == []


def test_an_onnx_whose_family_cannot_be_told_gets_a_clear_error(
    window: MainWindow, qtbot, tmp_path: Path
) -> None:
    from onnx import TensorProto, helper

    f = TensorProto.FLOAT
    odd = _save(
        tmp_path / "odd.onnx",
        [helper.make_node("ReduceMean", ["input"], ["out"], keepdims=0)],
        [helper.make_tensor_value_info("input", f, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("out", f, [])],
        [],
    )
    odd_errors: list[object] = []
    window.inspector.problem.connect(odd_errors.append)
    with qtbot.waitSignal(window.inspector.problem, timeout=10000):
        window.open_path(odd)
    assert "odd.onnx" in odd_errors[0].what and window.inspector.predictor is None


def test_a_pipnet_onnx_from_the_command_line_still_asks_for_its_mean_face(
    window: MainWindow, qtbot, tmp_path: Path
) -> None:
    onnx = pipnet_onnx(tmp_path / "pip19.onnx")
    meanface = tmp_path / "data" / "meanface.txt"
    meanface.parent.mkdir()
    rng = np.random.default_rng(3)
    meanface.write_text(" ".join(f"{v:.4f}" for v in rng.uniform(0.1, 0.9, 38)) + "\n")
    with qtbot.waitSignal(window.card_flow.dialogShown, timeout=10000) as blocker:
        window.open_model(onnx, ask=False)  # as `--model pip19.onnx` does
    dlg = blocker.args[0]
    crop = {"crop.rule", "crop.scale_factor", "crop.enlarge", "crop.pad", "crop.box_source"}
    assert set(dlg.fields) == {"meanface", "colour", "pixel_scale", "mean", "std", "source"} | crop
    assert dlg.scheme() == "aflw19"
    assert dlg.fields["crop.rule"].currentText() == "pipnet_box"
    # PIPNet's WFLW/AFLW setting scale = 1.2 is 0.1 of the box added on each side
    assert card_dialog._floats(dlg.fields["crop.pad"].text()) == (0.1, 0.1, 0.1, 0.1)
    assert not dlg.save_button.isEnabled()  # cannot run without the mean face
    dlg.fields["meanface"].setText(str(meanface))
    assert dlg.save_button.isEnabled()
    with qtbot.waitSignal(window.inspector.modelLoaded, timeout=10000):
        dlg.save_button.click()
    card = load_card(tmp_path / "pip19.toml")
    assert card.decoder.meanface == os.path.join("data", "meanface.txt")
    assert (card.decoder.num_nb, card.decoder.net_stride) == (10, 32)
    assert card.crop.clip and card.crop.detector_pad == (0.1, -0.1, 0.1, 0.1)
    assert runs(tmp_path / "pip19.toml").shape == (19, 2)


def test_the_dialog_warns_when_the_model_contradicts_the_open_dataset(
    window: MainWindow, qtbot, tmp_path: Path, synthetic_dataset: Path
) -> None:
    with qtbot.waitSignal(window.inspector.datasetOpened, timeout=10000):
        window.open_path(synthetic_dataset)
    dlg = open_dialog(window, qtbot, regression_onnx(tmp_path / "reg33.onnx"))
    assert not dlg.warning.isHidden()
    assert "33 points (no known scheme)" in dlg.warning.text()
    assert "98 points (wflw98)" in dlg.warning.text()
    dlg.reject()


def test_switching_a_pipnet_proposal_to_a_rule_without_a_box_drops_its_clip(
    window: MainWindow, qtbot, tmp_path: Path
) -> None:
    onnx = pipnet_onnx(tmp_path / "pip19.onnx")
    meanface = tmp_path / "meanface.txt"
    meanface.write_text(" ".join(["0.5"] * 38) + "\n")
    with qtbot.waitSignal(window.card_flow.dialogShown, timeout=10000) as blocker:
        window.open_model(onnx, ask=False)
    dlg = blocker.args[0]
    dlg.fields["meanface"].setText(str(meanface))
    dlg.fields["crop.rule"].setCurrentText("hrnet_center_scale")
    card = dlg.card(tmp_path / "pip19.toml")  # the card validation refuses clip on this rule
    assert card.crop.rule == "hrnet_center_scale" and not card.crop.clip
    dlg.fields["crop.rule"].setCurrentText("box")
    assert dlg.card(tmp_path / "pip19.toml").crop.clip  # a box rule keeps the proposal's clip
    dlg.reject()
