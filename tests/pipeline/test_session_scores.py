"""Session scores apart from CF scores: how close an item is to what the session reacted to is reported as
`session_scores` (liked_cf, passed_text, ...), never inside `cf_scores` (each CF source's own score)."""

from __future__ import annotations

import pytest

from hybrid_rec.pipeline import HybridPipeline
from hybrid_rec.pipeline.session_features import SESSION_FEATURES
from hybrid_rec.session import Session


@pytest.fixture(scope="module")
def pipe(tiny_store) -> HybridPipeline:
    return HybridPipeline.load(tiny_store)


def test_a_sessions_scores_are_reported_apart_from_the_cf_scores(pipe):
    assert pipe.fitted.session_fusion is not None, "the tiny store fits the session fusion"
    user = pipe.generator.users.ids[0]
    plain = pipe.recommend([user], 10)[0]
    assert all(r.session_scores == {} for r in plain)
    reacted = pipe.recommend([user], 10, session=Session(more_like=[plain[0].item_id], passed=[plain[1].item_id]))[0]
    assert all(not set(r.cf_scores) & set(SESSION_FEATURES) for r in reacted)
    assert all(set(r.session_scores) <= set(SESSION_FEATURES) for r in reacted)
    assert any("liked_cf" in r.session_scores and "passed_cf" in r.session_scores for r in reacted)
    assert {"als", "popularity"} <= set(reacted[0].cf_scores)  # the CF sources are still there
