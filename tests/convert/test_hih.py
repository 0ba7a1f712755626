"""Heatmap-in-Heatmap rebuilt with the authors' parameter names."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from facealign_gui.convert import ConvertError  # noqa: E402
from facealign_gui.convert.export import onnx_bytes, onnx_outputs, torch_outputs  # noqa: E402
from facealign_gui.convert.hih import build_hih, convert  # noqa: E402


@pytest.fixture(scope="module")
def hih() -> torch.nn.Module:
    """Built on the meta device: names and shapes without allocating or initialising."""
    with torch.device("meta"):
        return build_hih(98)


def test_keys_follow_the_authors_layout(hih: torch.nn.Module) -> None:
    shapes = {k: tuple(v.shape) for k, v in hih.state_dict().items()}
    assert shapes["pre_conv.0.conv.weight"] == (64, 3, 7, 7)
    assert shapes["pre_conv.1.skip_layer.conv.weight"] == (128, 64, 1, 1)
    # the authors create the projection even where it is unused
    assert shapes["hg0.res4_1.skip_layer.conv.weight"] == (256, 256, 1, 1)
    assert shapes["hg3.res_center.conv2.conv.weight"] == (128, 128, 3, 3)
    assert shapes["hg3_conv_pred.weight"] == (98, 256, 1, 1)
    assert shapes["hg3_conv2.conv.weight"] == (256, 98, 1, 1)
    assert shapes["offset_head.conv1.conv.weight"] == (384, 256, 1, 1)
    assert shapes["offset_head.down_ops.1.downsample.0.conv.weight"] == (384, 384, 1, 1)
    assert "offset_head.down_ops.2.conv1.conv.weight" not in shapes  # log2(64/8) - 1 blocks
    assert shapes["offset_head.head.1.weight"] == (98, 384, 1, 1)


def test_training_checkpoint_with_optimizer_state_is_unwrapped_and_checked(
    tmp_path: Path, hih: torch.nn.Module
) -> None:
    state = dict(hih.state_dict())
    state["offset_head.extra.weight"] = torch.zeros(1, device="meta")
    path = tmp_path / "WFLW.pth"
    torch.save({"state_dict": state, "best_nme": 0.0408, "optimizer": {"lr": 1e-4}}, path)
    with pytest.raises(ConvertError, match=r"1 unexpected key.*offset_head\.extra\.weight"):
        convert(path, tmp_path / "out.onnx", dataset="wflw")


def test_datasets_other_than_wflw_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConvertError, match="WFLW only"):
        convert(None, tmp_path / "out.onnx", dataset="cofw")


@pytest.mark.slow
def test_export_matches_eager_pytorch_on_a_small_input() -> None:
    # fully convolutional: a 128 px input exercises the same graph at a quarter of the cost
    hih = build_hih(98)
    data = onnx_bytes(hih, (1, 3, 128, 128), "input", ["heatmaps", "offsets"])
    x = np.random.default_rng(3).standard_normal((2, 3, 128, 128)).astype(np.float32)
    got, ref = onnx_outputs(data, x), torch_outputs(hih, x)
    # integer heatmaps at 1/4 of the input (64 for 256), decimal ones at 1/32 (8 for 256)
    assert [g.shape for g in got] == [(2, 98, 32, 32), (2, 98, 4, 4)]
    assert max(float(np.max(np.abs(a - b))) for a, b in zip(got, ref, strict=True)) <= 1e-4
