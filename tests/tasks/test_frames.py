"""The live view's mailbox (newest frame wins) and its rate meter, without Qt."""

from __future__ import annotations

import threading

import numpy as np

from facealign_gui.tasks.frames import CapturedFrame, LatestFrameSlot, RateMeter


def frame(i: int) -> CapturedFrame:
    return CapturedFrame(i, float(i), np.zeros((2, 2, 3), np.uint8))


def test_the_slot_keeps_only_the_newest_frame_and_counts_the_dropped() -> None:
    slot = LatestFrameSlot()
    for i in range(3):
        slot.put(frame(i))
    assert slot.take(0.0).index == 2
    assert slot.dropped == 2 and slot.put_count == 3
    assert slot.take(0.0) is None


def test_closing_wakes_a_waiting_take_and_finishes_the_slot() -> None:
    slot = LatestFrameSlot()
    got: list[object] = []
    t = threading.Thread(target=lambda: got.append(slot.take(5.0)))
    t.start()
    slot.close()
    t.join(2.0)
    assert got == [None] and slot.finished


def test_the_rate_is_events_per_second_over_the_window() -> None:
    m = RateMeter(n=5)
    for t in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6):
        m.tick(t)
    assert m.times == [0.2, 0.3, 0.4, 0.5, 0.6]
    assert abs(m.rate - 10.0) < 1e-9
    assert RateMeter().rate == 0.0
