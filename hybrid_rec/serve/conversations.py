"""Server-side conversation state behind one small interface, bounded in count, size and age.

Each conversation is a `ConversationState` (external ids only) under a random id. A store holds at
most ``max_conversations`` (the least recently used is dropped beyond that), drops one unused for
``conversation_ttl_s`` and lets one run ``max_conversation_rounds`` lists; a call that changes a
conversation holds it alone (`ConversationStore.change`: two calls on one conversation run one after
the other) and its change is kept only when the call succeeds. A model reload keeps conversations:
they hold ids, and each call asks the model served at that moment.

- `MemoryConversations` (the default): in this process's memory. A restart or another worker process
  answers 404 for a conversation it never saw; the client starts a new one (its reactions are then lost
  unless committed to the event log).
- `RedisConversations` (`serve.redis_state`, ``--state redis://HOST:PORT/DB``): shared by every worker and
  replica that names the same Redis, so a conversation continues on any of them; kept as JSON, expired
  by Redis.
"""

from __future__ import annotations

import copy
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

from fastapi import HTTPException

from hybrid_rec.pipeline.conversation import ConversationState

__all__ = ["ConversationStore", "MemoryConversations", "unknown"]


class ConversationStore(Protocol):
    """Where conversations live between calls."""

    max_count: int
    ttl_s: float

    def add(self, state: ConversationState) -> str:
        """Hold `state` under a new id (dropping the least recently used beyond `max_count`)."""
        ...

    def read(self, key: str) -> ConversationState:
        """A copy of conversation `key`'s state (its age renewed), or a 404 naming what to do."""
        ...

    def change(self, key: str) -> AbstractContextManager[ConversationState]:
        """Conversation `key`'s state to change, held alone until the block ends; kept only when it ends
        without an exception (a 404 when unknown)."""
        ...

    def expires_in(self, key: str) -> float:
        """Seconds until conversation `key` expires unused (0: gone)."""
        ...

    def drop(self, key: str) -> bool:
        """Forget conversation `key`; whether it was held."""
        ...

    def __len__(self) -> int: ...


def unknown(key: str, store: ConversationStore, where: str) -> HTTPException:
    """The 404 for a conversation `store` does not hold (`where`: who holds conversations)."""
    return HTTPException(
        404,
        f"conversation {key!r} is unknown or expired (a conversation lives {store.ttl_s:.0f} s after its last use, "
        f"at most {store.max_count} at once, {where}); start a new one with POST /conversations",
    )


class MemoryConversations:
    """Conversations by id in this process: LRU-bounded, expiring, thread-safe; `clock` is injectable for tests."""

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
        key = secrets.token_urlsafe(16)
        with self._lock:
            self._expire()
            self._items[key] = (copy.deepcopy(state), self._clock(), threading.Lock())
            while len(self._items) > self.max_count:
                self._items.popitem(last=False)
        return key

    def _get(self, key: str) -> tuple[ConversationState, threading.Lock]:
        with self._lock:
            self._expire()
            got = self._items.pop(key, None)
            if got is None:
                raise unknown(key, self, "in one server process")
            self._items[key] = (got[0], self._clock(), got[2])
            return got[0], got[2]

    def read(self, key: str) -> ConversationState:
        return copy.deepcopy(self._get(key)[0])  # a finished change's state (a change in progress edits a copy)

    @contextmanager
    def change(self, key: str) -> Iterator[ConversationState]:
        _, lock = self._get(key)
        with lock:
            draft = copy.deepcopy(self._get(key)[0])  # the state now: another change may have ended meanwhile
            yield draft
            with self._lock:
                if key in self._items:  # not dropped meanwhile
                    _, used, held = self._items[key]
                    self._items[key] = (draft, used, held)

    def expires_in(self, key: str) -> float:
        with self._lock:
            got = self._items.get(key)
            return 0.0 if got is None else max(0.0, self.ttl_s - (self._clock() - got[1]))

    def drop(self, key: str) -> bool:
        with self._lock:
            return self._items.pop(key, None) is not None
