"""The event log on PostgreSQL (a real server) through every door: two serving workers' POST /feedback at once,
`hybrid-rec feedback ingest` and `apply` with --events; each event lands once and the loop publishes from it."""

from __future__ import annotations

import csv
import threading
import uuid

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from hybrid_rec.cli import app as cli_app
from hybrid_rec.feedback.logs import open_log
from hybrid_rec.serve import ServeConfig, create_app

psycopg = pytest.importorskip("psycopg", reason="the 'postgres' extra is not installed")


@pytest.fixture()
def events_url(postgres_server) -> str:  # type: ignore[no-untyped-def]
    name = "serve_" + uuid.uuid4().hex[:12]
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    return postgres_server.rsplit("/", 1)[0] + "/" + name


@pytest.fixture()
def store_dir(tiny_models, tmp_path):  # type: ignore[no-untyped-def]
    return tiny_models("stream").publish(tmp_path / "store").root


def test_two_workers_feedback_lands_once_each_in_postgres(store_dir, events_url, stream) -> None:  # type: ignore[no-untyped-def]
    _, events, _ = stream
    config = ServeConfig(events=events_url)
    workers = [TestClient(create_app(store_dir, config)) for _ in range(2)]
    halves = [events[: len(events) * 2 // 3], events[len(events) // 3 :]]  # overlapping: a retried batch
    answers: list[int] = []

    def post(client: TestClient, part: list[dict]) -> None:
        for start in range(0, len(part), 7):
            r = client.post("/feedback", json={"events": part[start : start + 7]})
            answers.append(r.status_code)

    threads = [threading.Thread(target=post, args=(w, h)) for w, h in zip(workers, halves, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(answers) == {200}
    with open_log(events_url, store_dir) as log:
        logged = log.read()
    assert sorted(e.event.event_id for e in logged) == sorted(e["event_id"] for e in events)
    assert [e.offset for e in logged] == list(range(1, len(events) + 1))
    assert not (store_dir / "events.sqlite").exists()  # nothing went to the store's own log


def test_the_cli_ingests_into_and_applies_from_postgres(store_dir, events_url, stream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _, events, _ = stream
    path = tmp_path / "events.csv"
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["event_id", "user_id", "item_id", "type", "timestamp"])
        writer.writeheader()
        writer.writerows({k: e[k] for k in writer.fieldnames} for e in events)
    runner = CliRunner()
    ingested = runner.invoke(cli_app, ["feedback", "ingest", str(path), "--model", str(store_dir), "--events", events_url])
    assert ingested.exit_code == 0, ingested.output
    assert f"accepted {len(events)}, duplicates ignored 0" in ingested.output
    applied = runner.invoke(cli_app, ["feedback", "apply", "--model", str(store_dir), "--events", events_url,
                                      "--guard-tolerance", "1.0"])  # fmt: skip
    assert applied.exit_code == 0, applied.output
    assert f"applied offset {len(events)}, version 2" in applied.output
    assert not (store_dir / "events.sqlite").exists()
    bad = runner.invoke(cli_app, ["feedback", "apply", "--model", str(store_dir), "--events", "mysql://x"])
    assert bad.exit_code == 2 and "not a PostgreSQL URL" in bad.output
