from __future__ import annotations

import numpy as np
import pytest

import hybrid_rec
from hybrid_rec import HybridRecommender
from hybrid_rec.data import make_synthetic
from hybrid_rec.errors import DataError, NotFittedError
from hybrid_rec.session import Session
from tests.factory import tiny


@pytest.fixture(scope="module")
def data():
    """Own data for the tests that fit through the API (their thresholds were measured on it)."""
    return make_synthetic(n_users=100, n_items=50, n_clusters=3, interactions_per_user=12, seed=21)


@pytest.fixture(scope="module")
def shared(tiny_models):
    return tiny_models()


@pytest.fixture(scope="module")
def fitted(shared):
    """The shared tiny model, loaded through the API."""
    return HybridRecommender.load(shared.path)


def test_top_level_import_is_lazy_and_works():
    assert hybrid_rec.HybridRecommender is HybridRecommender
    with pytest.raises(AttributeError):
        hybrid_rec.Nope  # noqa: B018


def test_recommend_returns_a_frame_of_unseen_items(fitted, shared):
    frame = fitted.recommend(["u1", "u2"], k=4)
    assert list(frame.columns[:4]) == ["user_id", "item_id", "rank", "score"]
    assert len(frame) == 8 and frame.groupby("user_id")["rank"].apply(list).tolist() == [[1, 2, 3, 4]] * 2
    seen = set(shared.data.interactions.to_dataframe().query("user_id == 'u1'")["item_id"])
    assert not set(frame.query("user_id == 'u1'")["item_id"]) & seen
    assert fitted.explain("u1", k=2)[0].instruction


def test_rerank_frame(fitted):
    frame = fitted.rerank("u3", ["i1", "i2", "i3", "zzz"], k=2)
    assert len(frame) == 2 and set(frame["item_id"]) <= {"i1", "i2", "i3"}


@pytest.mark.slow
def test_external_factors_replace_als(data, tmp_path):
    rng = np.random.default_rng(0)
    inter = data.interactions
    users, items = inter.users.ids[:-5], inter.items.ids[:-3]  # some users/items lack external factors
    uf, itf = rng.standard_normal((len(users), 6)), rng.standard_normal((len(items), 6))
    rec = HybridRecommender(tiny()).fit(inter, data.catalog, user_factors=(users, uf), item_factors=(items, itf))
    als = rec.pipeline.generator.als
    assert als.item_factors.shape[1] == 6
    np.testing.assert_allclose(als.item_factors[inter.items.to_internal(items[:10])], itf[:10], rtol=1e-6)
    assert np.abs(als.user_factors[inter.users.to_internal(inter.users.ids[-5:])]).sum() > 0  # solved here
    rec.save(tmp_path / "r")
    again = HybridRecommender.load(tmp_path / "r")
    assert again.recommend(["u4"], 3).equals(rec.recommend(["u4"], 3))
    with pytest.raises(DataError, match="both"):
        HybridRecommender(tiny()).fit(inter, user_factors=(users, uf))
    with pytest.raises(DataError, match="equal widths"):
        HybridRecommender(tiny()).fit(inter, user_factors=(users, uf), item_factors=(items, itf[:, :3]))


def test_not_fitted():
    with pytest.raises(NotFittedError):
        HybridRecommender().recommend(["u1"])


def test_rerank_frame_equals_the_pipelines_rerank(fitted):
    """`rec.rerank` is the pipeline's `rerank`, row for row, as a DataFrame."""
    cands = ["i1", "i2", "i3", "i9", "zzz"]
    session = Session.of(recent=["i2"], exclude=["i9"])
    for kwargs in ({"k": 3}, {"k": None, "request": "a comedy movie"}, {"k": None, "session": session}):
        frame = fitted.rerank("u3", cands, **kwargs)
        recs = fitted.pipeline.rerank("u3", cands, **kwargs)
        assert len(frame) == len(recs) > 0
        assert frame["item_id"].tolist() == [r.item_id for r in recs]
        assert frame["rank"].tolist() == [r.rank for r in recs]
        assert frame["score"].tolist() == [r.score for r in recs]
        assert frame["lm_score"].tolist() == [r.lm_score for r in recs]
        assert frame["sources"].tolist() == [r.sources for r in recs]  # one type: a tuple, as on Recommendation
        assert frame["cf_scores"].tolist() == [r.cf_scores for r in recs]


def test_recommend_frame_takes_a_session(fitted):
    plain = fitted.recommend(["u3"], k=4)
    got = fitted.recommend(["u3"], k=4, session=Session.of(exclude=plain["item_id"].tolist()[:2]))
    assert len(got) == 4 and not set(plain["item_id"][:2]) & set(got["item_id"])


