"""An undo or redo that the session refuses (the image changed since) leaves the undo stack
where it was, says why, and the next undo still works once the image is back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _labelling_fakes import FakeView, labelling_session

from facealign_gui.app.editing import EditController


@pytest.fixture
def setup(qtbot, tmp_path: Path):  # type: ignore[no-untyped-def]
    s = labelling_session(tmp_path)
    view = FakeView()
    c = EditController(view, s)
    yield s, view, c
    c.close()
    s.close()


def test_a_refused_undo_keeps_the_step_on_the_stack(setup, qtbot) -> None:
    s, view, c = setup
    view.drag([3], view.points[[3]] + 5.0)
    moved = s.annotation(0).points.copy()
    s.set_status(0, "unlabelled")  # changed outside the undo stack: the undo is now stale
    with qtbot.waitSignal(c.failed) as blocker:
        c.undo()
    assert "changed since" in blocker.args[0]
    assert (c.stack.index(), c.stack.count()) == (1, 1)
    assert c.stack.canUndo() and not c.stack.canRedo()
    np.testing.assert_array_equal(s.annotation(0).points, moved)
    s.set_status(0, "edited")  # back as the step left it: undo works again
    c.undo()
    assert s.annotation(0) is None and c.stack.index() == 0


def test_a_refused_redo_keeps_the_step_undone(setup, qtbot) -> None:
    s, view, c = setup
    view.drag([3], view.points[[3]] + 5.0)
    c.undo()
    s.set_status(0, "unlabelled")  # the redo's starting state is gone
    with qtbot.waitSignal(c.failed):
        c.redo()
    assert (c.stack.index(), c.stack.count()) == (0, 1)
    assert c.stack.canRedo() and not c.stack.canUndo()
    assert s.annotation(0) is None
    s.set_status(0, "predicted")
    c.redo()
    assert s.annotation(0) is not None and c.stack.index() == 1
