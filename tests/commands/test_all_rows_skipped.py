"""A run where every row was skipped says why and exits non-zero, instead of writing or
scoring nothing and exiting 0."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from facealign_gui.cli import main

K = 68


def _all_bad(tmp_path: Path) -> Path:
    head = ",".join(["image_name", "scale", "center_w", "center_h"]
                    + [f"original_{i}_{c}" for i in range(K) for c in "xy"])  # fmt: skip
    rows = ["a.jpg,1,2,3," + ",".join(["x"] * (2 * K)), "b.jpg,1,2"]
    f = tmp_path / "bad.csv"
    f.write_text("\n".join([head, *rows]) + "\n")
    return f


@pytest.mark.parametrize(
    "argv",
    [
        ["convert", "{bad}", "{out}.csv"],
        ["score", "--gt", "{bad}", "--pred", "{bad}"],
        ["eval", "--dataset", "{bad}"],
        ["predict", "{bad}", "-o", "{out}.csv"],
    ],
)
def test_every_row_skipped_is_an_error_that_says_why(tmp_path: Path, capsys, argv) -> None:
    bad = _all_bad(tmp_path)
    out = tmp_path / "out"
    args = [a.format(bad=bad, out=out) for a in argv]
    code = main([*args, "--json"])
    r = json.loads(capsys.readouterr().out)
    assert code == 1
    assert r["error"] == f"{bad}: every one of its 2 rows was skipped; nothing to use"
    assert any("not a number: 'x'" in p for p in r["problems"])
    assert not list(tmp_path.glob("out*"))
