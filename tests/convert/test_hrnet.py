"""HRNetV2-W18 rebuilt with the authors' parameter names."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from facealign_gui.convert import ConvertError  # noqa: E402
from facealign_gui.convert.export import onnx_bytes, onnx_outputs, torch_outputs  # noqa: E402
from facealign_gui.convert.hrnet import build_hrnet_w18, convert  # noqa: E402


@pytest.fixture(scope="module")
def hrnet68() -> torch.nn.Module:
    """Built on the meta device: names and shapes without allocating or initialising."""
    with torch.device("meta"):
        return build_hrnet_w18(68)


def test_keys_follow_the_authors_layout(hrnet68: torch.nn.Module) -> None:
    shapes = {k: tuple(v.shape) for k, v in hrnet68.state_dict().items()}
    assert shapes["layer1.0.downsample.0.weight"] == (256, 64, 1, 1)
    assert shapes["transition1.0.0.weight"] == (18, 256, 3, 3)
    assert shapes["transition1.1.0.0.weight"] == (36, 256, 3, 3)  # new branch, stride 2
    assert shapes["transition3.3.0.0.weight"] == (144, 72, 3, 3)
    # stage 4, module 3, output branch 3 from branch 0: two 18-channel steps, then 144
    assert shapes["stage4.2.fuse_layers.3.0.0.0.weight"] == (18, 18, 3, 3)
    assert shapes["stage4.2.fuse_layers.3.0.2.0.weight"] == (144, 18, 3, 3)
    assert shapes["stage4.2.fuse_layers.0.3.0.weight"] == (18, 144, 1, 1)
    assert shapes["stage3.3.branches.2.3.conv2.weight"] == (72, 72, 3, 3)
    assert shapes["head.0.weight"] == (270, 270, 1, 1)
    assert shapes["head.3.weight"] == (68, 270, 1, 1)
    assert not any(k.startswith("stage2.1.") for k in shapes)  # one module in stage 2
    assert any(k.startswith("stage3.3.") for k in shapes) and not any(
        k.startswith("stage3.4.") for k in shapes
    )


def test_checkpoint_needs_the_dataset_it_was_trained_on(tmp_path: Path) -> None:
    with pytest.raises(ConvertError, match="--dataset"):
        convert(tmp_path / "HR18-WFLW.pth", tmp_path / "out.onnx")


def test_data_parallel_checkpoint_missing_a_layer_is_reported(
    tmp_path: Path, hrnet68: torch.nn.Module
) -> None:
    state = {f"module.{k}": v for k, v in hrnet68.state_dict().items() if "head.3" not in k}
    path = tmp_path / "HR18-300W.pth"
    torch.save({"state_dict": state, "epoch": 60}, path)
    with pytest.raises(ConvertError) as info:
        convert(path, tmp_path / "out.onnx", dataset="300w")
    assert "2 missing key(s): head.3.weight, head.3.bias" in str(info.value)


@pytest.mark.slow
def test_export_matches_eager_pytorch_on_a_small_input() -> None:
    # fully convolutional: a 64 px input exercises the same graph at 1/16 of the cost
    hrnet68 = build_hrnet_w18(68)
    data = onnx_bytes(hrnet68, (1, 3, 64, 64), "input", ["heatmaps"])
    x = np.random.default_rng(4).standard_normal((2, 3, 64, 64)).astype(np.float32)
    got, ref = onnx_outputs(data, x)[0], torch_outputs(hrnet68, x)[0]
    assert got.shape == (2, 68, 16, 16)  # heatmaps at 1/4 of the input (64 for 256)
    assert float(np.max(np.abs(got - ref))) <= 1e-4
