"""The one worker idiom: a generator on a QThread with uniform signals and cooperative cancel."""

from __future__ import annotations

import threading
import time

from facealign_gui.app.thread_worker import GeneratorWorker


def test_values_the_return_value_and_the_end_arrive_in_order(qtbot) -> None:
    def work(abort: threading.Event):  # type: ignore[no-untyped-def]
        yield 1
        yield 2
        return "done"

    w = GeneratorWorker(work)
    got: list[object] = []
    w.started.connect(lambda: got.append("started"))
    w.yielded.connect(got.append)
    w.returned.connect(lambda v: got.append(("returned", v)))
    with qtbot.waitSignal(w.finished, timeout=5000):
        w.start()
    qtbot.waitUntil(lambda: len(got) == 4, timeout=2000)
    assert got == ["started", 1, 2, ("returned", "done")]
    assert not w.isRunning()


def test_an_exception_crosses_the_thread_as_the_exception_object(qtbot) -> None:
    def work(abort: threading.Event):  # type: ignore[no-untyped-def]
        yield 1
        raise ValueError("bad frame")

    w = GeneratorWorker(work)
    errors: list[BaseException] = []
    w.errored.connect(errors.append)
    with qtbot.waitSignal(w.finished, timeout=5000):
        w.start()
    qtbot.waitUntil(lambda: bool(errors), timeout=2000)
    assert isinstance(errors[0], ValueError) and str(errors[0]) == "bad frame"


def test_cancel_reaches_the_work_which_returns_early(qtbot) -> None:
    def work(abort: threading.Event):  # type: ignore[no-untyped-def]
        n = 0
        while not abort.is_set():
            n += 1
            yield n
            time.sleep(0.01)
        return n

    w = GeneratorWorker(work)
    returned: list[int] = []
    w.returned.connect(returned.append)
    with qtbot.waitSignal(w.yielded, timeout=5000):
        w.start()
    t0 = time.perf_counter()
    with qtbot.waitSignal(w.finished, timeout=5000):
        w.cancel()
    assert time.perf_counter() - t0 < 1.0
    qtbot.waitUntil(lambda: bool(returned), timeout=2000)
    assert returned[0] >= 1
