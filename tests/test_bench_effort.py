"""benchmarks/bench_effort.py prints the one JSON object issue 13 specifies."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_effort.py"
FLOWS = ["manual", "predict+correct", "click-to-refine", "adaptive", "adaptive+refine"]


def _bench():
    spec = importlib.util.spec_from_file_location("bench_effort", BENCH)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["bench_effort"] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def test_json_has_every_flow_with_its_four_numbers(
    takeo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, pts = takeo
    assert _bench().main(["--dataset", str(pts), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert list(doc) == ["flows"] and list(doc["flows"]) == FLOWS
    for row in doc["flows"].values():
        assert set(row) == {"drags_mean", "drags_median", "final_nme", "faces"}
        assert row["faces"] == 1
        assert 0 <= row["drags_mean"] <= 3 * 68
    f = doc["flows"]
    # on this face the model beats the mean shape and the refinement beats plain correcting
    assert f["click-to-refine"]["drags_mean"] < f["predict+correct"]["drags_mean"]
    assert f["predict+correct"]["drags_mean"] < f["manual"]["drags_mean"]
