"""Conversation state behind one interface: the in-memory store and Redis (a real server), the same contract;
a conversation continues on another worker through Redis; Redis unreachable is a 503 for conversations only."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient

from hybrid_rec.pipeline.conversation import ConversationState
from hybrid_rec.serve import ServeConfig, create_app
from hybrid_rec.serve.conversations import ConversationStore, MemoryConversations
from hybrid_rec.serve.state import open_store
from tests.servers import free_port

pytest.importorskip("redis", reason="the 'redis' extra is not installed")


@pytest.fixture(params=["memory", "redis"])
def make_store(request):  # type: ignore[no-untyped-def]
    """A factory of stores of one kind: every store it makes shares its conversations (two workers' stores)."""
    if request.param == "memory":
        shared: list[MemoryConversations] = []

        def memory(max_count: int = 100, ttl_s: float = 60.0) -> ConversationStore:
            if not shared:
                shared.append(MemoryConversations(max_count, ttl_s))
            return shared[0]

        return memory
    url = request.getfixturevalue("redis_server")
    import redis

    redis.Redis.from_url(url).flushdb()
    return lambda max_count=100, ttl_s=60.0: open_store(url, max_count, ttl_s)


def test_state_round_trips_as_json() -> None:
    state = ConversationState(np.int64(3), "jazz", 2, shown=[np.int64(5), "a"], logged=[(np.int64(5), "click", 1.5)])
    again = ConversationState.from_json(state.to_json())
    assert again == ConversationState(3, "jazz", 2, shown=[5, "a"], logged=[(5, "click", 1.5)])
    assert isinstance(again.logged[0], tuple) and isinstance(again.user_id, int)


def test_a_change_is_kept_only_when_the_call_succeeds(make_store) -> None:  # type: ignore[no-untyped-def]
    store = make_store()
    key = store.add(ConversationState("u1", "jazz"))
    with store.change(key) as state:
        state.shown += ["i1", "i2"]
        state.rounds += 1
    with pytest.raises(RuntimeError), store.change(key) as state:
        state.shown.append("i3")
        raise RuntimeError("the call failed")
    kept = store.read(key)
    assert (kept.shown, kept.rounds, kept.request) == (["i1", "i2"], 1, "jazz")
    kept.shown.append("not stored")  # a read is a copy
    assert store.read(key).shown == ["i1", "i2"]


def test_the_count_bound_drops_the_least_recently_used(make_store) -> None:  # type: ignore[no-untyped-def]
    store = make_store(max_count=2)
    a, b = store.add(ConversationState("u1")), store.add(ConversationState("u2"))
    store.read(a)  # a is used after b
    c = store.add(ConversationState("u3"))
    with pytest.raises(HTTPException) as gone:
        store.read(b)
    assert gone.value.status_code == 404 and "POST /conversations" in gone.value.detail
    assert store.read(a).user_id == "u1" and store.read(c).user_id == "u3" and len(store) == 2
    assert store.drop(a) and not store.drop(a) and len(store) == 1


def test_redis_expires_an_unused_conversation(redis_server) -> None:  # type: ignore[no-untyped-def]
    store = open_store(redis_server, 10, ttl_s=0.2)
    key = store.add(ConversationState("u1"))
    assert 0 < store.expires_in(key) <= 0.2
    time.sleep(0.5)
    with pytest.raises(HTTPException) as gone:
        store.read(key)
    assert gone.value.status_code == 404 and store.expires_in(key) == 0.0


def test_concurrent_changes_from_two_workers_are_serialized(make_store) -> None:  # type: ignore[no-untyped-def]
    """Two workers' stores change one conversation 25 times each at once: all 50 changes are kept."""
    first, second = make_store(), make_store()
    key = first.add(ConversationState("u1"))

    def work(store: ConversationStore, tag: str) -> None:
        for n in range(25):
            with store.change(key) as state:
                shown = list(state.shown)
                time.sleep(0.001)  # widen the window a lost update would need
                state.shown = [*shown, f"{tag}{n}"]

    threads = [threading.Thread(target=work, args=(s, t)) for s, t in ((first, "a"), (second, "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(second.read(key).shown) == sorted([f"a{n}" for n in range(25)] + [f"b{n}" for n in range(25)])


@pytest.fixture()
def store_dir(tiny_models, tmp_path):  # type: ignore[no-untyped-def]
    return tiny_models("stream").publish(tmp_path / "store").root


def test_a_conversation_continues_on_another_worker_through_redis(store_dir, redis_server) -> None:  # type: ignore[no-untyped-def]
    config = ServeConfig(max_k=20, state=redis_server)
    one, two = (TestClient(create_app(store_dir, config), raise_server_exceptions=False) for _ in range(2))
    cid = one.post("/conversations", json={"user_id": "u3"}).json()["conversation_id"]
    first = one.post(f"/conversations/{cid}/next", json={"k": 5}).json()
    shown = [i["item_id"] for i in first["items"]]
    fed = two.post(f"/conversations/{cid}/feedback", json={"clicked": [shown[0]]})
    assert fed.status_code == 200 and fed.json()["clicked"] == [shown[0]]
    second = two.post(f"/conversations/{cid}/next", json={"k": 5}).json()
    assert second["round"] == 2 and not set(shown) & {i["item_id"] for i in second["items"]}
    assert one.get(f"/conversations/{cid}").json()["shown"][:5] == shown
    assert one.post(f"/conversations/{cid}/end").status_code == 204
    assert two.get(f"/conversations/{cid}").status_code == 404


def test_redis_unreachable_is_a_503_for_conversations_only(store_dir) -> None:  # type: ignore[no-untyped-def]
    config = ServeConfig(max_k=20, state=f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    client = TestClient(create_app(store_dir, config), raise_server_exceptions=False)
    down = client.post("/conversations", json={"user_id": "u3"})
    assert down.status_code == 503 and "unreachable" in down.json()["detail"]
    assert client.post("/conversations/abc/next", json={"k": 5}).status_code == 503
    assert client.post("/recommend", json={"user_id": "u3", "k": 5}).status_code == 200
