"""A model fitted for outside lists (`HybridConfig.outside`): a second fusion, fitted on validation
users' lists of a stand-in retriever, ranks a caller's lists; recommend's weights stay for recommend."""

from __future__ import annotations

import numpy as np
import pytest

from hybrid_rec.errors import ConfigError
from hybrid_rec.pipeline import HybridPipeline
from hybrid_rec.rerank.fusion import LinearFusion


@pytest.fixture(scope="module")
def outside(tiny_models) -> HybridPipeline:
    return tiny_models("small", "outside").load()


def test_the_model_carries_a_fusion_fitted_on_the_retrievers_lists(outside, tiny_models):
    state = outside.fitted
    assert state.outside_fusion is not None and state.outside_fusion.fitted_on == "popularity"
    assert state.fusion.fitted_on == "first_stage"
    saved = LinearFusion.load(tiny_models("small", "outside").path / "fusion_outside.json")
    assert saved.weights == state.outside_fusion.weights and saved.fitted_on == "popularity"
    assert tiny_models().load().fitted.outside_fusion is None, "the default model has none"


def test_rerank_uses_the_outside_fusion_and_first_stage_gives_recommends_order(outside):
    state = outside.fitted
    user = outside.generator.users.ids[0]
    mine = [r.item_id for r in outside.recommend([user], 15)[0]]
    same = outside.rerank(user, mine, fusion="first_stage")
    assert [r.item_id for r in same] == mine, "recommend's weights: recommend's order"
    got = outside.rerank(user, mine)  # auto: the outside fusion
    internal = outside.generator.items.to_internal(mine)[None]
    query = state.query(np.array([0]))
    expected = state.outside_fusion.transform(state.score(query, internal).features, internal)[0]
    np.testing.assert_allclose([r.score for r in got], np.sort(expected)[::-1], rtol=1e-6)
    if state.outside_fusion.weights != state.fusion.weights:
        assert [r.score for r in got] != [r.score for r in same]


def test_asking_for_an_outside_fusion_a_model_lacks_names_the_fix(tiny_models):
    pipe = tiny_models().load()
    user = pipe.generator.users.ids[0]
    with pytest.raises(ConfigError, match=r"outside = \{ kind"):
        pipe.rerank(user, list(pipe.generator.items.ids[:5]), fusion="outside")
    with pytest.raises(ConfigError, match="fusion must be"):
        pipe.rerank(user, list(pipe.generator.items.ids[:5]), fusion="theirs")  # type: ignore[arg-type]
