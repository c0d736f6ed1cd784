"""Batch reranking: many users' candidate lists scored together give each list as `rerank` gives it
alone (the one scoring path, batched; the same order, scores within float32 rounding of a batched
LM pass)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hybrid_rec.api import HybridRecommender
from hybrid_rec.errors import ConfigError, DataError
from hybrid_rec.pipeline import HybridPipeline


@pytest.fixture(scope="module")
def pipe(tiny_store) -> HybridPipeline:
    return HybridPipeline.load(tiny_store)


def _lists(pipe: HybridPipeline) -> list[tuple[object, list[object]]]:
    """Lists of different lengths: recommend's own, shuffled ones, an unknown item and user, an empty one."""
    rng = np.random.default_rng(0)
    ids = pipe.generator.items.ids
    out: list[tuple[object, list[object]]] = []
    for n, user in enumerate(pipe.generator.users.ids[:9]):
        out.append((user, list(rng.choice(ids, 3 + 2 * n, replace=False))))
    out.append(("nobody", list(ids[:6])))
    out.append((pipe.generator.users.ids[0], [*ids[10:14], "not-an-item"]))
    out.append((pipe.generator.users.ids[1], ["not-an-item"]))
    return out


def _same(alone, batched) -> None:
    assert [r.item_id for r in batched] == [r.item_id for r in alone]
    # the LM reads a batch of prompts in one padded pass: float32 rounding, nothing else, may differ
    np.testing.assert_allclose([r.score for r in batched], [r.score for r in alone], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose([r.lm_score for r in batched], [r.lm_score for r in alone], rtol=1e-5, atol=1e-5)
    assert [r.reasons for r in batched] == [r.reasons for r in alone]
    assert [r.sources for r in batched] == [r.sources for r in alone]


@pytest.mark.parametrize("k", [None, 4])
@pytest.mark.parametrize("request_text", [None, "a comedy movie"])
def test_batched_lists_are_each_what_rerank_gives(pipe, k, request_text):
    lists = _lists(pipe)
    batched = pipe.rerank_many(lists, k, request=request_text, on_unknown_items="fallback", batch_users=5)
    assert len(batched) == len(lists)
    for (user, items), got in zip(lists, batched, strict=True):
        _same(pipe.rerank(user, items, k, request=request_text, on_unknown_items="fallback"), got)


def test_the_python_api_takes_a_frame_of_pairs(pipe):
    rec = HybridRecommender(pipe.config)
    rec.pipeline = pipe
    lists = _lists(pipe)[:4]
    frame = pd.DataFrame([(u, i) for u, items in lists for i in items], columns=["user_id", "item_id"])
    got = rec.rerank_many(frame.sample(frac=1.0, random_state=0), request="a comedy movie", exclude_seen=False)
    assert got.attrs["request_reading"]["understood"]
    for user, items in lists:  # each user's rows, best first, as rerank ranks them
        mine = got[got["user_id"] == user]
        assert mine["rank"].tolist() == list(range(1, len(items) + 1))
        assert set(mine["item_id"]) == set(items)
        alone = rec.rerank(user, list(mine["item_id"]), request="a comedy movie", exclude_seen=False)
        assert alone["item_id"].tolist() == mine["item_id"].tolist()
    with pytest.raises(DataError, match="user_id and item_id"):
        rec.rerank_many(frame.rename(columns={"item_id": "sku"}))
    with pytest.raises(ConfigError, match="batch_users"):
        pipe.rerank_many(lists, batch_users=0)
