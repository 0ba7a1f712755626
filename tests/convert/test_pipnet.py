"""PIPNet rebuilt with torchvision's backbone names and the authors' head names."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from facealign_gui.convert import ConvertError  # noqa: E402
from facealign_gui.convert.backbones import (  # noqa: E402
    MobileNetV2Trunk,
    MobileNetV3Trunk,
    ResNetTrunk,
)
from facealign_gui.convert.export import onnx_bytes, onnx_outputs, torch_outputs  # noqa: E402
from facealign_gui.convert.pipnet import build_pipnet, convert  # noqa: E402


def _count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize(
    ("trunk", "params"),
    [
        # torchvision's published totals minus the 1000-class fc layer
        (lambda: ResNetTrunk("resnet18"), 11_689_512 - (512 * 1000 + 1000)),
        (lambda: ResNetTrunk("resnet50"), 25_557_032 - (2048 * 1000 + 1000)),
        (MobileNetV2Trunk, 3_504_872 - (1280 * 1000 + 1000)),
    ],
)
def test_backbones_have_torchvisions_parameter_count(trunk, params: int) -> None:
    assert _count(trunk()) == params


def test_heads_and_backbone_keys_use_the_authors_names_and_shapes() -> None:
    r18 = {k: tuple(v.shape) for k, v in build_pipnet("resnet18", 98).state_dict().items()}
    assert r18["conv1.weight"] == (64, 3, 7, 7)
    assert r18["layer2.0.downsample.0.weight"] == (128, 64, 1, 1)
    assert r18["cls_layer.weight"] == (98, 512, 1, 1)
    assert r18["nb_x_layer.weight"] == (980, 512, 1, 1)
    v2 = {k: tuple(v.shape) for k, v in build_pipnet("mobilenet_v2", 68).state_dict().items()}
    assert v2["features.1.conv.1.weight"] == (16, 32, 1, 1)  # t = 1: no expansion conv
    assert v2["features.2.conv.0.0.weight"] == (96, 16, 1, 1)
    assert v2["features.18.0.weight"] == (1280, 320, 1, 1)
    assert v2["nb_y_layer.weight"] == (680, 1280, 1, 1)
    v3 = {k: tuple(v.shape) for k, v in build_pipnet("mobilenet_v3", 29).state_dict().items()}
    # block 4 (k5, t3, 40 ch, SE) expands 24 -> 72; SE squeezes 72 -> 24 at index 5
    assert v3["features.4.conv.5.fc.0.weight"] == (24, 72)
    assert v3["conv.0.weight"] == (960, 160, 1, 1)
    assert v3["x_layer.weight"] == (29, 960, 1, 1)


def test_mobilenet_v3_trunk_ends_at_stride_32_with_960_channels() -> None:
    out = MobileNetV3Trunk().eval()(torch.zeros(1, 3, 64, 64))
    assert tuple(out.shape) == (1, 960, 2, 2)


def test_export_returns_the_five_maps_like_eager_pytorch() -> None:
    model = build_pipnet("mobilenet_v3", 19)
    names = ["cls", "x", "y", "nb_x", "nb_y"]
    data = onnx_bytes(model, (1, 3, 128, 128), "input", names)  # 128 px: same graph, cheaper
    x = np.random.default_rng(2).standard_normal((2, 3, 128, 128)).astype(np.float32)
    got, ref = onnx_outputs(data, x), torch_outputs(model, x)
    assert [g.shape for g in got] == [(2, 19, 4, 4)] * 3 + [(2, 190, 4, 4)] * 2
    assert max(float(np.max(np.abs(a - b))) for a, b in zip(got, ref, strict=True)) <= 1e-4


def test_checkpoint_for_another_number_of_points_is_refused_naming_the_keys(
    tmp_path: Path,
) -> None:
    path = tmp_path / "pip_cofw.pth"
    with torch.device("meta"):  # names and shapes are all the check reads
        torch.save(build_pipnet("mobilenet_v3", 29).state_dict(), path)
    with pytest.raises(ConvertError) as info:
        convert(path, tmp_path / "out.onnx", dataset="wflw", backbone="mobilenet_v3")
    text = str(info.value)
    assert "pip_cofw.pth" in text and "cls_layer.weight" in text and "shape mismatch" in text
    assert not (tmp_path / "out.onnx").exists()


def test_unknown_backbone_is_named_in_the_error() -> None:
    with pytest.raises(ConvertError, match="resnet34"):
        build_pipnet("resnet34", 98)


def test_command_offers_exactly_the_backbones_the_converter_builds() -> None:
    from facealign_gui.commands.convert_model import PIPNET_BACKBONES
    from facealign_gui.convert.pipnet import BACKBONES

    assert set(PIPNET_BACKBONES) == set(BACKBONES)
