"""The `Method` contract, shared by every registered method (a mixin per protocol)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest

from hybrid_rec.candidates import ALSConfig
from hybrid_rec.candidates.outside import BPRRetrieverConfig, ItemItemRetrieverConfig, LMFRetrieverConfig
from hybrid_rec.candidates.transitions import TransitionsConfig
from hybrid_rec.data import leave_last_out
from hybrid_rec.evaluate.methods import (
    METHODS,
    ALSMethod,
    ContentConfig,
    ContentMethod,
    FaissKNNConfig,
    FaissKNNMethod,
    FitContext,
    GPT2Method,
    HybridMethod,
    ImplicitPeer,
    Popularity,
    PopularityConfig,
    TransitionsMethod,
)
from hybrid_rec.evaluate.peers import BERT4RecConfig, EASEConfig, RecToolsALSConfig, RecToolsPeer, SASRecConfig
from tests.evaluate.fake_peer import write_fake_python
from tests.factory import tiny_config


class MethodContract:
    """Subclasses provide `make()` returning an unfitted method (of the registry type `kind`)."""

    kind: str

    def make(self):  # pragma: no cover - overridden
        raise AssertionError("subclass must override make()")

    @pytest.fixture(scope="class")
    def fit_once(self, synthetic):
        """(the method made, what its `fit` returned, the split): one fit per method class."""
        split = leave_last_out(synthetic.interactions)
        method = self.make()
        return method, method.fit(split.train, FitContext(split.valid, synthetic.catalog)), split

    @pytest.fixture()
    def fitted(self, fit_once):
        _, method, split = fit_once
        return method, split

    def test_fit_returns_self(self, fit_once):
        method, returned, _ = fit_once
        assert returned is method

    def test_is_the_registered_type(self):
        assert isinstance(self.make(), type(METHODS[self.kind].factory(METHODS[self.kind].config())))

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
    kind = "popularity"

    def make(self):
        return Popularity(PopularityConfig())

    def test_ranks_by_count(self, synthetic):
        inter = synthetic.interactions
        method = self.make().fit(inter)
        top = method.recommend(np.array([0]), 3, inter.to_csr()[[0]] * 0)
        counts = inter.item_counts()
        assert list(counts[top.items[0]]) == sorted(counts, reverse=True)[:3]


class TestALS(MethodContract):
    kind = "als"

    def make(self):
        return ALSMethod(ALSConfig(factors=8, iterations=5))


class TestFaissKNN(MethodContract):
    kind = "faiss_knn"

    def make(self):
        return FaissKNNMethod(FaissKNNConfig(factors=8, iterations=5))


class TestTransitions(MethodContract):
    kind = "transitions"

    def make(self):
        return TransitionsMethod(TransitionsConfig())

    def test_a_user_gets_what_followed_their_last_item_first(self, synthetic):
        inter = synthetic.interactions
        method = self.make().fit(inter)
        counts = method._fitted[0].counts
        user = 3
        last = method._fitted[0].history.of(user)[0]
        exclude = inter.to_csr()[[user]]
        top = method.recommend(np.array([user]), 1, exclude)
        scores = method._fitted[0].score(user, np.arange(inter.n_items))
        scores[exclude.indices] = -np.inf
        assert counts[last].nnz and top.items[0, 0] == int(np.argmax(scores))


class TestContent(MethodContract):
    kind = "content"

    def make(self):
        return ContentMethod(ContentConfig(encoder={"kind": "hashing"}))

    def test_profile_is_the_decayed_history(self, synthetic):
        """Scores equal the hand-computed profile: decay-weighted text embeddings of the recent items."""
        from hybrid_rec.text import HashingEncoder

        inter = synthetic.interactions
        method = self.make().fit(inter, FitContext(catalog=synthetic.catalog))
        emb = HashingEncoder().encode([synthetic.catalog.describe(i) for i in inter.items.ids])
        user = 5
        rows = np.flatnonzero(inter.user == user)
        recent = inter.item[rows[np.argsort(-inter.timestamp[rows], kind="stable")]][:20]
        expected = (0.8 ** np.arange(len(recent))) @ emb[recent] @ emb.T
        np.testing.assert_allclose(method.score(np.array([user]))[0], expected, rtol=1e-5, atol=1e-6)


@pytest.mark.slow  # the fit trains the LM
class TestGPT2(MethodContract):
    kind = "gpt2"

    def make(self):
        return GPT2Method(tiny_config().lm_stage)


@pytest.mark.slow
class TestHybrid(MethodContract):
    kind = "hybrid"

    def make(self):
        return HybridMethod(tiny_config())


class TestBPR(MethodContract):
    kind = "bpr"

    def make(self):
        return ImplicitPeer(BPRRetrieverConfig(factors=8, iterations=20))


class TestLMF(MethodContract):
    kind = "lmf"

    def make(self):
        return ImplicitPeer(LMFRetrieverConfig(factors=8, iterations=5))


class TestItemItem(MethodContract):
    kind = "item_item"

    def make(self):
        return ImplicitPeer(ItemItemRetrieverConfig(similarity="bm25", neighbors=20))

    def test_a_users_items_neighbours_come_first(self, fitted):
        """The library's item-item: every recommended item co-occurs with one of the user's items."""
        method, split = fitted
        train = split.train.to_csr("binary")
        co = (train.T @ train).tocsr()
        for u in np.unique(split.test.user)[:10]:
            top = method.recommend(np.array([u]), 5, train[[u]]).items[0]
            near = set(co[train[u].indices].indices.tolist())
            assert set(top[top >= 0].tolist()) <= near


class _PeerContract(MethodContract):
    """RecTools peers through their adapter, with a stand-in for RecTools' Python (the real one:
    tests/evaluate/test_peers.py, a network test)."""

    config: type

    def make(self):
        return RecToolsPeer(self.config(python=str(write_fake_python(Path(tempfile.gettempdir()) / "hybrid-rec-fake-peer"))))


class TestEASE(_PeerContract):
    kind, config = "ease", EASEConfig


class TestRecToolsALS(_PeerContract):
    kind, config = "rectools_als", RecToolsALSConfig


class TestSASRec(_PeerContract):
    kind, config = "sasrec", SASRecConfig


class TestBERT4Rec(_PeerContract):
    kind, config = "bert4rec", BERT4RecConfig


def test_every_registered_method_has_a_contract_test():
    def every(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from every(sub)

    covered = {cls.kind for cls in every(MethodContract) if hasattr(cls, "kind")}
    assert covered == set(METHODS)
