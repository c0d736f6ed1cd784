"""Our ranking metrics against ranx (the IR evaluation library, itself checked against trec_eval)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from hybrid_rec.metrics import ranking_metrics

ranx = pytest.importorskip("ranx")


@pytest.mark.parametrize("seed", range(5))
def test_hr_ndcg_mrr_recall_equal_ranx_on_random_rankings(seed):
    rng = np.random.default_rng(seed)
    n_users, n_items, length = 40, 60, 20
    topk = np.stack([rng.permutation(n_items)[:length] for _ in range(n_users)])
    topk[rng.random(topk.shape) < 0.1] = -1  # some short lists (padding), as methods return them
    topk = np.where(np.cumsum(topk < 0, axis=1) > 0, -1, topk)  # padding only at the end
    rows, cols = [], []
    for u in range(n_users):
        relevant = rng.choice(n_items, rng.integers(1, 6), replace=False)
        rows += [u] * len(relevant)
        cols += relevant.tolist()
    targets = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_users, n_items))
    cutoffs = [1, 5, 10, 20]
    ours = ranking_metrics(topk, targets, cutoffs)
    qrels = ranx.Qrels({f"u{u:03d}": {f"i{i}": 1 for i in targets[u].indices} for u in range(n_users)})
    # query ids zero-padded: ranx returns per-query scores in sorted id order
    run = ranx.Run({f"u{u:03d}": {f"i{i}": float(length - r) for r, i in enumerate(topk[u]) if i >= 0}
                    for u in range(n_users)})  # fmt: skip
    names = {"ndcg": "ndcg", "hr": "hit_rate", "mrr": "mrr", "recall": "recall"}
    for k in cutoffs:
        wanted = [f"{theirs}@{k}" for theirs in names.values()]
        got = ranx.evaluate(qrels, run, wanted, return_mean=False, make_comparable=True)
        for ours_name, theirs in names.items():
            np.testing.assert_allclose(ours[f"{ours_name}@{k}"], got[f"{theirs}@{k}"], atol=1e-9, err_msg=f"{ours_name}@{k}")
