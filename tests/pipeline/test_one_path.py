"""One scoring path: reranking what `recommend` proposed returns the same list, order and scores.

Every user of the shared tiny model, plain, with a request, with a session (recent, excluded and
"more like" items) and as a user the model does not know: `rerank(u, ids of recommend(u, k))` must
give `recommend(u, k)` back exactly, because an item's features and fused score depend on the user,
the request, the session and the item alone, never on which other candidates are in the list.
"""

from __future__ import annotations

import numpy as np
import pytest

from hybrid_rec.pipeline import HybridPipeline
from hybrid_rec.session import Session


@pytest.fixture(scope="module", params=["linear", "lightgbm"])
def pipe(request, tiny_store, tiny_models) -> HybridPipeline:
    """The shared tiny model, with each kind of ranker (`HybridConfig.ranker`)."""
    if request.param == "linear":
        return HybridPipeline.load(tiny_store)
    pytest.importorskip("lightgbm")
    return tiny_models("small", "lightgbm").load()


def _same(recommended, reranked) -> None:
    assert [r.item_id for r in reranked] == [r.item_id for r in recommended]
    np.testing.assert_array_equal([r.score for r in reranked], [r.score for r in recommended])
    np.testing.assert_array_equal([r.lm_score for r in reranked], [r.lm_score for r in recommended])
    assert [r.cf_scores for r in reranked] == [r.cf_scores for r in recommended]
    # the reasons in words too, but for which lists proposed an item (a caller's list is no popularity list)
    said = lambda recs: [tuple(x for x in r.reasons if x != "popular with everyone") for r in recs]
    assert said(reranked) == said(recommended)


@pytest.mark.parametrize("variant", ["plain", "request", "session"])
def test_rerank_of_recommend_is_recommend_for_every_user(pipe, variant):
    catalog = pipe.reranker.catalog
    genre = catalog.items["genres"].iloc[0][0]
    items = list(pipe.generator.items.ids)
    request = f"a {genre} movie" if variant == "request" else None
    session = Session.of(recent=[items[3]], exclude=[items[4]], more_like=[items[5]]) if variant == "session" else None
    for user in pipe.generator.users.ids:
        recommended = pipe.recommend([user], 10, request=request, session=session)[0]
        assert len(recommended) == 10
        reranked = pipe.rerank(user, [r.item_id for r in recommended], request=request, session=session)
        _same(recommended, reranked)
        top = pipe.rerank(user, [r.item_id for r in recommended][::-1], k=4, request=request, session=session)
        _same(recommended[:4], top)  # the given order does not matter; k keeps the best


def test_rerank_of_recommend_is_recommend_for_an_unknown_user(pipe):
    for request in (None, "a movie like the first one"):
        recommended = pipe.recommend(["nobody"], 10, request=request, on_unknown="fallback")[0]
        _same(recommended, pipe.rerank("nobody", [r.item_id for r in recommended], request=request))


def test_a_candidate_scores_the_same_in_any_list(pipe):
    """The features behind the fused score of an item do not depend on its list's other items."""
    state = pipe.fitted
    users = np.arange(12)
    query = state.query(users)
    items, _ = state.first_stage(query, 20)
    whole = state.rank(query, state.score(query, items), 20)[1]
    half = state.rank(query, state.score(query, items[:, ::2]), 10)[1]
    np.testing.assert_allclose(half, whole[:, ::2], rtol=1e-6)
