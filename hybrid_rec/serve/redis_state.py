"""`RedisConversations`: conversation state shared by every worker and replica through one Redis.

Each conversation is one string key holding its state as JSON (`ConversationState.to_json`), expired by
Redis after ``ttl_s`` unused (every call renews it); a sorted set of ids by last use keeps the count bound
(beyond ``max_count`` the least recently used are deleted). A call that changes a conversation holds a
Redis lock on it (`redis.lock.Lock`: a token, released only by its holder, expiring if the holder dies),
so concurrent calls on one conversation, from any process, run one after the other and none is lost.
Redis unreachable: a 503 that says so (conversations only; /recommend and /rerank need no state).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from fastapi import HTTPException

from hybrid_rec._extras import require
from hybrid_rec.pipeline.conversation import ConversationState
from hybrid_rec.serve.conversations import unknown

__all__ = ["RedisConversations"]

_PREFIX = "hybrid_rec:conversation:"
_INDEX = "hybrid_rec:conversations"  # sorted set: id -> last use (seconds)


def _shown(url: str) -> str:
    """`url` without its password (for messages)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class RedisConversations:
    """Conversations by id in Redis at `url` (``redis://HOST:PORT/DB``); `lock_s`: the longest one call may hold a
    conversation (its lock expires after that if the process holding it died), and how long another waits for it."""

    def __init__(self, url: str, max_count: int, ttl_s: float, lock_s: float = 30.0, timeout_s: float = 2.0) -> None:
        require("redis", "redis", "--state redis://...")
        import redis

        self.max_count, self.ttl_s, self.lock_s, self.url = max_count, ttl_s, lock_s, _shown(url)
        self._redis = redis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)
        self._down = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
        self._lock_error = redis.exceptions.LockError

    @contextmanager
    def _reachable(self) -> Iterator[None]:
        try:
            yield
        except self._down as e:
            raise HTTPException(
                503,
                f"the conversation store {self.url} is unreachable ({e}); conversations are unavailable until it is "
                "back, while /recommend and /rerank keep answering",
            ) from e

    def _ttl_ms(self) -> int:
        return max(1, int(self.ttl_s * 1000))

    def __len__(self) -> int:
        with self._reachable():
            self._redis.zremrangebyscore(_INDEX, "-inf", time.time() - self.ttl_s)
            return int(self._redis.zcard(_INDEX))

    def add(self, state: ConversationState) -> str:
        key = secrets.token_urlsafe(16)
        now = time.time()
        with self._reachable():
            pipe = self._redis.pipeline()
            pipe.set(_PREFIX + key, state.to_json(), px=self._ttl_ms())
            pipe.zadd(_INDEX, {key: now})
            pipe.zremrangebyscore(_INDEX, "-inf", now - self.ttl_s)  # expired by Redis already
            pipe.zcard(_INDEX)
            count = pipe.execute()[-1]
            if count > self.max_count:  # the least recently used beyond the bound
                popped: Any = self._redis.zpopmin(_INDEX, count - self.max_count)
                oldest = [k.decode() for k, _ in popped]
                if key in oldest:  # never the one just added (several added in the same instant)
                    self._redis.zadd(_INDEX, {key: now})
                    oldest.remove(key)
                if oldest:
                    self._redis.delete(*(_PREFIX + k for k in oldest))
        return key

    def _load(self, key: str) -> ConversationState:
        """The state of `key`, its age renewed (a 404 when gone)."""
        pipe = self._redis.pipeline()
        pipe.get(_PREFIX + key)
        pipe.pexpire(_PREFIX + key, self._ttl_ms())
        raw: Any = pipe.execute()[0]
        if raw is None:
            self._redis.zrem(_INDEX, key)
            raise unknown(key, self, f"in the conversation store {self.url}")
        self._redis.zadd(_INDEX, {key: time.time()})
        return ConversationState.from_json(raw)

    def read(self, key: str) -> ConversationState:
        with self._reachable():
            return self._load(key)

    @contextmanager
    def change(self, key: str) -> Iterator[ConversationState]:
        with self._reachable():
            lock = self._redis.lock(_PREFIX + key + ":lock", timeout=self.lock_s, blocking_timeout=self.lock_s)
            if not lock.acquire():
                raise HTTPException(503, f"conversation {key!r} is busy: another call has held it {self.lock_s:.0f} s")
        try:
            with self._reachable():
                state = self._load(key)
            yield state
            with self._reachable():
                # kept only while it exists (a conversation dropped meanwhile stays dropped)
                self._redis.set(_PREFIX + key, state.to_json(), px=self._ttl_ms(), xx=True)
        finally:
            try:
                with self._reachable():
                    lock.release()
            except (self._lock_error, HTTPException):
                pass  # expired (held past lock_s) or Redis gone: the lock expires on its own

    def expires_in(self, key: str) -> float:
        with self._reachable():
            ms = int(self._redis.pttl(_PREFIX + key))
        return max(0.0, ms / 1000.0)

    def drop(self, key: str) -> bool:
        with self._reachable():
            pipe = self._redis.pipeline()
            pipe.delete(_PREFIX + key)
            pipe.zrem(_INDEX, key)
            return bool(pipe.execute()[0])
