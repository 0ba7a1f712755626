"""Format detection calls a file binary only when it is binary as a whole: one junk row in a
good annotation file costs that row, and an image is named by its kind."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facealign_gui.datasets.io import open_dataset
from facealign_gui.datasets.model import DatasetError

K = 68


def _csv_with_a_binary_row(path: Path) -> Path:
    head = ",".join(["image_name", "scale", "center_w", "center_h"]
                    + [f"original_{i}_{c}" for i in range(K) for c in "xy"])  # fmt: skip
    pts = np.random.default_rng(0).uniform(10, 90, 2 * K)
    good = [f"{n}.jpg,1.0,50.0,50.0," + ",".join(map(repr, pts.tolist())) for n in "abcd"]
    data = "\n".join([head, good[0], good[1]]).encode() + b"\n\x00\x01\x02\xff\x00junk\n"
    data += "\n".join(good[2:]).encode() + b"\n"
    path.write_bytes(data)
    return path


def test_a_csv_with_one_binary_row_is_detected_and_keeps_its_good_rows(tmp_path: Path) -> None:
    ds = open_dataset(_csv_with_a_binary_row(tmp_path / "x.csv"), check_images=False)
    assert ds.format == "hrnet_csv" and len(ds) == 4
    assert any(p.line == 4 for p in ds.problems), [str(p) for p in ds.problems]


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("anim.gif", b"GIF89a" + bytes(200), "a GIF image"),
        ("blob.dat", bytes(range(256)) * 40, "binary data"),
    ],
)
def test_a_binary_file_is_named_by_its_kind(tmp_path: Path, name: str, data: bytes, kind: str):
    f = tmp_path / name
    f.write_bytes(data)
    with pytest.raises(DatasetError, match=f"{kind}, not an annotation file"):
        open_dataset(f)
