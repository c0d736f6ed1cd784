from __future__ import annotations

import time

import numpy as np
import pytest

from hybrid_rec.feedback import updater as upd
from hybrid_rec.feedback.events import FeedbackConfig
from hybrid_rec.feedback.log import EventLog
from hybrid_rec.feedback.updater import UpdaterConfig, apply_pending
from hybrid_rec.pipeline import HybridPipeline
from tests.feedback.conftest import matrix_total


def test_apply_publishes_every_event_once_and_records_the_offset(stream, store, tmp_path):
    _, events, base_total = stream
    with EventLog(tmp_path / "events.sqlite") as log:
        log.ingest(events, now=time.time())
        res = apply_pending(store, log, UpdaterConfig(guard_tolerance=1.0))
        assert res.published and res.version == 2 and res.applied_offset == log.last_offset()
        assert res.guard is not None and res.guard["users"] >= 20
        conf = FeedbackConfig()
        expected = base_total + sum(1.0 * conf.confidence[e["type"]] for e in events)
        assert matrix_total(store) == pytest.approx(expected, rel=1e-6)
        assert store.current().meta["applied_offset"] == log.last_offset()
        again = apply_pending(store, log)
        assert not again.published and again.reason == "no pending events" and store.current().version == 2
    pipe = HybridPipeline.load(store.current().path / "model")
    recs = pipe.recommend(["stranger"], 3)[0]
    assert len(recs) == 3 and "i1" not in {r.item_id for r in recs}


def test_guard_refuses_a_worse_model(stream, store, tmp_path, monkeypatch):
    _, events, _ = stream
    scores = iter([0.5, 0.1])
    monkeypatch.setattr(upd, "guard_ndcg", lambda *a, **k: next(scores))
    with EventLog(tmp_path / "events.sqlite") as log:
        log.ingest(events, now=time.time())
        res = apply_pending(store, log, UpdaterConfig(guard_tolerance=0.05))
    assert not res.published and "fell from 0.5000 to 0.1000" in res.reason
    assert store.current().version == 1 and res.applied_offset == 0
    assert "fell from" in (store.root / "rejections.jsonl").read_text()


def test_dislike_removes_an_earlier_positive(stream, store, tmp_path):
    pipeline, _, _ = stream
    gen = pipeline.generator
    u = 0
    item = int(gen.als.user_items[u].indices[0])
    user_id, item_id = gen.users.ids[u], gen.items.ids[item]
    with EventLog(tmp_path / "events.sqlite") as log:
        log.ingest(
            [
                {
                    "event_id": "d1",
                    "user_id": user_id,
                    "item_id": item_id,
                    "type": "dislike",
                    "timestamp": time.time() - 10,
                }
            ]
        )
        res = apply_pending(store, log)
    assert res.published
    after = HybridPipeline.load(store.current().path / "model").generator.als.user_items
    assert after[u, item] == 0 and item not in after[u].indices


def test_finetune_mode_publishes(stream, store, tmp_path):
    _, events, _ = stream
    with EventLog(tmp_path / "events.sqlite") as log:
        log.ingest(events[:200], now=time.time())
        res = apply_pending(store, log, UpdaterConfig(finetune=True, guard_tolerance=1.0, replay_windows=16))
    assert res.published
    old = HybridPipeline.load(store.root / "versions" / "v000001" / "model").reranker.model.state_dict()
    new = HybridPipeline.load(store.current().path / "model").reranker.model.state_dict()
    assert any(not np.allclose(old[k].numpy(), new[k].numpy()) for k in old)
