"""`feedback apply` tells the caller what happened: a refused batch is exit 1, a second concurrent
apply is refused (exit 2), never a silent exit 0 or the same work done twice."""

from __future__ import annotations

import fcntl
import time

import pytest
from typer.testing import CliRunner

from hybrid_rec.cli import app
from hybrid_rec.errors import ConflictError
from hybrid_rec.feedback import updater as upd
from hybrid_rec.feedback.log import EventLog
from hybrid_rec.feedback.updater import UpdaterConfig, apply_pending

runner = CliRunner()


def _ingest(stream, store, n=30):
    pipeline, _, _ = stream
    gen = pipeline.generator
    now = time.time() - 100
    events = [{"event_id": f"g{u}", "user_id": gen.users.ids[u], "item_id": gen.items.ids[2], "type": "click",
               "timestamp": now} for u in range(n)]  # fmt: skip
    with EventLog(store.root / "events.sqlite") as log:
        log.ingest(events, now=time.time())


def test_a_guard_rejection_exits_1(stream, store, monkeypatch):
    _ingest(stream, store)
    scores = iter([0.5, 0.1])  # before, after: a clear drop
    monkeypatch.setattr(upd, "guard_ndcg", lambda *a, **k: next(scores))
    result = runner.invoke(app, ["feedback", "apply", "--model", str(store.root)])
    assert result.exit_code == 1 and "not published" in result.output
    assert store.current().version == 1


def test_a_second_concurrent_apply_is_refused(stream, store):
    _ingest(stream, store)
    with open(store.root / ".apply.lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another apply holds the store
        with EventLog(store.root / "events.sqlite") as log, pytest.raises(ConflictError, match="another"):
            apply_pending(store, log, UpdaterConfig(guard_tolerance=1.0))
        result = runner.invoke(app, ["feedback", "apply", "--model", str(store.root)])
        assert result.exit_code == 2 and "another `feedback apply` is running" in result.output
    with EventLog(store.root / "events.sqlite") as log:
        assert apply_pending(store, log, UpdaterConfig(guard_tolerance=1.0)).published  # lock released: works
