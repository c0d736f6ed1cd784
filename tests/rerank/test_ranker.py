"""The learned second stage (`rerank.ranker`): LambdaMART learns what a linear blend cannot, scores a
candidate from its own features, survives a save and load exactly, and says clearly what it cannot do."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from hybrid_rec.errors import ConfigError, NotFittedError
from hybrid_rec.metrics import ranking_metrics
from hybrid_rec.pipeline import HybridConfig
from hybrid_rec.rerank.fusion import FusionConfig, LinearFusion, rank
from hybrid_rec.rerank.ranker import LightGBMRanker, LightGBMRankerConfig

pytest.importorskip("lightgbm")

SMALL = LightGBMRankerConfig(features=["lm", "als", "history_length"], min_data_in_leaf=5, n_estimators=150)


def lists(n_rows: int, seed: int) -> tuple[dict[str, np.ndarray], np.ndarray, sp.csr_matrix]:
    """Lists of 20 candidates whose one relevant item is the best by the LM for users with a short history and
    the best by ALS for the others: an interaction no weighted sum of the two scores can express."""
    rng = np.random.default_rng(seed)
    n, n_items = 20, 1000
    items = np.stack([rng.choice(n_items, n, replace=False) for _ in range(n_rows)])
    lm, als = rng.normal(size=(n_rows, n)), rng.normal(size=(n_rows, n))
    short = rng.random(n_rows) < 0.5
    history = np.where(short, 3.0, 50.0)[:, None] + np.zeros((n_rows, n))
    best = np.where(short, lm.argmax(1), als.argmax(1))
    targets = sp.csr_matrix((np.ones(n_rows), (np.arange(n_rows), items[np.arange(n_rows), best])), shape=(n_rows, n_items))
    return {"lm": lm, "als": als, "history_length": history}, items, targets


def ndcg(scores: np.ndarray, items: np.ndarray, targets: sp.csr_matrix) -> float:
    return float(np.mean(ranking_metrics(rank(items, scores, 10).items, targets, [10])["ndcg@10"]))


def test_lambdamart_learns_an_interaction_a_linear_blend_cannot() -> None:
    train, test = lists(600, 0), lists(300, 1)
    learned = LightGBMRanker(SMALL).fit(*train)
    linear = LinearFusion(FusionConfig(features=["lm", "als", "history_length"])).fit(*train)
    got, blend = ndcg(learned.transform(test[0], test[1]), *test[1:]), ndcg(linear.transform(test[0], test[1]), *test[1:])
    assert got > 0.9 > blend + 0.15  # the learned ranker ranks the relevant item first; the blend cannot
    assert set(learned.weights) == {"lm", "als", "history_length"} and learned.weights["history_length"] > 0


def test_boosted_from_a_blend_it_adds_what_the_blend_misses() -> None:
    """Fitted from the linear blend's scores (`base`), the sum ranks better than the blend on new lists."""
    train, test = lists(600, 7), lists(300, 8)
    linear = LinearFusion(FusionConfig(features=["lm", "als", "history_length"])).fit(*train)
    model = LightGBMRanker(SMALL).fit(*train, base=linear.transform(train[0], train[1]))
    base = linear.transform(test[0], test[1])
    assert ndcg(base + model.transform(test[0], test[1]), *test[1:]) > ndcg(base, *test[1:]) + 0.1


def test_a_candidate_scores_the_same_in_any_list_and_padding_is_nan() -> None:
    feats, items, targets = lists(200, 2)
    model = LightGBMRanker(SMALL).fit(feats, items, targets)
    whole = model.transform(feats, items)
    half = model.transform({k: v[:, ::2] for k, v in feats.items()}, items[:, ::2])
    np.testing.assert_array_equal(half, whole[:, ::2])
    padded = items.copy()
    padded[:, -3:] = -1
    out = model.transform(feats, padded)
    assert np.isnan(out[:, -3:]).all() and not np.isnan(out[:, :-3]).any()


def test_a_feature_the_lists_lack_is_missing_not_an_error() -> None:
    feats, items, targets = lists(200, 3)
    model = LightGBMRanker(SMALL).fit(feats, items, targets)
    out = model.transform({"lm": feats["lm"], "als": feats["als"]}, items)  # no history_length: missing
    assert np.isfinite(out).all()


def test_save_and_load_give_the_same_scores_from_lightgbm_text(tmp_path) -> None:
    feats, items, targets = lists(200, 4)
    model = LightGBMRanker(SMALL).fit(feats, items, targets)
    model.save(tmp_path / "ranker.json")
    assert (tmp_path / "ranker.txt").read_text().startswith("tree")  # LightGBM's own text format, no pickle
    loaded = LightGBMRanker.load(tmp_path / "ranker.json")
    np.testing.assert_array_equal(loaded.transform(feats, items), model.transform(feats, items))
    assert loaded.weights == model.weights and loaded.config == model.config
    (tmp_path / "ranker.txt").unlink()
    with pytest.raises(ConfigError, match="ranker.txt"):
        LightGBMRanker.load(tmp_path / "ranker.json")


def test_several_situations_fit_one_model_and_lists_without_a_target_are_left_out() -> None:
    (fa, ia, ta), (fb, ib, tb) = lists(150, 5), lists(150, 6)
    model = LightGBMRanker(SMALL.model_copy(update={"holdout": 0.0})).fit([fa, fb], [ia, ib], [ta, tb])
    assert model.rows == 300 * 20
    empty = sp.csr_matrix(ta.shape)
    assert LightGBMRanker(SMALL.model_copy(update={"holdout": 0.0})).fit([fa, fb], [ia, ib], [ta, empty]).rows == 150 * 20
    with pytest.raises(ConfigError, match="no validation list"):
        LightGBMRanker(SMALL).fit(fa, ia, empty)
    with pytest.raises(NotFittedError):
        LightGBMRanker(SMALL).transform(fa, ia)


def test_the_ranker_is_chosen_by_kind_and_round_trips() -> None:
    assert HybridConfig().ranker.kind == "linear"
    config = HybridConfig.from_dict({"ranker": {"kind": "lightgbm", "num_leaves": 7}})
    assert isinstance(config.ranker, LightGBMRankerConfig) and config.ranker.num_leaves == 7
    assert HybridConfig.from_dict(config.model_dump()) == config
    with pytest.raises(ConfigError):
        HybridConfig.from_dict({"ranker": {"kind": "linear", "num_leaves": 7}})  # a LightGBM field on the linear kind
