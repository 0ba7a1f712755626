"""The one staleness rule: a request token per kind of request; the newest request wins.

Every request takes ``token = tokens.issue()``; its result is used only when
``tokens.is_current(token)`` still holds when the result arrives. Issuing a new token (a new
request, or `invalidate` when the dataset changes) makes every older result stale. Tokens are
plain integers so they cross threads inside result objects; `issue` and `is_current` are safe
to call from any thread.
"""

from __future__ import annotations

import threading


class RequestTokens:
    """Monotonic request tokens of one kind of request (see the module docstring)."""

    def __init__(self) -> None:
        self._latest = 0
        self._lock = threading.Lock()

    def issue(self) -> int:
        """A new token; every token issued before it is now stale."""
        with self._lock:
            self._latest += 1
            return self._latest

    def invalidate(self) -> None:
        """Make every issued token stale without starting a request."""
        self.issue()

    @property
    def latest(self) -> int:
        return self._latest

    def is_current(self, token: int) -> bool:
        """True when no newer token was issued (or invalidated) since ``token``."""
        return token == self._latest
