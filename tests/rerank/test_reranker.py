from __future__ import annotations

import numpy as np
import pytest
import torch

from hybrid_rec.data import leave_last_out, make_synthetic
from hybrid_rec.errors import NotFittedError
from hybrid_rec.rerank.reranker import GPT2Reranker, RerankerConfig, sequences_of
from tests.rerank.conftest import TINY_LM

CFG = {
    "lm": {**TINY_LM, "n_embd": 32},
    "bpe_vocab_size": 300,
    "trainer": {"epochs": 3, "batch_size": 16, "lr": 5e-3, "patience": 5, "hard_negatives": 5},
}


@pytest.fixture(scope="module")
def data():
    ds = make_synthetic(n_users=60, n_items=40, n_clusters=3, interactions_per_user=12, seed=5)
    return ds, leave_last_out(ds.interactions)


def fit(data, out_dir=None, **overrides):
    ds, split = data
    cfg = RerankerConfig.from_dict({**CFG, **overrides})
    negatives = {u: np.arange(5) for u in range(len(split.train.users))}
    return GPT2Reranker(cfg).fit(
        split.train, ds.catalog, valid=split.valid, hard_negatives=negatives, out_dir=out_dir, progress=False
    )


@pytest.fixture(scope="module")
def trained(data):
    return fit(data)


def test_learns_something_and_is_deterministic(data, trained):
    _, _split = data
    history = [h["valid"] for h in trained.train_result.history]
    assert len(history) == 3 and trained.train_result.best_metric == max(history)
    again = fit(data)
    users = np.arange(10)
    np.testing.assert_array_equal(again.item_logprobs(users), trained.item_logprobs(users))


def test_score_matches_item_logprobs_and_pads_nan(trained):
    users = np.array([0, 1])
    cands = np.array([[3, 1, -1], [0, 2, 5]])
    scores = trained.score(users, cands)
    full = trained.item_logprobs(users)
    assert np.isnan(scores[0, 2])
    np.testing.assert_allclose(scores[0, :2], full[0, [3, 1]])
    np.testing.assert_allclose(scores[1], full[1, [0, 2, 5]])


def test_continuation_mode_scores_titles(data, trained, tmp_path):
    trained.save(tmp_path / "r")
    ds, _ = data
    title_cfg = trained.config.model_copy(update={"reduction": "mean"})
    reloaded = GPT2Reranker.load(tmp_path / "r", ds.catalog)
    reloaded.config = title_cfg
    reloaded.verbalizer.config = reloaded.verbalizer.config.model_copy(update={"continuation": "item_title"})
    scores = reloaded.score(np.array([0]), np.array([[1, 2, 3]]))
    assert np.isfinite(scores).all() and (scores < 0).all()


def test_save_load_identical_scores(data, trained, tmp_path):
    ds, _split = data
    trained.save(tmp_path / "r")
    loaded = GPT2Reranker.load(tmp_path / "r", ds.catalog)
    users = np.arange(15)
    np.testing.assert_array_equal(loaded.item_logprobs(users), trained.item_logprobs(users))
    assert all(np.array_equal(loaded.histories[u], h) for u, h in trained.histories.items())


def test_resume_after_interruption_equals_uninterrupted(data, tmp_path, monkeypatch):
    straight = fit(data)
    from hybrid_rec.rerank import reranker as mod

    calls = {"n": 0}
    original = mod.GPT2Reranker.validation_ndcg

    def crash_on_second(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("simulated kill after epoch 2's training")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(mod.GPT2Reranker, "validation_ndcg", crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        fit(data, out_dir=tmp_path / "ckpt")
    monkeypatch.setattr(mod.GPT2Reranker, "validation_ndcg", original)
    resumed = fit(data, out_dir=tmp_path / "ckpt")
    assert (tmp_path / "ckpt" / "checkpoint-best" / "model.safetensors").is_file()
    assert [h["epoch"] for h in resumed.train_result.history] == [1, 2, 3]
    for a, b in zip(straight.model.parameters(), resumed.model.parameters(), strict=True):
        torch.testing.assert_close(a, b)


def test_sequences_oldest_first_and_not_fitted(data):
    _, split = data
    seqs = sequences_of(split.train)
    u = int(split.train.user[0])
    rows = np.flatnonzero(split.train.user == u)
    order = rows[np.lexsort((rows, split.train.timestamp[rows]))]
    assert seqs[u].tolist() == split.train.item[order].tolist()
    with pytest.raises(NotFittedError):
        GPT2Reranker().item_logprobs(np.array([0]))
