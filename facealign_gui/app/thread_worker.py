"""The one background-work idiom: a generator run on its own QThread.

Like superqt's ``create_worker`` (not a dependency: this is the ~40 lines of it we use): the
work is a generator function given the worker's abort event; every yielded value goes out as
`yielded`, the generator's return value as `returned`, an exception as `errored` (the
exception object). `started` and `finished` are QThread's own: `finished` comes once the
thread has really ended, so nothing needs re-checking ``isRunning``. `cancel` sets the
abort event; the work checks it (between faces, between chunks) and returns early, so a
cancelled run still returns its summary.

Signals are emitted from the worker thread and delivered queued to main-thread slots.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator

from PySide6.QtCore import QObject, QThread, Signal


class GeneratorWorker(QThread):
    """Runs ``work(abort_event)`` (a generator function) off the UI thread."""

    yielded = Signal(object)
    returned = Signal(object)
    errored = Signal(object)  # the exception

    def __init__(
        self,
        work: Callable[[threading.Event], Generator[object, None, object]],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._work = work
        self.abort = threading.Event()

    def cancel(self) -> None:
        """Ask the work to stop (cooperative: at its next check, or the next yield)."""
        self.abort.set()

    def run(self) -> None:
        try:
            gen = self._work(self.abort)
            while True:
                try:
                    value = next(gen)
                except StopIteration as stop:
                    self.returned.emit(stop.value)
                    return
                self.yielded.emit(value)
        except Exception as exc:  # crosses the thread as an object, never crashes the app
            self.errored.emit(exc)
