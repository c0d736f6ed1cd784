"""The flat index's top-K equals brute-force ``U @ V.T`` top-K with seen items removed."""

from __future__ import annotations

import numpy as np
import pytest

from hybrid_rec.candidates.als import ALSModel
from hybrid_rec.candidates.index import ItemIndex
from hybrid_rec.candidates.sources import ALSRetrieval
from hybrid_rec.data import Interactions, load_dataset


def check_exact(inter: Interactions, k: int = 50) -> None:
    als = ALSModel(factors=32, iterations=10).fit(inter)
    index = ItemIndex(32, kind="flat")
    index.add(np.arange(inter.n_items), als.item_factors)
    users = np.arange(inter.n_users)
    seen = als.user_items
    got = ALSRetrieval(als, index).generate(users, k, seen)
    brute = als.user_factors @ als.item_factors.T
    brute[seen.nonzero()] = -np.inf
    for u in users:
        want = np.argsort(-brute[u], kind="stable")[:k]
        if not np.array_equal(got.items[u], want):
            # only an exact float tie may swap neighbours; the scores must still agree
            np.testing.assert_allclose(brute[u, got.items[u]], brute[u, want], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(got.scores[u], brute[u, got.items[u]], rtol=1e-5, atol=1e-5)


def test_flat_equals_brute_force_synthetic(synthetic):
    check_exact(synthetic.interactions)


@pytest.mark.network
def test_flat_equals_brute_force_movielens(tmp_path):
    check_exact(load_dataset("movielens-100k", tmp_path).interactions)