@pytest.mark.slow
def test_a_catalog_with_never_interacted_items_trains_and_recommends_them(data, caplog):
    import pandas as pd

    from hybrid_rec.data.catalog import ItemCatalog

    cold = pd.DataFrame(
        {"title": ["Deep ocean", "Ice world", "Desert life"], "year": ["2001", "2002", "2003"],
         "genres": [("documentary",), ("documentary",), ("documentary",)]},
        index=pd.Index(["new1", "new2", "new3"], name="item_id"),
    )
    catalog = ItemCatalog(pd.concat([data.catalog.items, cold]), data.catalog.users)
    with caplog.at_level("WARNING"):
        rec = HybridRecommender(tiny()).fit(data.interactions, catalog)
    assert "3 catalog items have no interactions" in caplog.text
    plain = rec.recommend(["u3", "u4"], k=10)
    assert not set(plain["item_id"]) & {"new1", "new2", "new3"}  # never CF candidates
    asked = rec.recommend(["u3", "u4"], k=3, request="a documentary")
    assert set(asked["item_id"]) == {"new1", "new2", "new3"}  # reached through their text
    reranked = rec.rerank("u3", ["new2", "i1", "i2"])
    new = reranked[reranked["item_id"] == "new2"].iloc[0]  # scorable, not dropped as unknown
    assert np.isfinite(new["lm_score"]) and np.isfinite(new["cf_scores"]["als"])  # from the vector its text predicts


@pytest.mark.slow
def test_items_added_after_training_are_recommendable_at_once(data, tmp_path):
    """Fitted from a frame with its own column names; then new catalog rows through the API: the first
    stage predicts their CF vectors and the LM gets item tokens from their text, so a new item of a
    user's favourite group ranks above one of another group for most users, before any event or
    retraining; saving and loading keeps them."""
    import pandas as pd

    from hybrid_rec.errors import DataError

    df = data.interactions.to_dataframe().rename(columns={"user_id": "customer", "item_id": "sku"})
    rec = HybridRecommender(tiny()).fit(df, data.catalog, columns={"user": "customer", "item": "sku"})
    pipe = rec.pipeline
    truth, items = data.truth, pipe.generator.items
    first = {g: data.interactions.items.ids[int(np.flatnonzero(truth.item_group == g)[0])] for g in range(3)}
    genre_of = {g: data.catalog.item(first[g])["genres"] for g in range(3)}
    frame = pd.DataFrame(
        {"item_id": ["new-a", "new-b"], "title": ["Brand new", "Also new"], "year": ["2024", "2024"],
         "genres": [genre_of[0], genre_of[1]]}
    )  # fmt: skip
    assert rec.add_items(frame) == ["new-a", "new-b"]
    assert rec.add_items(frame) == []  # re-described, not new
    users = np.flatnonzero(np.isin(truth.user_cluster, [0, 1]))
    prefers, lm, cf = [], [], []
    for u in users:
        got = rec.rerank(f"u{u}", ["new-a", "new-b"])
        assert np.isfinite(got["lm_score"]).all() and len(got) == 2
        want = "new-a" if truth.user_cluster[u] == 0 else "new-b"
        prefers.append(got["item_id"].iloc[0] == want)
        by = got.set_index("item_id")
        other = ({"new-a", "new-b"} - {want}).pop()
        lm.append(by.loc[want, "lm_score"] > by.loc[other, "lm_score"])  # the LM's predicted token alone
        cf.append(by.loc[want, "cf_scores"]["als"] > by.loc[other, "cf_scores"]["als"])  # the predicted vector alone
    assert np.mean(prefers) > 0.75 and np.mean(lm) > 0.7 and np.mean(cf) > 0.8  # chance: 0.5
    rec.save(tmp_path / "m")
    back = HybridRecommender.load(tmp_path / "m")
    assert back.pipeline.reranker.tokenizer.n_items == len(back.pipeline.generator.items) == len(items) + 2
    same = back.rerank(f"u{users[0]}", ["new-a", "new-b"])
    assert same["item_id"].tolist() == rec.rerank(f"u{users[0]}", ["new-a", "new-b"])["item_id"].tolist()
    with pytest.raises(DataError, match="plot"):
        rec.add_items(pd.DataFrame({"item_id": ["x"], "plot": ["..."]}))


@pytest.mark.parametrize("k", [-1, 0, 2.5, True])
def test_a_k_that_is_no_list_length_is_a_config_error(fitted, k):
    from hybrid_rec.errors import ConfigError

    with pytest.raises(ConfigError, match="k must be a positive integer"):
        fitted.recommend(["u1"], k=k)
    with pytest.raises(ConfigError, match="k must be a positive integer"):
        fitted.rerank("u1", ["i1", "i2"], k=k)


def test_a_huge_k_is_capped_at_the_catalog(fitted, shared):
    got = fitted.recommend(["u1"], k=10**12)  # must not try to allocate for 10**12 slots
    assert 0 < len(got) <= shared.data.interactions.n_items
    with pytest.raises(Exception, match="on_unknown"):
        fitted.recommend(["u1"], k=3, on_unknown="bogus")
