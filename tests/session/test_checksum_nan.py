"""A row holding a NaN real checks out after a crash: SQLite stores NaN as NULL, and the row
checksum says the same."""

from __future__ import annotations

import numpy as np

from facealign_gui.session.files import connect, full_check
from facealign_gui.session.store import Session

K = 68


def test_a_session_from_a_folder_with_some_ground_truth_reopens_after_a_crash(tmp_path) -> None:
    # images without a .pts have no centre/scale: a NaN scale, which SQLite stores as NULL;
    # its row checksum must say the same, or the open-time check calls the file damaged
    import cv2

    pts = np.random.default_rng(1).uniform(20, 80, (K, 2))
    for name in ("a", "b", "c"):
        cv2.imwrite(str(tmp_path / f"{name}.png"), np.full((100, 100, 3), 128, np.uint8))
    lines = ["version: 1", f"n_points: {K}", "{", *(f"{x + 1} {y + 1}" for x, y in pts), "}"]
    (tmp_path / "a.pts").write_text("\n".join(lines) + "\n")
    path = tmp_path / "work.fagsession"
    Session.create(path, tmp_path, scheme="300w68").close()
    conn = connect(path)
    try:
        full_check(conn, path)
    finally:
        conn.close()
