"""Where a service keeps its conversations (`open_store`): this process's memory (`conversations.MemoryConversations`)
or a Redis every worker and replica shares (`redis_state.RedisConversations`), behind the one
`conversations.ConversationStore` interface. Its own module, so that neither store imports the other."""

from __future__ import annotations

from hybrid_rec.serve.conversations import ConversationStore, MemoryConversations

__all__ = ["open_store"]


def open_store(url: str | None, max_count: int, ttl_s: float) -> ConversationStore:
    """The store `url` names: None for this process's memory, ``redis://HOST:PORT/DB`` (or ``rediss://``) for a
    Redis shared by every worker and replica."""
    if url is None:
        return MemoryConversations(max_count, ttl_s)
    from hybrid_rec.serve.redis_state import RedisConversations

    return RedisConversations(url, max_count, ttl_s)
