"""The REST service under stress: reloads during load, versions that fail to load, streamed bodies,
hostile text, a busy event log, and conformance to its own OpenAPI schema (schemathesis)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from hybrid_rec.cli import app as cli_app
from hybrid_rec.errors import DataError
from hybrid_rec.feedback.log import EventLog
from hybrid_rec.pipeline import HybridPipeline
from hybrid_rec.serve import ServeConfig, create_app, openapi_schema
from hybrid_rec.store import ModelStore

WAIT = 120.0  # a ceiling for background loads that should take well under a second; never a measurement


@pytest.fixture()
def store_dir(tiny_models, tmp_path):
    """A model store whose version 1 is the `stream` fixture's model."""
    return tiny_models("stream").publish(tmp_path / "store").root


def _client(store_dir: Path, **config: object) -> TestClient:
    return TestClient(create_app(store_dir, ServeConfig.model_validate(config)), raise_server_exceptions=False)


def _post_raw(client: TestClient, path: str, body: object) -> object:
    """POST `body` as ASCII JSON (escapes kept: a lone surrogate travels as "\\ud800")."""
    return client.post(path, content=json.dumps(body), headers={"content-type": "application/json"})


def _truncated_save(pipeline: HybridPipeline):
    """A `save` that leaves the LM weights cut in half: a version that cannot be loaded."""

    def save(directory: Path) -> None:
        pipeline.save(directory)
        weights = directory / "reranker" / "model" / "model.safetensors"
        weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])

    return save


class _LoadSpy:
    """Wraps `HybridPipeline.load`: counts loads per directory and the most that ran at once."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, gate: threading.Event | None = None) -> None:
        self.original = HybridPipeline.load.__func__  # type: ignore[attr-defined]
        self.lock = threading.Lock()
        self.active = self.most = 0
        self.calls: list[str] = []
        self.gate = gate
        monkeypatch.setattr(HybridPipeline, "load", classmethod(self._load))

    def _load(self, cls: type[HybridPipeline], directory: str | Path) -> HybridPipeline:
        with self.lock:
            self.active += 1
            self.most = max(self.most, self.active)
            self.calls.append(str(directory))
        try:
            if self.gate is not None:
                assert self.gate.wait(WAIT), "the test never opened the gate"
            return self.original(cls, directory)
        finally:
            with self.lock:
                self.active -= 1


def _resolve_spy(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Records every `resolve_model` call: each load of the holder starts with one, also for a
    version that fails before `HybridPipeline.load` is reached (a missing version, a bad CURRENT)."""
    from hybrid_rec import store

    calls: list[Path] = []
    real = store.resolve_model

    def resolve(path: str | Path) -> tuple[Path, str, dict[str, object]]:
        calls.append(Path(path))
        return real(path)

    monkeypatch.setattr(store, "resolve_model", resolve)
    return calls


# ---------------------------------------------------------------------------------------- reloads


def test_publishing_under_concurrent_load_never_fails_a_request(store_dir, stream, monkeypatch):
    """20 publishes while 8 clients hammer /recommend and /rerank: no 5xx, every answer from a
    complete model of a published version, loads one at a time and at most once per version."""
    pipeline, _, _ = stream
    client = _client(store_dir)
    spy = _LoadSpy(monkeypatch)
    stop = threading.Event()
    answers: list[tuple[str, int, dict]] = []
    lock = threading.Lock()

    def hammer(n: int) -> None:
        while not stop.is_set():
            if n % 2:
                r = client.post("/recommend", json={"user_id": "u3", "k": 5})
            else:
                r = client.post("/rerank", json={"user_id": "u3", "item_ids": ["i1", "i2", "i9", "nope"]})
            with lock:
                answers.append((r.request.url.path, r.status_code, r.json() if r.status_code == 200 else {}))

    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(hammer, n) for n in range(8)]
        try:
            for n in range(20):
                ModelStore(store_dir).publish(pipeline.save, {"applied_offset": n + 1})
                client.get("/health")  # notices the new CURRENT like any request
            assert client.app.state.holder.wait_loaded(WAIT)
        finally:
            stop.set()
        for f in futures:
            f.result()
    statuses = [s for _, s, _ in answers]
    assert len(answers) >= 8 and set(statuses) == {200}, sorted(set(statuses))
    published = {f"v{v}" for v in range(1, 22)}
    for path, _, body in answers:
        assert body["version"] in published
        if path == "/recommend":
            assert [i["rank"] for i in body["items"]] == [1, 2, 3, 4, 5]
        else:
            assert sorted(i["item_id"] for i in body["items"]) == ["i1", "i2", "i9"]
    assert client.get("/version").json()["version"] == "v21" and client.get("/health").json()["status"] == "ok"
    assert spy.most == 1, "two loads ran at once"
    assert len(spy.calls) == len(set(spy.calls)) <= 20, "a version was loaded twice"


