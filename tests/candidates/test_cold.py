"""Items without interactions get CF vectors predicted from their catalog text."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from hybrid_rec.candidates.cold import ridge
from hybrid_rec.candidates.generator import CandidateGenerator, CandidatesConfig
from hybrid_rec.data import Interactions
from hybrid_rec.data.splits import cold_item_split
from hybrid_rec.data.synthetic import make_synthetic

CFG = CandidatesConfig.from_dict(
    {
        "n": 20,
        "als": {"factors": 8, "iterations": 8},
        "item_knn": {"history": 5, "neighbors": 10},
        "cold_start": {"regularization": 1.0, "features": {"text_fields": [], "fields": ["genres"]}},
    }
)


def test_ridge_recovers_a_linear_map():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 5))
    w = rng.standard_normal((5, 3))
    b = ridge(x, x @ w + 2.0, 1e-6)
    assert np.allclose(b[:-1], w, atol=1e-4) and np.allclose(b[-1], 2.0, atol=1e-4)  # intercept not shrunk


@pytest.fixture(scope="module")
def cold_setup():
    ds = make_synthetic(n_users=200, n_items=80, n_clusters=4, interactions_per_user=15, seed=3)
    split = cold_item_split(ds.interactions, 0.2, seed=1)
    gen = CandidateGenerator(CFG).fit(split.train_valid, catalog=ds.catalog)
    return ds, split, gen


def cold_mask(rows: Interactions) -> np.ndarray:
    return rows.item_counts() == 0


def test_cold_items_are_retrieved_for_the_users_of_their_group(cold_setup):
    ds, split, gen = cold_setup
    cold = cold_mask(split.train_valid)
    assert cold.sum() >= 10
    users = np.arange(len(gen.users))
    only_cold = sp.csr_matrix(np.broadcast_to(~cold, (len(users), len(cold))).astype(np.float32))  # warm excluded
    top = gen.sources()["als"].generate(users, 3, only_cold)
    assert (top.items >= 0).all() and cold[top.items].all()
    truth = ds.truth
    hits = truth.item_group[top.items[:, 0]] == truth.user_cluster[users]
    assert hits.mean() > 0.8  # 4 groups: chance is 0.25


def test_cold_items_have_scores_without_a_catalog_they_have_none(cold_setup):
    _, split, gen = cold_setup
    cold = np.flatnonzero(cold_mask(split.train_valid))
    scores = gen.score_items(0, cold)
    assert np.isfinite(scores["als"]).all() and np.isfinite(scores["item_knn"]).all()
    assert np.isnan(scores["popularity"]).all()  # nobody has used them
    plain = CandidateGenerator(CFG).fit(split.train_valid)
    assert np.isnan(plain.score_items(0, cold)["als"]).all()
    assert not np.isin(plain.generate(np.arange(20)).items, cold).any()


def test_predicted_vectors_survive_save_and_load(cold_setup, tmp_path):
    _, _, gen = cold_setup
    gen.save(tmp_path / "g")
    back = CandidateGenerator.load(tmp_path / "g")
    assert np.array_equal(back.item_vectors.factors, gen.item_vectors.factors)
    assert np.array_equal(back.item_vectors.scorable, gen.item_vectors.scorable)


def test_interactions_replace_a_prediction_with_als_factors(cold_setup):
    ds, split, _ = cold_setup
    gen = CandidateGenerator(CFG).fit(split.train_valid, catalog=ds.catalog)
    item = int(np.flatnonzero(cold_mask(split.train_valid))[0])
    before = gen.item_vectors.factors[item].copy()
    users = np.arange(5)
    events = Interactions(
        user=users.astype(np.int32), item=np.full(5, item, np.int32), timestamp=np.full(5, 9e9),
        weight=np.ones(5, np.float32), users=split.train_valid.users, items=split.train_valid.items,
    )  # fmt: skip
    gen.update(events)
    after = gen.item_vectors.factors[item]
    assert np.allclose(after, gen.als.item_factors[item]) and not np.allclose(after, before)
