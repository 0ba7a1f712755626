"""Speed of the labelling session: accept-and-next, opening 10,000 images, exporting them.

Builds a session of ``--images`` (10,000) images with 98-point predictions in a temporary
folder, then times (median of ``--runs``):

- baseline: one raw SQLite ``INSERT`` + ``COMMIT`` of a 1.5 kB blob in WAL mode (the floor
  for any edit that is committed at once);
- ``Session.accept`` + next-image lookup (Qt-free), and ``EditController.accept_and_next``
  (the Space key: accept, undo command, next in queue, view refresh of a stand-in view);
- ``Session.move_points`` (one drag, committed);
- ``Session.open`` + ``close`` of the 10,000-image session after a clean close (lock, the
  whole-file seal checked in one pass over the bytes, ``.bak`` copy, the seal written again on
  close), the same without the backup, and both for an unsealed file (after a crash: SQLite's
  integrity check, the schema, every row's checksum and every value decoded);
- exports of 10,000 labelled rows to HRNet CSV, COCO JSON and a WFLW list (baseline:
  ``write_dataset`` of an already-built `Dataset`, i.e. the HRNet writer alone), and the
  floor any exact text export pays: ``repr()`` of every coordinate.

Targets (issue 5): accept-and-next <= 50 ms, open <= 1 s, export of 10,000 rows <= 1 s.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_session.py [--images 10000] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from facealign_gui.core.annotation import Prediction
from facealign_gui.datasets.model import Dataset
from facealign_gui.session.export import export_session, session_dataset
from facealign_gui.session.store import Session

K = 98

try:  # sessions with row checksums and a whole-file seal (schema 3 on)
    from facealign_gui.session import checksums
    from facealign_gui.session.seal import unseal
except ImportError:  # the release before them, for before/after figures
    checksums, unseal = None, None  # type: ignore[assignment]


def refresh(conn: sqlite3.Connection, *tables: str) -> None:
    """Recompute the row checksums of ``tables`` after the raw SQL this script writes."""
    if checksums is not None:
        for table in tables:
            checksums.refresh(conn, table)


def timed(fn: Callable[[], object], runs: int) -> float:
    """Median wall seconds of ``runs`` calls; CPU seconds go to `LAST_CPU`."""
    return interleaved({"x": fn}, runs)["x"]


LAST_CPU: dict[str, float] = {}


def interleaved(fns: dict[str, Callable[[], object]], runs: int) -> dict[str, float]:
    """Median wall seconds of each function, run in turn ``runs`` times (so load drift hits
    every contender alike); median CPU seconds are kept in `LAST_CPU` under the same keys."""
    wall: dict[str, list[float]] = {k: [] for k in fns}
    cpu: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(runs):
        for k, fn in fns.items():
            t, c = time.perf_counter(), time.process_time()
            fn()
            wall[k].append(time.perf_counter() - t)
            cpu[k].append(time.process_time() - c)
    for k in fns:
        LAST_CPU[k] = statistics.median(cpu[k])
    return {k: statistics.median(v) for k, v in wall.items()}


def build(folder: Path, n: int) -> Path:
    rng = np.random.default_rng(0)
    base = rng.uniform(50, 250, (K, 2))
    pts = base + rng.normal(0, 2, (n, K, 2))
    ds = Dataset("image_folder", "wflw98", folder, [f"img_{i:05d}.png" for i in range(n)])
    path = folder / "bench.fagsession"
    s = Session.create(path, ds, scheme="wflw98")
    conf = rng.uniform(0.2, 0.9, (n, K)).astype(np.float32)
    s.set_predictions(
        [(i, Prediction(points=pts[i], confidence=conf[i], model_id="m"), "primary")
         for i in range(n)]
    )  # fmt: skip
    s.close()
    return path


def raw_insert_baseline(folder: Path, runs: int) -> float:
    con = sqlite3.connect(folder / "raw.db", isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)")
    blob = os.urandom(K * 16)

    def one() -> None:
        con.execute("BEGIN")
        con.execute("INSERT INTO t (b) VALUES (?)", (blob,))
        con.execute("COMMIT")

    t = timed(one, runs * 20)
    con.close()
    return t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    rows: list[tuple[str, float, str, float | None]] = []
    cpu_of: dict[str, float | None] = {}  # median CPU seconds of each row

    def add(row: tuple[str, float, str, float | None], cpu: float | None = None) -> None:
        rows.append(row)
        cpu_of[row[0]] = LAST_CPU.get("x") if cpu is None else cpu
        LAST_CPU.pop("x", None)

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        path = build(folder, a.images)
        print(f"built a {a.images}-image session in {time.perf_counter() - t0:.1f} s")
        base_insert = raw_insert_baseline(folder, a.runs)
        add(("raw sqlite insert+commit (baseline)", base_insert, "", 1.0))

        s = Session.open(path)
        queue = iter(s.review_queue())

        def accept_next() -> None:
            s.accept(next(queue))

        t = timed(accept_next, a.runs * 10)
        add(("Session.accept (one image)", t, "", t / base_insert))
        moves = iter(range(10_000))

        def move() -> None:
            j = next(moves)
            s.move_points(j % a.images, [j % K], [[1.0, 2.0]])

        t = timed(move, a.runs * 10)
        add(("Session.move_points (one drag)", t, "", t / base_insert))
        t = timed(lambda: s.review_queue(), a.runs)
        add(("review_queue (uncertainty order)", t, "", None))

        from PySide6.QtWidgets import QApplication

        app = QApplication.instance() or QApplication([])
        import importlib.util
        import sys

        fakes = Path(__file__).resolve().parents[1] / "tests" / "app" / "_labelling_fakes.py"
        spec = importlib.util.spec_from_file_location("_labelling_fakes", fakes)
        mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        sys.modules["_labelling_fakes"] = mod
        spec.loader.exec_module(mod)  # type: ignore[union-attr]
        from facealign_gui.app.editing import EditController

        t = time.perf_counter()
        c = EditController(mod.FakeView(), s)
        rows.append(("EditController start (queue of all)", time.perf_counter() - t, "", None))
        t = timed(c.accept_and_next, a.runs * 10)
        add(("EditController.accept_and_next (Space)", t, "<= 50 ms", t / base_insert))
        c.close()
        app.processEvents()
        s.close()

        t = timed(lambda: Session.open(path).close(), a.runs)
        add((f"Session.open, {a.images} images (+ .bak)", t, "<= 1 s", None))
        t = timed(lambda: Session.open(path, backup=False).close(), a.runs)
        add((f"Session.open, {a.images} images, no backup", t, "", None))
        if unseal is not None:

            def unsealed(backup: bool) -> None:
                unseal(path)  # as a crash leaves it: every row is checked
                Session.open(path, backup=backup).close()

            t = timed(lambda: unsealed(True), a.runs)
            add((f"Session.open, {a.images} images, unsealed (+ .bak)", t, "", None))
            t = timed(lambda: unsealed(False), a.runs)
            add((f"Session.open, {a.images} images, unsealed, no backup", t, "", None))

        s = Session.open(path)
        s._conn.execute(  # make every image labelled and verified, as after a full pass
            "INSERT OR IGNORE INTO annotations SELECT i.id, p.points, zeroblob(98), 'predicted',"
            f" p.id, 0{', NULL' if checksums else ''} FROM images i"
            " JOIN predictions p ON p.id = i.prediction_id"
        )
        s._conn.execute("UPDATE annotations SET visible = ?", (b"\x01" * K,))
        s._conn.execute("UPDATE images SET status='verified'")
        # reviewing in the labelling dock records each image's size (COCO needs it); keep a
        # copy without sizes for the worst case, where every header is read from disk
        s._conn.execute("UPDATE images SET width=NULL, height=NULL")
        refresh(s._conn, "images", "annotations")  # raw SQL above: keep the row checksums right
        s.close()
        no_sizes = folder / "bench_no_sizes.fagsession"
        shutil.copyfile(path, no_sizes)
        s = Session.open(path)
        s._conn.execute("UPDATE images SET width=800, height=800")
        refresh(s._conn, "images")
        s_no_sizes = Session.open(no_sizes)
        ds = session_dataset(s, s.labels())
        from facealign_gui.datasets.io import write_dataset

        n_out = iter(range(1000))
        floats = ds.points.reshape(-1).tolist()
        contenders = {
            f"write_dataset HRNet CSV, {len(ds)} rows (baseline)": lambda: write_dataset(
                ds, folder / f"w{next(n_out)}.csv", "hrnet_csv"
            ),
            f"repr() of {len(floats)} floats (text floor)": lambda: ",".join(map(repr, floats)),
            f"export HRNet CSV, {len(ds)} rows": lambda: export_session(
                s, folder / f"e{next(n_out)}.csv", "hrnet_csv"
            ),
            f"export COCO JSON, {len(ds)} rows": lambda: export_session(
                s, folder / f"e{next(n_out)}.json", "coco"
            ),
            f"export COCO JSON, {len(ds)} rows, sizes unknown": lambda: export_session(
                s_no_sizes, folder / f"e{next(n_out)}.json", "coco"
            ),
            f"export WFLW list, {len(ds)} rows": lambda: export_session(
                s, folder / f"e{next(n_out)}.txt", "wflw_list"
            ),
        }
        wall = interleaved(contenders, a.runs)
        cpu = dict(LAST_CPU)
        names = list(contenders)
        for name in names:
            target = "<= 1 s" if name.startswith("export") else ""
            add((name, wall[name], target, cpu[name] / cpu[names[0]]), cpu[name])
        s.close()
        s_no_sizes.close()

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"\nmedian of {a.runs} runs (accept/move: {a.runs * 10} runs); "
        f"load average {load:.1f} on {os.cpu_count()} CPUs\n"
    )
    print("x baseline: ratio of median CPU seconds for the exports, of wall time otherwise\n")
    print(f"{'what':<48} {'median':>11} {'CPU':>11} {'target':>9} {'x baseline':>11}")
    for name, t, target, ratio in rows:
        r = "" if ratio is None else f"{ratio:.1f}"
        c = cpu_of.get(name)
        cs = "" if c is None else f"{c * 1000:8.2f} ms"
        print(f"{name:<48} {t * 1000:>8.2f} ms {cs:>11} {target:>9} {r:>11}")
    print(
        "\nexports, median CPU seconds: "
        + ", ".join(
            f"{k.split(',')[0]} {v:.2f}"
            for k, v in LAST_CPU.items()
            if "rows" in k or "floats" in k
        )
    )


if __name__ == "__main__":
    main()
