"""Small generated files for the dataset tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def hrnet_header(k: int, aflw: bool = False) -> str:
    head = ["image_name", "scale"] + (["box_size"] if aflw else []) + ["center_w", "center_h"]
    return ",".join(head + [f"original_{i}_{c}" for i in range(k) for c in "xy"])


def hrnet_row(name: str, pts: np.ndarray, scale: float = 1.5, box: float | None = None) -> str:
    vals = [scale] + ([box] if box is not None else []) + [100.0, 120.0] + pts.ravel().tolist()
    return name + "," + ",".join(repr(float(v)) for v in vals)


def face_points(k: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.round(rng.uniform(50, 250, (k, 2)), 6)


def write_hrnet(path: Path, rows: list[str], k: int, aflw: bool = False, end: str = "\n") -> Path:
    path.write_text(end.join([hrnet_header(k, aflw), *rows]) + end, newline="")
    return path


def wflw_line(pts: np.ndarray, name: str, rect=None, attrs=None) -> str:
    parts = [f"{v:.6f}" for v in pts.ravel().tolist()]
    if rect is not None:
        parts += [str(int(v)) for v in rect] + [str(int(a)) for a in attrs]
    return " ".join([*parts, name])
