"""Server-side conversation state, bounded in count, size and age.

Each conversation is a `ConversationState` (external ids only) under a random id. The store holds at
most ``max_conversations`` (the least recently used is dropped beyond that), drops one unused for
``conversation_ttl_s`` and lets one run ``max_conversation_rounds`` lists. State lives in the
process's memory: a restart, another worker process, or a dropped conversation answers 404, and the
client starts a new one (its reactions are then lost unless committed to the event log). A model
reload keeps conversations: they hold ids, and each call asks the model served at that moment.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from fastapi import HTTPException

from hybrid_rec.pipeline.conversation import ConversationState

__all__ = ["ConversationStore"]


class ConversationStore:
    """Conversations by id: LRU-bounded, expiring, thread-safe; `clock` is injectable for tests."""

    def __init__(self, max_count: int, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_count, self.ttl_s, self._clock = max_count, ttl_s, clock
        self._items: OrderedDict[str, tuple[ConversationState, float, threading.Lock]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            self._expire()
            return len(self._items)

    def _expire(self) -> None:
        now = self._clock()
        while self._items:
            key, (_, used, _) = next(iter(self._items.items()))
            if now - used < self.ttl_s:
                break
            del self._items[key]

    def add(self, state: ConversationState) -> str:
        """Hold `state` under a new id (dropping the least recently used beyond `max_count`)."""
        key = secrets.token_urlsafe(16)
        with self._lock:
            self._expire()
            self._items[key] = (state, self._clock(), threading.Lock())
            while len(self._items) > self.max_count:
                self._items.popitem(last=False)
        return key

    def get(self, key: str) -> tuple[ConversationState, threading.Lock]:
        """The state of conversation `key` (its age renewed) and the lock a call holds while it changes
        it (two calls on one conversation run one after the other), or a 404 naming what to do."""
        with self._lock:
            self._expire()
            got = self._items.pop(key, None)
            if got is None:
                raise HTTPException(
                    404,
                    f"conversation {key!r} is unknown or expired (a conversation lives {self.ttl_s:.0f} s after its "
                    f"last use, at most {self.max_count} at once, in one server process); start a new one with "
                    "POST /conversations",
                )
            self._items[key] = (got[0], self._clock(), got[2])
            return got[0], got[2]

    def expires_in(self, key: str) -> float:
        with self._lock:
            got = self._items.get(key)
            return 0.0 if got is None else max(0.0, self.ttl_s - (self._clock() - got[1]))

    def drop(self, key: str) -> bool:
        with self._lock:
            return self._items.pop(key, None) is not None