def test_requests_are_answered_by_the_old_model_while_the_new_one_loads(store_dir, stream, monkeypatch):
    pipeline, _, _ = stream
    client = _client(store_dir)
    gate = threading.Event()
    spy = _LoadSpy(monkeypatch, gate)
    ModelStore(store_dir).publish(pipeline.save, {"applied_offset": 5})
    with ThreadPoolExecutor(1) as pool:  # on the request path, this request would wait for the gate
        during = pool.submit(client.post, "/recommend", json={"user_id": "u3", "k": 3}).result(timeout=WAIT)
    assert during.status_code == 200 and during.json()["version"] == "v1"
    assert client.get("/version").json()["version"] == "v1"
    gate.set()
    assert client.app.state.holder.wait_loaded(WAIT)
    assert client.post("/recommend", json={"user_id": "u3", "k": 3}).json()["version"] == "v2"
    assert len(spy.calls) == 1


def test_concurrent_checkpoint_loads_never_leave_meta_tensors(store_dir):
    """transformers' from_pretrained is not thread-safe: load_pretrained runs one at a time."""
    from hybrid_rec.rerank.model import load_pretrained

    checkpoint = ModelStore(store_dir).current().path / "model" / "reranker" / "model"
    start = threading.Barrier(8)

    def load(_: int):
        start.wait()
        return load_pretrained(checkpoint)

    with ThreadPoolExecutor(8) as pool:
        models = list(pool.map(load, range(8)))
    assert not [name for m in models for name, p in m.named_parameters() if p.is_meta]
    first = models[0].state_dict()
    assert all(all(v.equal(first[k]) for k, v in m.state_dict().items()) for m in models[1:])


def _break_current(store_dir: Path, stream, how: str) -> str:
    """Make the store's live version unloadable; returns the failed version as /version names it."""
    pipeline, _, _ = stream
    if how == "truncated files":
        ModelStore(store_dir).publish(_truncated_save(pipeline), {"applied_offset": 3})
        return "v2"
    if how == "missing version":
        (store_dir / "CURRENT").write_text("99")
        return "v99"
    (store_dir / "CURRENT").write_text("not-a-number")
    return "'not-a-number'"


@pytest.mark.parametrize("how", ["truncated files", "missing version", "non-numeric CURRENT"])
def test_a_version_that_fails_to_load_keeps_the_old_model_serving(store_dir, stream, monkeypatch, how):
    """The old model keeps answering, /health says degraded, /version names both versions, the bad
    version is tried once; a good publish afterwards recovers."""
    pipeline, _, _ = stream
    client = _client(store_dir)
    resolved = _resolve_spy(monkeypatch)
    failed = _break_current(store_dir, stream, how)
    assert client.app.state.holder.wait_loaded(WAIT)
    for _ in range(5):
        r = client.post("/recommend", json={"user_id": "u3", "k": 3})
        assert r.status_code == 200 and r.json()["version"] == "v1"
    health = client.get("/health")
    assert health.status_code == 200 and health.json()["status"] == "degraded"
    assert failed in health.json()["error"] and "serving v1" in health.json()["error"]
    version = client.get("/version").json()
    assert version["version"] == "v1" and version["failed_version"] == failed and version["error"]
    assert len(resolved) == 1, f"the failed version was tried {len(resolved)} times"  # not by every request
    if how != "truncated files":
        (store_dir / "CURRENT").write_text("1")
    ModelStore(store_dir).publish(pipeline.save, {"applied_offset": 4})
    assert client.app.state.holder.wait_loaded(WAIT)
    assert client.get("/health").json()["status"] == "ok"
    assert client.get("/version").json()["failed_version"] is None


