from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hybrid_rec.candidates.generator import CandidateGenerator, CandidatesConfig
from hybrid_rec.candidates.sources import BlendConfig, blend
from hybrid_rec.data import Interactions, leave_last_out
from hybrid_rec.errors import ConfigError, NotFittedError, UnknownIdError
from hybrid_rec.evaluate.metrics import candidate_recall
from hybrid_rec.topk import TopK

CFG = CandidatesConfig(n=30, als={"factors": 8, "iterations": 5}, item_knn={"history": 5, "neighbors": 10})


@pytest.fixture(scope="module")
def fitted(synthetic):
    split = leave_last_out(synthetic.interactions)
    return CandidateGenerator(CFG).fit(split.train_valid), split


def test_candidates_are_unique_unseen_and_labelled(fitted):
    gen, split = fitted
    users = np.unique(split.test.user)[:40]
    cands = gen.generate(users)
    seen = gen.seen(users)
    for r in range(len(users)):
        items = cands.items[r][cands.items[r] >= 0]
        assert len(items) == len(set(items)) == 30
        assert not set(items) & set(seen[r].indices)
        labels = cands.labels(r)
        assert all(labels) and set().union(*labels) <= {"als", "item_knn", "transitions", "popularity"}
        for j, lab in enumerate(labels):
            for source in ("als", "item_knn", "popularity"):
                assert (source in lab) == (not np.isnan(cands.source_scores[source][r, j]))
    assert (np.diff(cands.scores[:, :30], axis=1) <= 1e-12).all()


def test_blend_recall_not_below_best_source(fitted):
    gen, split = fitted
    users = np.unique(split.test.user)
    targets = split.test.to_csr()[users]
    lists = gen.source_lists(users, 30)
    best = max(candidate_recall(t.items, targets, [30])["recall@30"] for t in lists.values())
    assert candidate_recall(gen.generate(users, 30).items, targets, [30])["recall@30"] >= best


def test_items_without_interactions_are_never_cf_candidates(synthetic):
    inter = synthetic.interactions
    extra = Interactions(
        user=inter.user,
        item=inter.item,
        timestamp=inter.timestamp,
        weight=inter.weight,
        users=inter.users,
        items=inter.items.extend(["ghost1", "ghost2"]),
    )
    gen = CandidateGenerator(CFG).fit(extra)
    ghosts = set(extra.items.to_internal(["ghost1", "ghost2"]).tolist())
    lists = gen.source_lists(np.arange(50), 30)
    assert all(not ghosts & set(t.items.ravel().tolist()) for t in lists.values())


def test_unknown_user_policies(fitted):
    gen, _ = fitted
    known = gen.users.ids[0]
    with pytest.raises(UnknownIdError, match="stranger"):
        gen.generate_for([known, "stranger"], 5)
    skipped = gen.generate_for([known, "stranger"], 5, on_unknown="skip")
    assert [c.user_id for c in skipped] == [known]
    filled = gen.generate_for(["stranger", known], 5, on_unknown="fallback")
    assert [c.user_id for c in filled] == ["stranger", known]
    assert filled[0].cold and filled[0].labels == [("popularity",)] * 5
    assert not filled[1].cold and len(filled[1].item_ids) == 5
    with pytest.raises(ValueError, match="on_unknown"):
        gen.generate_for([known], 5, on_unknown="guess")


def test_batch_equals_single(fitted):
    gen, split = fitted
    users = np.unique(split.test.user)[:10]
    batch = gen.generate(users, 15)
    for r, u in enumerate(users):
        single = gen.generate(np.array([u]), 15)
        np.testing.assert_array_equal(single.items[0], batch.items[r])


def test_update_adds_new_user_and_item_and_matches_refit_side(fitted, tmp_path):
    gen, _ = fitted
    gen.save(tmp_path / "g")
    g = CandidateGenerator.load(tmp_path / "g")
    np.testing.assert_array_equal(g.generate(np.arange(5)).items, gen.generate(np.arange(5)).items)
    known = list(g.items.ids[:6])
    events = Interactions.from_dataframe(
        pd.DataFrame(
            {
                "user_id": ["newbie"] * 6 + [g.users.ids[1]],
                "item_id": [*known, "fresh"],
                "timestamp": [1e12 + k for k in range(7)],
            }
        )
    )
    g.update(events)
    new = g.generate_for(["newbie"], 10)[0]
    assert not new.cold and not set(new.item_ids) & set(known)
    fresh = g.items.to_internal(["fresh"])[0]
    assert g.fitted.knn is not None
    assert fresh in g.fitted.mips.ids and fresh in g.fitted.knn.ids
    assert "fresh" in set(g.items.to_external(g.seen(np.array([1])).indices))


def test_errors():
    with pytest.raises(NotFittedError):
        CandidateGenerator().generate(np.array([0]))
    with pytest.raises(ConfigError):
        CandidatesConfig.from_dict({"sources": ["als", "als"]})
    with pytest.raises(ConfigError):
        CandidatesConfig.from_dict({"sources": ["bm25"]})


def test_blend_fuses_by_reciprocal_rank_and_keeps_source_scores():
    a = TopK(np.array([[1, 2, 3]]), np.array([[0.9, 0.8, 0.7]], np.float32))
    b = TopK(np.array([[3, 4, -1]]), np.array([[5.0, 4.0, np.nan]], np.float32))
    c = blend({"a": a, "b": b}, 4, BlendConfig(weights={"a": 1.0, "b": 1.0}, rrf_k=0))
    # 1: 1/1, 3: 1/3 + 1/1, 2: 1/2, 4: 1/2 -> [3, 1, 2, 4] (ties by lower id)
    assert c.items.tolist() == [[3, 1, 2, 4]]
    np.testing.assert_allclose(c.scores[0], [4 / 3, 1.0, 0.5, 0.5])
    np.testing.assert_allclose(c.source_scores["a"][0], [0.7, 0.9, 0.8, np.nan])
    np.testing.assert_allclose(c.source_scores["b"][0], [5.0, np.nan, np.nan, 4.0])
    assert c.labels(0) == [("a", "b"), ("a",), ("a",), ("b",)]
    only_a = blend({"a": a, "b": b}, 5, BlendConfig(weights={"a": 1.0}, rrf_k=0))
    assert only_a.items.tolist() == [[1, 2, 3, 4, -1]]  # an unweighted source only fills the tail
