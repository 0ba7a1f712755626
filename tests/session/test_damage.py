"""A damaged session file is refused with a message naming what is wrong; it never opens with
silently changed points and never replaces the good ``.bak``."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from _session_dump import plain, session_dump
from _session_helpers import prediction

from facealign_gui.session import checksums, seal
from facealign_gui.session.review import ReviewSignal, register_signal, unregister_signal
from facealign_gui.session.store import Session, SessionDamagedError, SessionError, backup_path

FLIPS = 300
SIGNAL = ReviewSignal("damage_test_spread", "Spread", worst="high")


@pytest.fixture(autouse=True)
def _signal() -> Iterator[None]:
    register_signal(SIGNAL)
    yield
    unregister_signal(SIGNAL.name)


def dump(s: Session) -> dict:
    """Everything the session shows, its review scores included."""
    sc = s.scores(SIGNAL.name)
    return {**session_dump(s), "scores": [plain(sc.face), plain(sc.per_point)]}


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
    s.set_scores(3, SIGNAL.name, [0.5, 0.25, 1.0, 2.0, 0.125])
    s.set_scores(4, SIGNAL.name, 3.5)
    s.close()
    Session.open(path).close()  # a good .bak, as after any earlier open
    return path


def _holds(path: Path, expected: dict) -> bool:
    try:
        with Session.open(path, backup=False) as s:
            return dump(s) == expected
    except Exception:
        return False


def test_every_random_byte_flip_opens_identical_data_or_is_refused(tmp_path: Path) -> None:
    (tmp_path / "good").mkdir()
    good = small_session(tmp_path / "good")
    with Session.open(good, backup=False) as s:
        expected = dump(s)
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
                    if dump(s) != expected:
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


def _sql(path: Path, *statements: tuple) -> None:
    con = sqlite3.connect(path)
    checksums.install(con)
    for st in statements:
        con.execute(*st)
    con.commit()
    con.close()


def test_a_changed_point_is_refused_naming_the_image(tmp_path: Path) -> None:
    path = small_session(tmp_path)
    pts = np.zeros((5, 2)).tobytes()  # well-formed, just not what was saved
    _sql(path, ("UPDATE annotations SET points = ? WHERE image_id = 0", (pts,)))
    with pytest.raises(SessionDamagedError, match=r"annotation .* of image 0 \(.*face_0\.png\)"):
        Session.open(path)


def test_a_value_that_does_not_decode_is_refused_naming_the_image(tmp_path: Path) -> None:
    path = small_session(tmp_path)
    _sql(  # a three-byte point blob whose checksum was kept right: only decoding can tell
        path,
        ("UPDATE predictions SET points = x'010203' WHERE image_id = 2",),
        ("UPDATE predictions SET crc = crc_predictions(id, image_id, CAST(role AS BLOB),"
         " CAST(model_id AS BLOB), points, confidence, mean_conf, min_conf, disagreement,"
         " created)",),
    )  # fmt: skip
    with pytest.raises(SessionDamagedError, match=r"prediction of image 2 \(.*face_2\.png\)"):
        Session.open(path)


def test_a_damaged_v1_file_without_checksums_is_refused_not_a_raw_error(tmp_path: Path) -> None:
    path = tmp_path / "v1.fagsession"
    shutil.copyfile(Path(__file__).parent / "data" / "v1_session.fagsession", path)
    con = sqlite3.connect(path)
    con.execute("UPDATE annotations SET points = x'0102' WHERE image_id = 1")
    con.execute("UPDATE journal SET new_state = '{\"annotated\": tru' WHERE seq = 6")
    con.commit()
    con.close()
    with pytest.raises(SessionDamagedError, match=r"annotation of image 1 \(a/face_1\.jpg\)"):
        Session.open(path)


def test_a_clean_close_seals_the_file_and_opening_unseals_it(tmp_path: Path) -> None:
    path = small_session(tmp_path)
    assert seal.check(path)  # closed cleanly: the fast path applies
    s = Session.open(path)
    assert not seal.check(path)  # a crash from here on leaves no seal: full checks next time
    s.close()
    assert seal.check(path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    assert not seal.check(path)


def test_a_changed_table_definition_is_refused(tmp_path: Path) -> None:
    path = small_session(tmp_path)
    con = sqlite3.connect(path)  # same length, same data: only future rows would differ
    con.execute("PRAGMA writable_schema = ON")
    con.execute(
        "UPDATE sqlite_schema SET sql = replace(sql, 'DEFAULT ''unlabelled''',"
        " 'DEFAULT ''verifiedxx''') WHERE name = 'images'"
    )
    con.commit()
    con.close()
    with pytest.raises(SessionDamagedError, match="table definitions are not those of schema"):
        Session.open(path)