def test_serve_refuses_to_start_on_a_store_it_cannot_load(store_dir, stream):
    """A one-line `error:` from the CLI (no traceback), a DataError from create_app."""
    (store_dir / "CURRENT").write_text("not-a-number")
    result = CliRunner().invoke(cli_app, ["serve", "--model", str(store_dir)])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ") and len(result.output.strip().splitlines()) == 1, result.output
    assert "Traceback" not in result.output
    pipeline, _, _ = stream
    ModelStore(store_dir).publish(_truncated_save(pipeline), {})
    with pytest.raises(DataError, match="cannot load the live model version v"):
        create_app(store_dir)


# ----------------------------------------------------------------------------------- body size


def test_a_chunked_body_over_the_limit_is_a_413(store_dir):
    client = _client(store_dir, max_body_bytes=10_000)

    def chunks():
        yield b'{"user_id": "'
        for _ in range(50):
            yield b"x" * 1_000
        yield b'"}'

    r = client.post("/recommend", content=chunks(), headers={"content-type": "application/json"})
    assert "content-length" not in r.request.headers
    assert r.status_code == 413 and "10000 bytes" in r.json()["detail"]
    small = client.post("/recommend", content=iter([b'{"user_id": "u3",', b' "k": 2}']),
                        headers={"content-type": "application/json"})  # fmt: skip
    assert small.status_code == 200 and len(small.json()["items"]) == 2


def test_the_body_limit_stops_reading_a_stream_at_the_limit(store_dir):
    """Driven at the ASGI level: the server pulls no more chunks than the limit needs."""
    app = create_app(store_dir, ServeConfig(max_body_bytes=5_000))
    pulled = 0
    sent: list[dict] = []

    async def receive() -> dict:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": b"x" * 1_000, "more_body": pulled < 100}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": "/recommend", "raw_path": b"/recommend", "root_path": "",
             "query_string": b"", "headers": [(b"content-type", b"application/json")],
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}  # fmt: skip
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 413 and pulled <= 6


# ------------------------------------------------------------------------------ hostile input


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/recommend", {"user_id": "u3", "request": "a comedy \ud800"}),
        ("/recommend", {"user_id": "\ud800"}),
        ("/rerank", {"user_id": "u3", "item_ids": ["i1", "\udfff"]}),
        ("/rerank", {"user_id": "u3", "item_ids": ["i1"], "request": "\ud800"}),
        (
            "/feedback",
            {"events": [{"event_id": "\ud800", "user_id": "u1", "item_id": "i1", "type": "click", "timestamp": 1.0}]},
        ),
        ("/items", {"items": [{"item_id": "n1", "fields": {"title": "\ud800"}}]}),
    ],
)
def test_a_lone_surrogate_is_a_422_at_validation(store_dir, path, body):
    r = _post_raw(_client(store_dir), path, body)
    assert r.status_code == 422, r.text
    assert "unicode" in r.json()["detail"][0]["msg"].lower()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/recommend", {"user_id": "x" * 257}),
        ("/rerank", {"user_id": "u3", "item_ids": ["i1", "y" * 257]}),
        ("/recommend", {"user_id": "u3", "exclude_items": ["z" * 257]}),
        (
            "/feedback",
            {"events": [{"event_id": "e1", "user_id": "u1", "item_id": "i" * 257, "type": "click", "timestamp": 1.0}]},
        ),
        ("/recommend", {"user_id": 2**53}),  # beyond what JSON clients read exactly: send it as text
        ("/recommend", {"user_id": ""}),
    ],
)
def test_ids_longer_than_256_characters_are_a_422(store_dir, path, body):
    r = _client(store_dir).post(path, json=body)
    assert r.status_code == 422, r.text


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/recommend", {"user_id": "u3", "k": True}),
        ("/recommend", {"user_id": True}),
        ("/rerank", {"user_id": "u3", "item_ids": ["i1"], "k": "2"}),
        (
            "/feedback",
            {
                "events": [
                    {"event_id": "t1", "user_id": "u1", "item_id": "i1", "type": "click", "timestamp": "1700000000"}
                ]
            },
        ),
        (
            "/feedback",
            {
                "events": [
                    {
                        "event_id": "t1",
                        "user_id": "u1",
                        "item_id": "i1",
                        "type": "click",
                        "timestamp": 1.0,
                        "weight": False,
                    }
                ]
            },
        ),
    ],
)
def test_json_values_of_the_wrong_type_are_a_422_not_coerced(store_dir, path, body):
    """The schema says integer / number: true and "2" are refused, as schemathesis checks."""
    r = _client(store_dir).post(path, json=body)
    assert r.status_code == 422, r.text


