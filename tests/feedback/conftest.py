from __future__ import annotations

import uuid
from collections.abc import Callable

import numpy as np
import pytest

from hybrid_rec.feedback.log import EventLog, EventStore
from hybrid_rec.feedback.logs import open_log
from hybrid_rec.store import ModelStore


@pytest.fixture()
def store(tiny_models, tmp_path) -> ModelStore:
    """A model store whose version 1 is the `stream` fixture's model (trained on the first 80%)."""
    return tiny_models("stream").publish(tmp_path / "store")


def matrix_total(store: ModelStore) -> float:
    return float(np.load(store.current().path / "model" / "candidates" / "als" / "als.npz")["data"].sum())


@pytest.fixture(params=["sqlite", "postgres"])
def make_log(request, tmp_path) -> Callable[..., EventStore]:  # type: ignore[no-untyped-def]
    """Opens one event log, of each kind in turn: SQLite in `tmp_path`, or a fresh database of a real PostgreSQL
    server (`tests.servers`); every call opens a new connection to the same log."""
    if request.param == "sqlite":
        return lambda **kw: EventLog(tmp_path / "events.sqlite", **kw)
    pytest.importorskip("psycopg", reason="the 'postgres' extra is not installed")
    import psycopg

    server = request.getfixturevalue("postgres_server")
    name = "log_" + uuid.uuid4().hex[:12]
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    url = server.rsplit("/", 1)[0] + "/" + name
    return lambda **kw: open_log(url, tmp_path, **kw)
