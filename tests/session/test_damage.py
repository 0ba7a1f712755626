"""A damaged session file is refused with a message naming what is wrong; it never opens with
silently changed points and never replaces the good ``.bak``."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from _session_dump import session_dump
from _session_helpers import prediction

from facealign_gui.session.store import Session, SessionError, backup_path

FLIPS = 300


def small_session(folder: Path) -> Path:
    """Six images, 5 points: ground truth, predictions (with a mirror), edits, an accept."""
    path = folder / "s.fagsession"
    images = [folder / f"face_{i}.png" for i in range(6)]
    s = Session.create(path, images, scheme="five5", num_points=5)
    for i in range(5):
        s.set_prediction(i, prediction(k=5, seed=i, conf=0.2 + 0.1 * i))
    s.set_prediction(1, prediction(k=5, seed=9, conf=0.5), role="mirror")
    s.move_points(0, [1, 3], [[5.5, 6.5], [7.0, 8.0]])
    s.set_visibility(0, [2], False)
    s.accept(1)
    s.accept(2)
    s.move_points(3, [4], [[1.0, 2.0]])
    s.set_image_size(2, 64, 48)
    s.add_time(0, 2.5)
    s.set_current(3)
    s.close()
    Session.open(path).close()  # a good .bak, as after any earlier open
    return path


def _holds(path: Path, expected: dict) -> bool:
    try:
        with Session.open(path, backup=False) as s:
            return session_dump(s) == expected
    except Exception:
        return False


def test_every_random_byte_flip_opens_identical_data_or_is_refused(tmp_path: Path) -> None:
    (tmp_path / "good").mkdir()
    good = small_session(tmp_path / "good")
    with Session.open(good, backup=False) as s:
        expected = session_dump(s)
    good_bak = backup_path(good).read_bytes()
    data = good.read_bytes()
    rng = np.random.default_rng(20261201)
    opened, refused = 0, 0
    changed: list[int] = []
    bak_lost: list[int] = []
    raw: list[tuple[int, str]] = []
    for n in range(FLIPS):
        work = tmp_path / f"flip{n}"
        work.mkdir()
        path = work / good.name
        flipped = bytearray(data)
        at = int(rng.integers(len(flipped)))
        flipped[at] ^= int(rng.integers(1, 256))
        path.write_bytes(bytes(flipped))
        backup_path(path).write_bytes(good_bak)
        try:
            s = Session.open(path)
        except SessionError as exc:
            refused += 1
            assert str(path) in str(exc)  # the message names the file
        except Exception as exc:  # a raw sqlite3/numpy/json error is not a clear message
            raw.append((at, f"{type(exc).__name__}: {exc}"))
        else:
            opened += 1
            with s:
                try:
                    if session_dump(s) != expected:
                        changed.append(at)
                except Exception as exc:
                    raw.append((at, f"{type(exc).__name__}: {exc}"))
        if backup_path(path).read_bytes() != good_bak and not _holds(backup_path(path), expected):
            bak_lost.append(at)
        shutil.rmtree(work)
    assert not (changed or raw or bak_lost), (
        f"of {FLIPS} flips, {len(changed)} opened with changed data (at {changed[:5]}...), "
        f"{len(raw)} gave a raw error ({raw[:2]}...), {len(bak_lost)} replaced the good .bak"
    )
    assert opened + refused == FLIPS and refused > 0
