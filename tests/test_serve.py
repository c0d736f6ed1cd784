from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from hybrid_rec.errors import ConfigError, DataError, UnknownIdError
from hybrid_rec.feedback.log import EventLog
from hybrid_rec.pipeline import HybridPipeline
from hybrid_rec.serve import ServeConfig, create_app
from hybrid_rec.store import ModelStore, resolve_model


@pytest.fixture()
def store_dir(tiny_models, tmp_path):
    """A model store whose version 1 is the `stream` fixture's model."""
    return tiny_models("stream").publish(tmp_path / "store").root


@pytest.fixture()
def client(store_dir):
    return TestClient(
        create_app(store_dir, ServeConfig(max_k=20, max_candidates=50, api_key="s3cret")), raise_server_exceptions=False
    )


def test_health_version_recommend_rerank(client):
    assert client.get("/health").json()["status"] == "ok"
    assert client.get("/version").json()["version"] == "v1"
    rec = client.post("/recommend", json={"user_id": "u3", "k": 5}).json()
    assert [i["rank"] for i in rec["items"]] == [1, 2, 3, 4, 5] and rec["version"] == "v1"
    rr = client.post("/rerank", json={"user_id": "u3", "item_ids": ["i1", "i2", "i9", "nope"], "k": 2}).json()
    assert len(rr["items"]) == 2 and {i["item_id"] for i in rr["items"]} <= {"i1", "i2", "i9"}
    assert client.get("/openapi.json").status_code == 200


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/recommend", {"user_id": "ghost"}, 404),
        ("/recommend", {"user_id": "u1", "k": 0}, 422),
        ("/recommend", {"user_id": "u1", "k": 10_000}, 422),
        ("/recommend", {"user_id": "u1", "extra": 1}, 422),
        ("/recommend", {"user_id": ["a", "list"]}, 422),
        ("/recommend", {"user_id": "u1", "request": "x" * 5000}, 422),
        ("/recommend", {"user_id": "u1", "on_unknown": "guess"}, 422),
        ("/rerank", {"user_id": "u1", "item_ids": []}, 422),
        ("/rerank", {"user_id": "u1", "item_ids": [f"i{i}" for i in range(60)]}, 422),
        ("/rerank", {"user_id": "u1", "item_ids": ["i1", "i1"]}, 422),
        ("/rerank", {"user_id": "u1", "item_ids": ["nope"], "on_unknown_items": "raise"}, 404),
    ],
)
def test_bad_input_is_a_4xx_with_a_message(client, path, body, status):
    response = client.post(path, json=body)
    assert response.status_code == status, response.text
    assert response.json()["detail"]


def test_malformed_bodies(client):
    assert (
        client.post("/recommend", content=b"{not json", headers={"content-type": "application/json"}).status_code == 422
    )
    big = b'{"user_id": "' + b"x" * 3_000_000 + b'"}'
    assert client.post("/recommend", content=big, headers={"content-type": "application/json"}).status_code == 413


def test_feedback_needs_the_key_and_lands_in_the_log(client, store_dir):
    event = {"event_id": "e1", "user_id": "u1", "item_id": "i2", "type": "click", "timestamp": time.time() - 5}
    assert client.post("/feedback", json={"events": [event]}).status_code == 401
    ok = client.post(
        "/feedback",
        json={"events": [event, {**event, "event_id": "e2", "type": "bogus"}]},
        headers={"X-API-Key": "s3cret"},
    )
    assert ok.status_code == 200 and ok.json()["accepted"] == 1 and ok.json()["quarantined"] == 1
    with EventLog(store_dir / "events.sqlite") as log:
        assert [e.event.event_id for e in log.read()] == ["e1"]


def test_max_events_per_feedback_call(store_dir):
    client = TestClient(create_app(store_dir, ServeConfig(max_events=2)), raise_server_exceptions=False)
    now = time.time() - 5
    events = [
        {"event_id": f"m{n}", "user_id": "u1", "item_id": "i2", "type": "click", "timestamp": now} for n in range(3)
    ]
    over = client.post("/feedback", json={"events": events})
    assert over.status_code == 422 and over.json()["detail"][0]["msg"] == "at most 2 events per request"
    with EventLog(store_dir / "events.sqlite") as log:
        assert log.count() == 0  # refused as a whole, nothing ingested
    ok = client.post("/feedback", json={"events": events[:2]})
    assert ok.status_code == 200 and ok.json()["accepted"] == 2


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (ValueError("an internal bug"), 500),
        (IndexError("an internal bug"), 500),
        (DataError("bad candidate list"), 422),
        (ConfigError("bad option"), 422),
        (UnknownIdError("user 'x' is unknown"), 404),
    ],
)
def test_only_client_error_types_become_4xx(client, monkeypatch, error, status):
    """A plain ValueError from inside the library is a bug (500), not the client's fault (422)."""

    def broken(self, *args, **kwargs):
        raise error

    monkeypatch.setattr(HybridPipeline, "recommend", broken)
    monkeypatch.setattr(HybridPipeline, "rerank", broken)
    assert client.post("/recommend", json={"user_id": "u3", "k": 2}).status_code == status
    assert client.post("/rerank", json={"user_id": "u3", "item_ids": ["i1"]}).status_code == status