def test_duplicate_candidates_are_a_422_even_when_unknown(store_dir):
    client = _client(store_dir)
    for ids in (["nope", "nope"], ["i1", "i1"]):
        r = client.post("/rerank", json={"user_id": "u3", "item_ids": ids})
        assert r.status_code == 422 and "unique" in r.json()["detail"][0]["msg"], r.text
    assert client.post("/rerank", json={"user_id": "u3", "item_ids": ["1", 1]}).status_code == 200  # distinct in JSON


def test_rerank_with_only_unknown_candidates_is_an_empty_200(store_dir):
    client = _client(store_dir)
    for body in (
        {"user_id": "u3", "item_ids": ["nope", "never"]},
        {"user_id": "u3", "item_ids": ["nope"], "k": 1, "request": "a comedy"},
        {"item_ids": [0], "user_id": 0},  # integers for a string-keyed model
        {"item_ids": [0, 1], "user_id": "u3", "exclude_items": [0]},
    ):
        r = client.post("/rerank", json=body)
        assert r.status_code == 200 and r.json()["items"] == [], (body, r.text)
    r = client.post("/recommend", json={"user_id": 0})
    assert r.status_code == 404 and "numpy" not in r.text and "dtype" not in r.text


def test_a_busy_event_log_is_a_503_and_nothing_is_ingested(store_dir):
    client = _client(store_dir, feedback_busy_s=0.05)
    event = {"event_id": "b1", "user_id": "u1", "item_id": "i2", "type": "click", "timestamp": time.time() - 5}
    with EventLog(store_dir / "events.sqlite"):
        pass  # the log exists
    other = sqlite3.connect(store_dir / "events.sqlite", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        busy = client.post("/feedback", json={"events": [event]})
        assert busy.status_code == 503 and "busy" in busy.json()["detail"], busy.text
        assert busy.headers["retry-after"] == "1"
    finally:
        other.execute("ROLLBACK")
        other.close()
    ok = client.post("/feedback", json={"events": [event]})
    assert ok.status_code == 200 and ok.json()["accepted"] == 1


def test_the_api_key_is_compared_in_constant_time(store_dir, monkeypatch):
    import hmac

    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)  # what the routes call
    client = _client(store_dir, api_key="s3cret")
    body = {"events": [{"event_id": "k1", "user_id": "u1", "item_id": "i2", "type": "click", "timestamp": 1.0}]}
    assert client.post("/feedback", json=body, headers={"X-API-Key": "wrong"}).status_code == 401
    assert client.post("/feedback", json=body).status_code == 401
    assert client.post("/feedback", json=body, headers={"X-API-Key": "s3cret"}).status_code == 200
    assert compared == [(b"wrong", b"s3cret"), (b"s3cret", b"s3cret")]


# ----------------------------------------------------------------------------------- OpenAPI


def test_422_bodies_have_the_documented_validation_error_shape(store_dir):
    client = _client(store_dir, max_k=5, max_candidates=2, max_events=1)
    now = time.time() - 5
    event = {"event_id": "s1", "user_id": "u1", "item_id": "i2", "type": "click", "timestamp": now}
    for path, body in (
        ("/recommend", {"user_id": "u3", "k": 6}),  # a server limit
        ("/recommend", {"user_id": "u3", "request": "x" * 500}),
        ("/rerank", {"user_id": "u3", "item_ids": ["i1", "i2", "i3"]}),
        ("/rerank", {"user_id": "u3", "item_ids": ["i1", "i1"]}),  # the model's own validation
        ("/feedback", {"events": [event, {**event, "event_id": "s2"}]}),
        ("/items", {"items": [{"item_id": "x", "fields": {"plot": "..."}}]}),
        ("/recommend", {"user_id": "u3", "k": 0}),  # pydantic's
    ):
        r = client.post(path, json=body)
        assert r.status_code == 422, (path, body, r.text)
        detail = r.json()["detail"]
        assert isinstance(detail, list) and detail, r.text
        assert all(set(e) == {"loc", "msg", "type"} and e["loc"][0] == "body" for e in detail), r.text


