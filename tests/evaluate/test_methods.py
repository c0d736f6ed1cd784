"""The `Method` contract, shared by every registered method (a mixin per protocol)."""

from __future__ import annotations

import numpy as np
import pytest

from hybrid_rec.candidates import ALSConfig
from hybrid_rec.data import leave_last_out
from hybrid_rec.evaluate.methods import ALSMethod, Popularity, PopularityConfig


class MethodContract:
    """Subclasses provide `make()` returning an unfitted method."""

    def make(self):  # pragma: no cover - overridden
        raise AssertionError("subclass must override make()")

    @pytest.fixture()
    def fitted(self, synthetic):
        split = leave_last_out(synthetic.interactions)
        return self.make().fit(split.train), split

    def test_fit_returns_self(self, synthetic):
        method = self.make()
        assert method.fit(synthetic.interactions) is method

    def test_never_returns_excluded_items_and_has_k_columns(self, fitted):
        method, split = fitted
        users = np.unique(split.test.user)[:50]
        exclude = split.train.to_csr()[users]
        top = method.recommend(users, 10, exclude)
        assert top.items.shape == (len(users), 10)
        for r in range(len(users)):
            seen = set(exclude[r].indices.tolist())
            assert not seen & set(top.items[r].tolist())
            scores = top.scores[r][top.items[r] >= 0]
            assert (np.diff(scores) <= 1e-9).all(), "best first"

    def test_batch_equals_single(self, fitted):
        method, split = fitted
        users = np.unique(split.test.user)[:20]
        exclude = split.train.to_csr()
        batch = method.recommend(users, 5, exclude[users])
        for r, u in enumerate(users):
            single = method.recommend(np.array([u]), 5, exclude[[u]])
            assert np.array_equal(single.items[0], batch.items[r])


class TestPopularity(MethodContract):
    def make(self):
        return Popularity(PopularityConfig())

    def test_ranks_by_count(self, synthetic):
        inter = synthetic.interactions
        method = self.make().fit(inter)
        top = method.recommend(np.array([0]), 3, inter.to_csr()[[0]] * 0)
        counts = inter.item_counts()
        assert list(counts[top.items[0]]) == sorted(counts, reverse=True)[:3]


class TestALS(MethodContract):
    def make(self):
        return ALSMethod(ALSConfig(factors=8, iterations=5))