def test_a_new_snapshot_is_picked_up_without_restart(client, store_dir, stream):
    pipeline, _, _ = stream
    assert client.get("/version").json()["version"] == "v1"
    ModelStore(store_dir).publish(pipeline.save, {"applied_offset": 7})
    assert client.app.state.holder.wait_loaded(120)  # the new version loads in the background
    assert client.get("/version").json() == {**client.get("/version").json(), "version": "v2", "applied_offset": 7}
    assert client.post("/recommend", json={"user_id": "u3", "k": 3}).json()["version"] == "v2"


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
KEYS = st.sampled_from(
    [
        "user_id",
        "k",
        "request",
        "on_unknown",
        "item_ids",
        "on_unknown_items",
        "events",
        "event_id",
        "item_id",
        "type",
        "timestamp",
        "weight",
        "junk",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(["/recommend", "/rerank", "/feedback"]), body=st.dictionaries(KEYS, VALUES, max_size=5))
def test_fuzzed_bodies_never_cause_a_500(client, path, body):
    response = client.post(path, json=body, headers={"X-API-Key": "s3cret"})
    assert response.status_code < 500, (body, response.text)


IDS = st.sampled_from(["u1", "u2", "ghost", "", "i1", "i3", 7, -1, "0"]) | st.text(max_size=6)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    user=IDS,
    k=st.integers(-3, 200),
    items=st.lists(IDS, max_size=8),
    request=st.none() | st.text(max_size=40),
    policy=st.sampled_from(["skip", "raise", "last", "popularity", "x"]),
)
def test_well_formed_but_odd_requests_never_cause_a_500(client, user, k, items, request, policy):
    for path, body in (
        ("/recommend", {"user_id": user, "k": k, "request": request, "on_unknown": policy}),
        ("/rerank", {"user_id": user, "item_ids": items, "k": k, "request": request, "on_unknown_items": policy}),
    ):
        response = client.post(path, json=body)
        assert response.status_code < 500, (path, body, response.text)


def test_session_fields_through_rest(client):
    plain = client.post("/recommend", json={"user_id": "u3", "k": 6}).json()["items"]
    first, second = plain[0]["item_id"], plain[1]["item_id"]
    body = {"user_id": "u3", "k": 6, "recent_items": [first], "exclude_items": [second, "nope"]}
    got = client.post("/recommend", json=body).json()["items"]
    assert len(got) == 6 and not {first, second} & {i["item_id"] for i in got}
    rr = client.post("/rerank", json={"user_id": "u3", "item_ids": [i["item_id"] for i in plain], "exclude_items": [first]})
    assert first not in {i["item_id"] for i in rr.json()["items"]} and len(rr.json()["items"]) == 5
    steered = client.post("/recommend", json={"user_id": "u3", "k": 6, "less_like": [first]})
    assert steered.status_code == 200
    too_many = client.post("/recommend", json={"user_id": "u3", "more_like": ["i1"] * 51})
    assert too_many.status_code == 422
    schema = client.get("/openapi.json").json()["components"]["schemas"]["RecommendRequest"]["properties"]
    assert all(schema[f].get("description") for f in ("recent_items", "exclude_items", "more_like", "less_like"))


def test_old_policy_names_get_the_rename_hint(client):
    for path, body in (
        ("/recommend", {"user_id": "u3", "on_unknown": "popularity"}),
        ("/rerank", {"user_id": "u3", "item_ids": ["i1"], "on_unknown_items": "last"}),
    ):
        response = client.post(path, json=body)
        assert response.status_code == 422 and "now called 'fallback'" in response.text, response.text