def test_every_status_a_route_returns_is_documented(store_dir):
    client = _client(store_dir, max_k=7, max_candidates=9, max_events=11, max_items=13, max_request_chars=15)
    schema = client.get("/openapi.json").json()
    for model in schema["components"]["schemas"].values():  # the served catalog's example requests aside (/catalog)
        model.get("properties", {}).get("request", {}).pop("examples", None)
    assert schema == openapi_schema(client.app.state.config)  # what the contract test checks is what is served
    documented = {path: set(ops["post"]["responses"]) for path, ops in schema["paths"].items() if "post" in ops}
    assert documented == {
        "/recommend": {"200", "400", "404", "413", "422", "503"},
        "/rerank": {"200", "400", "404", "413", "422", "503"},
        "/rerank/batch": {"200", "400", "404", "413", "422", "503"},
        "/feedback": {"200", "400", "401", "413", "422", "503"},
        "/items": {"200", "400", "401", "409", "413", "422", "503"},
        "/conversations": {"201", "400", "404", "413", "422"},
        "/conversations/{conversation_id}/next": {"200", "400", "404", "413", "422", "503"},
        "/conversations/{conversation_id}/feedback": {"200", "400", "401", "404", "413", "422", "503"},
        "/conversations/{conversation_id}/end": {"204", "404", "422"},
    }
    error = schema["paths"]["/feedback"]["post"]["responses"]["503"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/ErrorBody"}
    not_utf8 = client.post("/recommend", content=b'{"user_id": "\xff"}', headers={"content-type": "application/json"})
    assert not_utf8.status_code == 400 and isinstance(not_utf8.json()["detail"], str)
    models = schema["components"]["schemas"]
    assert models["RecommendRequest"]["properties"]["k"]["maximum"] == 7
    assert models["RecommendRequest"]["properties"]["request"]["anyOf"][0]["maxLength"] == 15
    assert models["RerankRequest"]["properties"]["item_ids"]["maxItems"] == 9
    assert models["UserCandidates"]["properties"]["item_ids"]["maxItems"] == 9
    assert models["RerankBatchRequest"]["properties"]["k"]["anyOf"][0]["maximum"] == 7
    assert models["FeedbackRequest"]["properties"]["events"]["maxItems"] == 11
    assert models["ItemsRequest"]["properties"]["items"]["maxItems"] == 13
    assert models["ConversationNext"]["properties"]["k"]["maximum"] == 7


# --------------------------------------------------------------------------- schemathesis

import schemathesis  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

KEY = "s3cret"


# schemathesis's fixture-based (lazy) loader fails under pytest 9.2 (it sets Node._nodeid, gone
# since): the schema is the published one, built without a model; the app comes from a fixture.
# One widened expectation: POST /items may answer a schema-valid body with 422, because which
# catalog fields and which id type (text or integer) are right is the served model's, not the schema's.
CONFORMANCE = ServeConfig(max_k=20, max_candidates=50, max_events=20, max_items=5, api_key=KEY)
conformance = schemathesis.openapi.from_dict(
    openapi_schema(CONFORMANCE),
    config=schemathesis.Config.from_dict(
        {
            "operations": [
                {
                    "include-path": "/items",
                    "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "401", "404", "409", "422"]}},
                }
            ]
        }
    ),
)


@pytest.fixture()
def conformance_app(store_dir):
    return create_app(store_dir, CONFORMANCE)


@conformance.parametrize()
@settings(max_examples=25, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_conforms_to_its_openapi_schema(case, conformance_app):
    """Every documented operation, with all of schemathesis's checks: no 5xx, only documented
    statuses, bodies that match their documented schemas (errors included)."""
    case.call_and_validate(app=conformance_app, headers={"X-API-Key": KEY})
