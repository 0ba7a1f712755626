"""Checkpoints are read without running code and loaded strictly by name."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from facealign_gui.convert import ConvertError  # noqa: E402
from facealign_gui.convert.checkpoint import (  # noqa: E402
    compare_keys,
    load_strict,
    read_state_dict,
)


@dataclass
class TrainingState:
    """Stands for any pickled object that is not a tensor or a plain container."""

    epoch: int


def test_checkpoint_pickling_an_arbitrary_object_is_refused_with_the_global_it_needs(
    tmp_path: Path,
) -> None:
    path = tmp_path / "whole_model.pth"
    torch.save({"state_dict": {"w": torch.zeros(2)}, "trainer": TrainingState(3)}, path)
    with pytest.raises(ConvertError, match="refused") as info:
        read_state_dict(path)
    assert str(path) in str(info.value)
    assert "TrainingState" in str(info.value)


def test_state_dict_is_unwrapped_and_loses_its_data_parallel_prefix(tmp_path: Path) -> None:
    path = tmp_path / "wrapped.pth"
    weights = {"module.conv.weight": torch.ones(1, 1, 1, 1), "module.conv.bias": torch.ones(1)}
    torch.save({"epoch": 7, "state_dict": weights}, path)
    assert sorted(read_state_dict(path)) == ["conv.bias", "conv.weight"]


def test_file_that_is_not_a_checkpoint_is_reported_with_its_name(tmp_path: Path) -> None:
    path = tmp_path / "notes.pth"
    path.write_text("not a checkpoint")
    with pytest.raises(ConvertError, match=r"notes\.pth"):
        read_state_dict(path)


def test_missing_unexpected_and_misshaped_keys_are_all_named() -> None:
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 1), torch.nn.BatchNorm2d(2))
    state = dict(net.state_dict())
    state.pop("0.bias")
    state["extra.weight"] = torch.zeros(1)
    state["1.weight"] = torch.zeros(3)
    report = compare_keys(net.state_dict(), state)
    assert report.missing == ["0.bias"]
    assert report.unexpected == ["extra.weight"]
    assert [k for k, *_ in report.mismatched] == ["1.weight"]
    with pytest.raises(ConvertError) as info:
        load_strict(net, state, "ckpt.pth")
    text = str(info.value)
    assert "ckpt.pth" in text and "0.bias" in text and "extra.weight" in text
    assert "checkpoint [3] vs network [2]" in text


def test_batch_norm_counters_that_old_torch_did_not_save_may_be_absent() -> None:
    net = torch.nn.BatchNorm2d(2)
    state = {k: v for k, v in net.state_dict().items() if "num_batches_tracked" not in k}
    assert compare_keys(net.state_dict(), state).ok