def test_items_are_published_and_recommendable_at_once(client, store_dir, tmp_path):
    """POST /items: a new store version in which the new item has a CF vector and an LM token from
    its text; the applied event offset carries over; bad fields are a 422, a plain model a 409."""
    item = {"item_id": "brand-new", "fields": {"title": "Brand new", "year": "2024", "genres": ["comedy"]}}
    assert client.post("/items", json={"items": [item]}).status_code == 401
    ok = client.post("/items", json={"items": [item]}, headers={"X-API-Key": "s3cret"})
    assert ok.status_code == 200, ok.text
    assert ok.json() == {"added": ["brand-new"], "described": 1, "version": "v2"}
    snap = ModelStore(store_dir).current()
    assert snap.meta["parent"] == 1 and snap.meta["applied_offset"] == 0 and snap.meta["items_added"] == 1
    rr = client.post("/rerank", json={"user_id": "u3", "item_ids": ["brand-new", "i1"]}).json()
    new = next(i for i in rr["items"] if i["item_id"] == "brand-new")
    assert rr["version"] == "v2" and new["lm_score"] is not None and new["cf_scores"]["als"] is not None
    assert new["item_text"] == "Brand new (2024); comedy"
    bad = client.post("/items", json={"items": [{"item_id": "x", "fields": {"plot": "..."}}]},
                      headers={"X-API-Key": "s3cret"})  # fmt: skip
    assert bad.status_code == 422 and "plot" in bad.json()["detail"][0]["msg"]
    twice = client.post("/items", json={"items": [item, item]}, headers={"X-API-Key": "s3cret"})
    assert twice.status_code == 422 and ModelStore(store_dir).current().version == 2
    HybridPipeline.load(snap.path / "model").save(tmp_path / "plain")
    plain = TestClient(create_app(tmp_path / "plain"), raise_server_exceptions=False)
    assert plain.post("/items", json={"items": [item]}).status_code == 409


def test_a_publish_from_a_stale_version_is_refused_and_nothing_is_lost(store_dir, stream):
    """Compare-and-swap: two writers derive from v1; the second to publish gets a ConflictError, and
    `publish_items` retries on top of the newer version, so both changes survive."""
    import pandas as pd

    from hybrid_rec.errors import ConflictError
    from hybrid_rec.feedback.updater import publish_items

    store = ModelStore(store_dir)
    pipeline, _, _ = stream
    store.publish(pipeline.save, {"applied_offset": 7}, parent=1)  # v2, from v1
    with pytest.raises(ConflictError, match="v000002 was published after v000001"):
        store.publish(pipeline.save, {"applied_offset": 0}, parent=1)
    rows = pd.DataFrame({"title": ["A new one"], "year": ["2024"], "genres": [("comedy",)]}, index=["n1"])
    added, version = publish_items(store, rows)
    assert added == ["n1"] and version == 3 and store.current().meta["applied_offset"] == 7


def test_publish_items_retries_on_top_of_a_version_published_meanwhile(store_dir, stream):
    import pandas as pd

    from hybrid_rec.feedback.updater import publish_items

    pipeline, _, _ = stream

    class Racing(ModelStore):
        """A store in which another writer publishes (offset 9) just before our first publish."""

        raced = False

        def publish(self, save, meta, *, parent=None):  # type: ignore[no-untyped-def]
            if not self.raced:
                self.raced = True
                super().publish(pipeline.save, {"applied_offset": 9}, parent=parent)
            return super().publish(save, meta, parent=parent)

    store = Racing(store_dir)
    rows = pd.DataFrame({"title": ["Raced"], "year": ["2024"], "genres": [("comedy",)]}, index=["r1"])
    added, version = publish_items(store, rows)
    live = store.current()
    assert added == ["r1"] and version == 3 and live.meta["parent"] == 2 and live.meta["applied_offset"] == 9
    assert "r1" in set(HybridPipeline.load(live.path / "model").generator.items.ids)


def test_rerank_batch_answers_each_list_as_rerank_does_in_their_order(client):
    lists = [{"user_id": "u3", "item_ids": ["i1", "i2", "i9", "nope"], "request": "a comedy"},
             {"user_id": "u7", "item_ids": ["i4", "i1", "i8"]},
             {"user_id": "nobody", "item_ids": ["i2", "i5"]}]  # fmt: skip
    batch = client.post("/rerank/batch", json={"lists": lists, "k": 2})
    assert batch.status_code == 200, batch.text
    body = batch.json()
    assert body["version"] == "v1" and [one["user_id"] for one in body["lists"]] == ["u3", "u7", "nobody"]
    for one, got in zip(lists, body["lists"], strict=True):
        alone = client.post("/rerank", json={**one, "k": 2}).json()
        assert [i["item_id"] for i in got["items"]] == [i["item_id"] for i in alone["items"]]
        assert [i["reasons"] for i in got["items"]] == [i["reasons"] for i in alone["items"]]
        # one padded LM pass for the batch: the same scores up to float rounding
        assert [i["score"] for i in got["items"]] == pytest.approx([i["score"] for i in alone["items"]], rel=1e-5)
        assert got["request_reading"] == alone["request_reading"]


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"lists": [{"user_id": "u1", "item_ids": [f"i{i}" for i in range(60)]}]}, "lists[0].item_ids"),
        ({"lists": [{"user_id": "u1", "item_ids": ["i1"]}] * 4}, "lists"),
        ({"lists": [{"user_id": "u1", "item_ids": ["i1"]}], "k": 21}, "k"),
    ],
)
def test_rerank_batch_limits_are_422s_naming_the_field(store_dir, body, where):
    client = TestClient(create_app(store_dir, ServeConfig(max_k=20, max_candidates=50, max_rerank_users=3)),
                        raise_server_exceptions=False)  # fmt: skip
    r = client.post("/rerank/batch", json=body)
    assert r.status_code == 422 and where in r.text, r.text
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    assert schema["RerankBatchRequest"]["properties"]["lists"]["maxItems"] == 3


