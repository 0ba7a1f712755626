"""A converted model runs in `eval` and in the predictor with no editing of its card."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from facealign_gui.cli import main

pytest.importorskip("torch")


def _takeo_folder(takeo: tuple[Path, Path], tmp_path: Path) -> Path:
    folder = tmp_path / "takeo"
    folder.mkdir()
    for f in takeo:
        shutil.copy(f, folder / f.name)
    return folder


def _eval_json(card: Path, dataset: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    capsys.readouterr()
    assert main(["eval", "--model", str(card), "--dataset", str(dataset), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    "family, extra",
    [("pipnet", ["--backbone", "mobilenet_v2"]), ("hrnet", [])],
)
def test_a_300w_export_evaluates_on_a_300w_face_as_written(
    family: str,
    extra: list[str],
    takeo: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / f"{family}.onnx"
    args = ["convert-model", family, "--random-weights", "--dataset", "300w", "-o", str(out)]
    assert main(args + extra) == 0
    card = out.with_suffix(".toml")
    result = _eval_json(card, _takeo_folder(takeo, tmp_path), capsys)
    # random weights: the number is meaningless, but the face was cropped, run and decoded
    assert result["count"] == 1
    assert np.isfinite(result["nme"])
    assert result["per_image"][0]["image"].endswith("takeo.ppm")


def test_a_300w_export_refuses_a_98_point_dataset_before_any_work(
    takeo: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from facealign_gui.core.schemes import get_scheme

    out = tmp_path / "p.onnx"
    assert main(["convert-model", "pipnet", "--random-weights", "--dataset", "300w",
                 "--backbone", "mobilenet_v2", "-o", str(out)]) == 0  # fmt: skip
    k = get_scheme("wflw98").num_points
    header = "image_name,scale,center_w,center_h," + ",".join(
        f"original_{i}_x,original_{i}_y" for i in range(k)
    )
    row = "takeo.ppm,0.5,75,110," + ",".join(f"{60 + i % 30},{80 + i // 4}" for i in range(k))
    csv = tmp_path / "takeo" / "wflw.csv"
    _takeo_folder(takeo, tmp_path)
    csv.write_text(header + "\n" + row + "\n")
    capsys.readouterr()
    code = main(["eval", "--model", str(out.with_suffix(".toml")), "--dataset", str(csv)])
    err = capsys.readouterr().err
    assert code != 0
    assert "68" in err and "98" in err
