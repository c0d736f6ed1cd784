from __future__ import annotations

import json
import time

import numpy as np
import pytest

from hybrid_rec.feedback import updater as upd
from hybrid_rec.feedback.events import FeedbackConfig
from hybrid_rec.feedback.log import EventLog
from hybrid_rec.feedback.updater import UpdaterConfig, apply_pending
from hybrid_rec.pipeline import HybridPipeline
from tests.feedback.conftest import matrix_total


def test_apply_publishes_every_event_once_and_records_the_offset(stream, store, make_log):
    """The feedback loop end to end, on each kind of event log (SQLite, PostgreSQL)."""
    _, events, base_total = stream
    with make_log() as log:
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


def test_real_guard_rejects_a_harmful_batch(stream, store, tmp_path):
    """No mocked guard: "before" is the old model's NDCG@10 on each user's held-out last positive,
    "after" the updated model's. The held-out item is the old model's own top-1 (before = 1 exactly);
    the rest of the batch buys each user the items the old model likes least for them, which drags
    their factors away, so the updated model loses the held-out items and the batch is refused."""
    pipeline, _, _ = stream
    gen = pipeline.generator
    users = np.arange(25)
    top1 = pipeline.recommend_internal(users, 1).items[:, 0]
    scores = gen.als.user_factors[users] @ gen.als.item_factors.T
    now = time.time() - 1000
    events = []
    for row, u in enumerate(users):
        worst = [i for i in np.argsort(scores[row]) if i != top1[row]][:15]
        for n, i in enumerate(worst):
            events.append(
                {
                    "event_id": f"bad-{u}-{n}",
                    "user_id": gen.users.ids[u],
                    "item_id": gen.items.ids[i],
                    "type": "purchase",
                    "timestamp": now + n,
                }
            )
        events.append(
            {
                "event_id": f"held-{u}",
                "user_id": gen.users.ids[u],
                "item_id": gen.items.ids[top1[row]],
                "type": "click",
                "timestamp": now + 100,
            }
        )
    with EventLog(tmp_path / "events.sqlite") as log:
        log.ingest(events, now=time.time())
        res = apply_pending(store, log, UpdaterConfig(guard_tolerance=0.05))
    assert res.guard is not None and res.guard["users"] == len(users)
    assert res.guard["before"] == pytest.approx(1.0)
    assert res.guard["after"] < 0.5, res.guard
    assert not res.published and res.reason.startswith("guard: held-out NDCG@10 fell from 1.0000")
    assert store.current().version == 1 and res.applied_offset == 0
    (line,) = (store.root / "rejections.jsonl").read_text().splitlines()
    assert json.loads(line)["to_offset"] == len(events)


@pytest.fixture()
def with_new_items(stream, store, tmp_path):
    """The store after a published batch in which 30 users buy "fresh-1" and 3 click "fresh-2",
    two items the model has never seen."""
    pipeline, _, _ = stream
    gen = pipeline.generator
    now = time.time() - 1000
    events = [
        {"event_id": f"f1-{u}", "user_id": gen.users.ids[u], "item_id": "fresh-1", "type": "purchase", "timestamp": now}
        for u in range(30)
    ] + [
        {"event_id": f"f2-{u}", "user_id": gen.users.ids[u], "item_id": "fresh-2", "type": "click", "timestamp": now}
        for u in range(25, 28)
    ]
    with EventLog(tmp_path / "events.sqlite") as log:
        log.ingest(events, now=time.time())
        assert apply_pending(store, log, UpdaterConfig(guard_tolerance=1.0)).published
    return HybridPipeline.load(store.current().path / "model")


def test_new_items_get_an_lm_token_at_once_and_survive_save_and_load(with_new_items):
    """Items first seen in feedback get item tokens when the update is applied (embeddings predicted
    from their catalog text; without a catalog row, the mean learned embedding): the LM scores them
    before any retraining, and the grown vocabulary is what was saved and loaded."""
    pipe = with_new_items
    fresh = pipe.generator.items.to_internal(["fresh-1", "fresh-2"])
    assert (fresh < pipe.reranker.tokenizer.n_items).all()
    assert pipe.reranker.tokenizer.n_items == len(pipe.generator.items)
    assert pipe.reranker.model.get_input_embeddings().weight.shape[0] == pipe.reranker.tokenizer.vocab_size
    user = 100  # bought neither
    features = pipe.generator.score_items(user, fresh)
    features["lm"] = pipe.reranker.score(np.array([user]), fresh[None, :])
    assert np.isfinite(features["lm"]).all() and np.isfinite(features["als"]).all()
    assert np.isfinite(pipe.fusion.transform(features, fresh[None, :])).all()
    assert np.isfinite(pipe.reranker.item_logprobs(np.array([user]))).all()  # full ranking covers them too


def test_rerank_explains_new_items(with_new_items):
    pipe = with_new_items
    recs = pipe.rerank(pipe.generator.users.ids[100], ["fresh-1", "fresh-2", "i0", "i1"])
    by_id = {r.item_id: r for r in recs}
    assert np.isfinite(by_id["fresh-1"].lm_score) and np.isfinite(by_id["fresh-1"].score)
    assert by_id["fresh-1"].item_text == "fresh-1"


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


def test_a_version_published_meanwhile_leaves_the_events_pending(stream, store, tmp_path):
    """Another writer (e.g. POST /items) publishes while a batch is applied: the batch is not published
    on top of a version it did not start from; its events stay pending and the next run applies them."""
    from hybrid_rec.store import ModelStore

    pipeline, _, _ = stream
    gen = pipeline.generator

    class Racing(ModelStore):
        def publish(self, save, meta, *, parent=None):  # type: ignore[no-untyped-def]
            ModelStore.publish(self, pipeline.save, {"applied_offset": 0, "by": "other"})
            return super().publish(save, meta, parent=parent)

    now = time.time() - 100
    events = [{"event_id": f"r{u}", "user_id": gen.users.ids[u], "item_id": gen.items.ids[1], "type": "click",
               "timestamp": now} for u in range(3)]  # fmt: skip
    with EventLog(tmp_path / "events.sqlite") as log:
        log.ingest(events, now=time.time())
        raced = apply_pending(Racing(store.root), log, UpdaterConfig(guard_tolerance=1.0))
        assert not raced.published and "stay pending" in raced.reason and raced.applied_offset == 0
        assert store.current().meta["by"] == "other"
        again = apply_pending(store, log, UpdaterConfig(guard_tolerance=1.0))
        assert again.published and again.applied_offset == 3 and store.current().meta["parent"] == raced.version