def test_a_loaded_version_is_warmed_up_before_it_is_served(store_dir, monkeypatch):
    """The first request must not build the scorer, the request parser or the encoder (a 15 s stall
    under load, measured): the loader warms the pipeline before swapping it in."""
    warmed = []
    real = HybridPipeline.warm_up

    def spy(self):
        warmed.append(self)
        return real(self)

    monkeypatch.setattr(HybridPipeline, "warm_up", spy)
    client = TestClient(create_app(store_dir, ServeConfig()), raise_server_exceptions=False)
    assert client.post("/recommend", json={"user_id": "u3", "k": 2}).status_code == 200
    assert len(warmed) == 1 and client.app.state.holder.pipeline is warmed[0]


def test_rerank_names_what_it_left_out_and_keeps_seen_items_on_request(client, store_dir):
    pipe = HybridPipeline.load(resolve_model(store_dir)[0])
    seen = list(pipe.generator.items.ids[pipe.fitted.seen(pipe.generator.users.to_internal(["u3"]))[0].indices])
    unseen = [i for i in pipe.generator.items.ids if i not in set(seen)]
    given = [seen[0], unseen[0], "nope", unseen[1]]
    body = client.post("/rerank", json={"user_id": "u3", "item_ids": given}).json()
    assert {i["item_id"] for i in body["items"]} == {unseen[0], unseen[1]}
    assert body["left_out"] == [{"item_id": seen[0], "reason": "seen"}, {"item_id": "nope", "reason": "unknown"}]
    kept = client.post("/rerank", json={"user_id": "u3", "item_ids": given, "exclude_seen": False}).json()
    assert {i["item_id"] for i in kept["items"]} == {seen[0], unseen[0], unseen[1]}
    assert kept["left_out"] == [{"item_id": "nope", "reason": "unknown"}]
    batch = client.post("/rerank/batch", json={"lists": [{"user_id": "u3", "item_ids": given}]}).json()
    assert batch["lists"][0]["left_out"] == body["left_out"]
    assert client.post("/rerank", json={"user_id": "u3", "item_ids": given, "exclude_seen": "no"}).status_code == 422


def test_validation_messages_are_in_words(client):
    """No validator internals in `loc`, an id's two alternatives said once, a missing Content-Type named, a schema's
    types enforced as written (`commit: 0` is not a boolean), and expiry in tenths of a second."""
    no_type = client.post("/recommend", content=b'{"user_id": "u3"}').json()["detail"]
    assert no_type == [{"loc": ["body"], "type": "model_attributes_type",
                        "msg": "the body must be a JSON object sent with the header Content-Type: application/json"}]  # fmt: skip
    listed = client.post("/recommend", json={"user_id": ["a", "b"]}).json()["detail"]
    assert listed == [{"loc": ["body", "user_id"], "msg": "Input should be a valid string or a valid integer",
                       "type": "string_type"}]  # fmt: skip
    started = client.post("/conversations", json={"user_id": "u3"}).json()
    assert started["expires_in_s"] == round(started["expires_in_s"], 1)
    feedback = client.post(f"/conversations/{started['conversation_id']}/feedback", json={"commit": 0},
                           headers={"X-API-Key": "s3cret"})  # fmt: skip
    assert feedback.status_code == 422 and feedback.json()["detail"][0]["loc"] == ["body", "commit"]


def test_session_scores_are_their_own_field(client):
    body = client.post("/recommend", json={"user_id": "u3", "k": 5, "more_like": ["i1"]}).json()
    assert body["items"] and all(not any(k.startswith(("liked_", "passed_", "disliked_")) for k in i["cf_scores"])
                                 for i in body["items"])  # fmt: skip
    assert any("liked_cf" in i["session_scores"] for i in body["items"])
    plain = client.post("/recommend", json={"user_id": "u3", "k": 5}).json()
    assert all(i["session_scores"] == {} for i in plain["items"])
