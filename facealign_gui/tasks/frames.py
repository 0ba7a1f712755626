"""Qt-free pieces of the live view: a captured frame, the one-frame mailbox between capture
and inference (newest frame wins), and a sliding-window rate meter."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np


@dataclass
class CapturedFrame:
    index: int  # position in the source (0, 1, 2, ...)
    captured_at: float  # time.monotonic() when read
    image: np.ndarray  # BGR uint8 (H, W, 3)


class LatestFrameSlot:
    """A one-item mailbox: `put` replaces what is waiting, `take` empties it.

    Thread-safe. ``dropped`` counts frames replaced before anyone took them.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: CapturedFrame | None = None
        self._closed = False
        self.put_count = 0
        self.dropped = 0

    def put(self, item: CapturedFrame) -> None:
        with self._cond:
            if self._item is not None:
                self.dropped += 1
            self._item = item
            self.put_count += 1
            self._cond.notify_all()

    def take(self, timeout: float) -> CapturedFrame | None:
        """The waiting frame, waiting up to ``timeout`` s; None if none came or closed."""
        with self._cond:
            self._cond.wait_for(lambda: self._item is not None or self._closed, timeout)
            item, self._item = self._item, None
            return item

    def close(self) -> None:
        """No more frames will come; wakes a waiting `take`."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def finished(self) -> bool:
        """Closed and nothing left to take."""
        with self._cond:
            return self._closed and self._item is None


class RateMeter:
    """Events per second over a sliding window of the last ``n`` event times."""

    def __init__(self, n: int = 30) -> None:
        self.n = n
        self.times: list[float] = []

    def tick(self, t: float | None = None) -> None:
        self.times.append(time.monotonic() if t is None else t)
        del self.times[: -self.n]

    @property
    def rate(self) -> float:
        if len(self.times) < 2 or self.times[-1] <= self.times[0]:
            return 0.0
        return (len(self.times) - 1) / (self.times[-1] - self.times[0])
