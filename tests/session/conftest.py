"""Close every session a test opened (its lock and SQLite connection) after the test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from facealign_gui.session.store import Session


@pytest.fixture(autouse=True)
def _close_sessions(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    opened: list[Session] = []
    real_init = Session.__init__

    def tracking_init(self: Session, *args: object, **kwargs: object) -> None:
        real_init(self, *args, **kwargs)  # type: ignore[arg-type]
        opened.append(self)

    monkeypatch.setattr(Session, "__init__", tracking_init)
    yield
    for s in opened:
        s.close()
