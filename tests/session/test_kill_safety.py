"""A process killed in the middle of a burst of edits loses none it had returned from."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
from _session_helpers import assert_matches_replay, make_session

from facealign_gui.session.store import Session

EDITOR = textwrap.dedent("""
    import json, sys
    import numpy as np
    from facealign_gui.session.store import Session
    s = Session.open(sys.argv[1])
    rng = np.random.default_rng(0)
    n = 0
    while True:
        i, k = int(rng.integers(len(s))), int(rng.integers(s.num_points))
        xy = rng.uniform(0, 200, 2).round(3).tolist()
        s.move_points(i, [k], [xy], kind="move")
        n += 1
        print(json.dumps([n, i, k, xy]), flush=True)   # acknowledged: move_points returned
""")


def test_sigkill_mid_burst_loses_no_acknowledged_edit(tmp_path: Path) -> None:
    path = tmp_path / "s.fagsession"
    make_session(tmp_path, n=20).close()
    proc = subprocess.Popen(
        [sys.executable, "-c", EDITOR, str(path)], stdout=subprocess.PIPE, text=True
    )
    acked: list[list] = []
    deadline = time.monotonic() + 60
    while len(acked) < 300 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        assert line, "the editor process died before the kill"
        acked.append(json.loads(line))
    os.kill(proc.pid, signal.SIGKILL)  # mid-burst: it is still editing
    proc.wait(timeout=10)
    proc.stdout.close()
    assert len(acked) == 300

    s = Session.open(path)  # the OS released the lock with the process
    moves = [e for e in s.journal() if e.kind == "move"]
    assert len(moves) >= len(acked)  # every acknowledged edit is there, maybe a few more
    for (_n, i, k, xy), e in zip(acked, moves, strict=False):
        assert (e.image, int(e.indices[0])) == (i, k)
        np.testing.assert_array_equal(e.new_points[0], xy)
    assert_matches_replay(s)  # and the stored annotations are exactly the journal's
