"""Request tokens: the newest request wins, and invalidating drops every older one."""

from __future__ import annotations

import threading

from facealign_gui.tasks.tokens import RequestTokens


def test_only_the_newest_token_is_current() -> None:
    t = RequestTokens()
    a = t.issue()
    assert t.is_current(a)
    b = t.issue()
    assert not t.is_current(a) and t.is_current(b)
    assert t.latest == b


def test_invalidating_makes_the_last_request_stale_too() -> None:
    t = RequestTokens()
    a = t.issue()
    t.invalidate()
    assert not t.is_current(a)


def test_tokens_issued_from_many_threads_are_all_distinct() -> None:
    t = RequestTokens()
    got: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        mine = [t.issue() for _ in range(500)]
        with lock:
            got.extend(mine)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(set(got)) == 2000 and t.latest == 2000
