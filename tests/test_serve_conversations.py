"""Conversations over REST: server-side state through rounds, reactions, commits, expiry and bounds."""

from __future__ import annotations

import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient

from hybrid_rec.feedback.log import EventLog
from hybrid_rec.pipeline.conversation import ConversationState
from hybrid_rec.serve import ServeConfig, create_app
from hybrid_rec.serve.conversations import MemoryConversations


@pytest.fixture()
def store_dir(tiny_models, tmp_path):
    return tiny_models("stream").publish(tmp_path / "store").root


@pytest.fixture()
def client(store_dir):
    config = ServeConfig(max_k=20, api_key="s3cret", max_conversation_rounds=3)
    return TestClient(create_app(store_dir, config), raise_server_exceptions=False)


def test_a_conversation_through_rounds_reactions_and_commit(client, store_dir):
    started = client.post("/conversations", json={"user_id": "u3"})
    assert started.status_code == 201, started.text
    cid = started.json()["conversation_id"]
    first = client.post(f"/conversations/{cid}/next", json={"k": 5}).json()
    shown = [i["item_id"] for i in first["items"]]
    assert first["round"] == 1 and len(shown) == 5
    fed = client.post(f"/conversations/{cid}/feedback", json={"clicked": [shown[0]], "rejected": [shown[1]]})
    assert fed.status_code == 200 and fed.json()["clicked"] == [shown[0]]
    second = client.post(f"/conversations/{cid}/next", json={"k": 5}).json()
    assert second["round"] == 2 and not set(shown) & {i["item_id"] for i in second["items"]}
    state = client.get(f"/conversations/{cid}").json()
    assert set(state["passed"]) == set(shown[2:]) and state["shown"][:5] == shown  # the rest of round 1 passed over
    assert state["expires_in_s"] > 0
    # committing needs write access, then writes the clicks to the event log once (ids are stable)
    no_key = client.post(f"/conversations/{cid}/feedback", json={"commit": True})
    assert no_key.status_code == 401
    done = client.post(f"/conversations/{cid}/feedback", json={"commit": True}, headers={"X-API-Key": "s3cret"})
    assert done.json()["committed"] == 2
    again = client.post(f"/conversations/{cid}/feedback", json={"commit": True}, headers={"X-API-Key": "s3cret"})
    assert again.json()["committed"] == 0
    with EventLog(store_dir / "events.sqlite") as log:
        events = log.read()
    assert [(e.event.user_id, e.event.item_id, e.event.type) for e in events] == [("u3", shown[0], "click"),
                                                                                   ("u3", shown[1], "dislike")]


def test_conversation_bad_input(client):
    assert client.post("/conversations", json={"user_id": "ghost"}).status_code == 404
    assert client.post("/conversations/nope/next", json={}).status_code == 404
    assert "POST /conversations" in client.post("/conversations/nope/feedback", json={}).json()["detail"]
    cid = client.post("/conversations", json={"user_id": "u3"}).json()["conversation_id"]
    assert client.post(f"/conversations/{cid}/next", json={"k": 500}).status_code == 422
    assert client.post(f"/conversations/{cid}/feedback", json={"clicked": ["not-an-item"]}).status_code == 404
    assert client.get(f"/conversations/{cid}").json()["clicked"] == []  # nothing recorded
    for _ in range(3):
        assert client.post(f"/conversations/{cid}/next", json={"k": 2}).status_code == 200
    limit = client.post(f"/conversations/{cid}/next", json={"k": 2})
    assert limit.status_code == 422 and "3 rounds" in limit.json()["detail"][0]["msg"]
    assert client.post(f"/conversations/{cid}/end").status_code == 204
    assert client.get(f"/conversations/{cid}").status_code == 404


def test_the_store_expires_and_bounds_conversations():
    now = [0.0]
    store = MemoryConversations(max_count=2, ttl_s=10.0, clock=lambda: now[0])
    a, b = store.add(ConversationState("u1")), store.add(ConversationState("u2"))
    now[0] = 5.0
    store.read(a)  # renews a
    c = store.add(ConversationState("u3"))  # beyond 2: the least recently used (b) goes
    with pytest.raises(HTTPException) as gone:
        store.read(b)
    assert gone.value.status_code == 404
    assert store.read(c).user_id == "u3"
    now[0] = 14.0  # a was used at 5: still alive; c at 5 too
    assert len(store) == 2
    now[0] = 16.0
    assert len(store) == 0
