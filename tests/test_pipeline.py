from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from hybrid_rec.cli import app
from hybrid_rec.errors import ConfigError, DataError, NotFittedError, UnknownIdError
from hybrid_rec.pipeline import HybridPipeline
from hybrid_rec.store import ModelStore
from tests.factory import tiny_config


def live(store_dir):
    return ModelStore(store_dir).current().path / "model"


def features(pipe, users, requests=None):
    """The first stage's candidates of internal `users` and their features, through the one scoring path."""
    state = pipe.fitted
    query = state.query(users, requests)
    items, _ = state.first_stage(query, pipe.config.n_candidates)
    return state.score(query, items).features, items


@pytest.fixture(scope="module")
def trained_dir(tiny_models, tmp_path_factory):
    """A model store holding the shared tiny model as version 1 (what `hybrid-rec train --out` leaves)."""
    return tiny_models().publish(tmp_path_factory.mktemp("model") / "m").root


def test_train_writes_a_loadable_pipeline_without_pickle(trained_dir):
    files = {p.name for p in trained_dir.rglob("*") if p.is_file()}
    assert {"pipeline.json", "fusion.json", "model.safetensors", "tokenizer.json", "als.npz", "index.faiss"} <= files
    assert not [f for f in files if f.endswith((".pkl", ".pt", ".bin"))]
    assert ModelStore(trained_dir).current().version == 1 and (trained_dir / "CURRENT").read_text() == "1"


def test_recommend_explains_and_save_load_is_identical(trained_dir, tmp_path):
    pipe = HybridPipeline.load(live(trained_dir))
    recs = pipe.recommend(["u1"], 5)[0]
    assert [r.rank for r in recs] == [1, 2, 3, 4, 5]
    assert all(np.isfinite(r.lm_score) and r.sources and r.instruction.startswith("Instruction") for r in recs)
    assert [r.score for r in recs] == sorted((r.score for r in recs), reverse=True)
    seen = set(pipe.generator.items.to_external(pipe.generator.seen(pipe.generator.users.to_internal(["u1"])).indices))
    assert not {r.item_id for r in recs} & seen
    pipe.save(tmp_path / "again")
    again = HybridPipeline.load(tmp_path / "again").recommend(["u1"], 5)[0]
    assert [(r.item_id, r.score) for r in again] == [(r.item_id, r.score) for r in recs]
    with_request = pipe.recommend(["u1"], 5, request="a comedy movie")[0]
    assert "asks for a comedy movie" in with_request[0].instruction


def test_unknown_users(trained_dir):
    pipe = HybridPipeline.load(live(trained_dir))
    with pytest.raises(UnknownIdError):
        pipe.recommend(["nobody"], 3)
    assert pipe.recommend(["nobody"], 3, on_unknown="skip") == []
    cold = pipe.recommend(["nobody"], 3, on_unknown="fallback")[0]
    assert len(cold) == 3 and all(r.sources == ("popularity",) for r in cold)
    with pytest.raises(NotFittedError):
        HybridPipeline().recommend(["u1"], 3)


def test_cli_recommend(trained_dir):
    result = CliRunner().invoke(app, ["recommend", "--model", str(trained_dir), "--user", "u2", "--k", "3"])
    assert result.exit_code == 0, result.output
    assert (
        "instruction:" in result.output
        and len([ln for ln in result.output.splitlines() if ln.strip()[:1].isdigit()]) == 3
    )
    bad = CliRunner().invoke(app, ["recommend", "--model", str(trained_dir), "--user", "ghost"])
    assert bad.exit_code == 2 and "ghost" in bad.output
    missing = CliRunner().invoke(app, ["recommend", "--model", str(trained_dir.parent / "nope"), "--user", "u2"])
    assert missing.exit_code == 2 and "not a saved HybridPipeline" in missing.output
    plain = CliRunner().invoke(app, ["recommend", "--model", str(live(trained_dir)), "--user", "u2", "--k", "2"])
    assert plain.exit_code == 0, plain.output  # a plain pipeline directory works too


def test_rerank_external_candidates(trained_dir):
    # --- the README example, verbatim in spirit: candidates from another system, reranked ---
    pipe = HybridPipeline.load(live(trained_dir))
    their_candidates = ["i3", "i7", "i11", "not-in-our-catalog", "i20"]
    ranked = pipe.rerank("u1", their_candidates, k=3)
    assert [r.rank for r in ranked] == [1, 2, 3]
    assert {r.item_id for r in ranked} <= set(their_candidates) - {"not-in-our-catalog"}
    assert all(np.isfinite(r.score) and "lm" not in r.cf_scores for r in ranked)
    full = pipe.rerank("u1", their_candidates, on_unknown_items="fallback")
    seen = pipe.left_out("u1", their_candidates, on_unknown_items="fallback")  # what u1 already has: left out
    assert all(why == "seen" for _, why in seen)
    assert full[-1].item_id == "not-in-our-catalog" and np.isnan(full[-1].score) and len(full) == 5 - len(seen)
    assert [r.item_id for r in full[:3]] == [r.item_id for r in ranked]  # k only truncates
    with pytest.raises(UnknownIdError):
        pipe.rerank("u1", their_candidates, on_unknown_items="raise")
    cold = pipe.rerank("someone-new", ["i3", "i7"])
    assert len(cold) == 2 and all(set(r.cf_scores) <= {"popularity"} for r in cold)
    with pytest.raises(DataError, match="unique"):
        pipe.rerank("u1", ["i3", "i3"])
    # no candidate the model knows: nothing to score, and the policy still decides the rest
    assert pipe.rerank("u1", ["nope", "nada"]) == []
    kept = pipe.rerank("u1", ["nope", "nada"], k=1, on_unknown_items="fallback")
    assert [(r.item_id, r.rank) for r in kept] == [("nope", 1)] and np.isnan(kept[0].score)
    with pytest.raises(ConfigError, match="now called 'fallback'"):
        pipe.rerank("u1", their_candidates, on_unknown_items="last")


def test_requests_use_their_own_fusion_weights(trained_dir):
    pipe = HybridPipeline.load(live(trained_dir))
    assert pipe.request_fusion is not None and pipe.request_fusion.weights  # synthetic catalog has genres
    assert (live(trained_dir) / "fusion_request.json").is_file()


def test_a_request_reaches_the_lm_scores(trained_dir):
    """The request is part of what the LM scores (not only of the rendered instruction): the LM scores
    behind recommend / rerank / features are the request-conditioned ones, and differ from the plain ones."""
    pipe = HybridPipeline.load(live(trained_dir))
    req = "a comedy movie"
    users = pipe.generator.users.to_internal(["u1"])
    asked = pipe.recommend(["u1"], 5, request=req)[0]
    items = pipe.generator.items.to_internal([r.item_id for r in asked])
    with_request = pipe.reranker.score(users, items[None, :], [req])[0]
    without = pipe.reranker.score(users, items[None, :])[0]
    np.testing.assert_allclose([r.lm_score for r in asked], with_request, rtol=1e-6)
    assert np.abs(with_request - without).max() > 1e-4
    asked_features, cands = features(pipe, users, requests=[req])
    plain, _ = features(pipe, users)
    assert "request" in asked_features and "request" not in plain  # the request also becomes a match signal
    np.testing.assert_allclose(asked_features["lm"], pipe.reranker.score(users, cands, [req]), rtol=1e-6)
    assert np.abs(asked_features["lm"] - pipe.reranker.score(users, cands)).max() > 1e-4
    reranked = pipe.rerank("u1", ["i3", "i7", "i11"], request=req)
    direct = pipe.reranker.score(users, pipe.generator.items.to_internal([r.item_id for r in reranked])[None, :], [req])
    np.testing.assert_allclose([r.lm_score for r in reranked], direct[0], rtol=1e-6)


def test_mmr_in_the_pipeline(trained_dir):
    """`fusion.mmr_lambda` reorders the fused candidates by MMR over the ALS item factors."""
    from hybrid_rec.rerank.fusion import mmr, rank

    pipe = HybridPipeline.load(live(trained_dir))
    users = pipe.generator.users.to_internal([f"u{n}" for n in range(12)])
    scores, items = features(pipe, users)
    fused = pipe.fusion.transform(scores, items)
    plain = pipe.recommend_internal(users, 5).items
    assert np.array_equal(plain, rank(items, fused, 5).items)
    fusion = pipe.config.fusion.model_copy(update={"mmr_lambda": 0.3})
    pipe.config = pipe.config.model_copy(update={"fusion": fusion})
    diverse = pipe.recommend_internal(users, 5).items
    factors = pipe.generator.als.item_factors
    assert np.array_equal(diverse, mmr(items, fused, factors, 5, 0.3).items)
    assert not np.array_equal(diverse, plain)
    unit = factors / np.linalg.norm(factors, axis=1, keepdims=True)

    def similarity(top):  # mean pairwise cosine similarity within each list
        return np.mean([(unit[r] @ unit[r].T).sum() - len(r) for r in top]) / (5 * 4)

    assert similarity(diverse) < similarity(plain)
    recs = pipe.recommend([f"u{n}" for n in range(12)], 5)
    assert [[r.item_id for r in user] for user in recs] == [list(pipe.generator.items.to_external(r)) for r in diverse]


def _share(pipe, recs, genre: str) -> float:
    items = [r.item_id for user in recs for r in user]
    return float(np.mean([genre in pipe.reranker.catalog.item(i)["genres"] for i in items]))


def test_a_request_moves_the_list_toward_what_it_asks(trained_dir):
    """The user-visible effect of a request: the share of the asked genre in the top 5 (candidates,
    the match feature and the request fusion weights together), for every genre of the catalog."""
    pipe = HybridPipeline.load(live(trained_dir))
    users = [f"u{n}" for n in range(1, 25)]
    genres = sorted({g for gs in pipe.reranker.catalog.items["genres"] for g in gs})
    assert len(genres) >= 3
    for genre in genres:
        base = _share(pipe, pipe.recommend(users, 5), genre)
        asked = _share(pipe, pipe.recommend(users, 5, request=f"a {genre} movie"), genre)
        assert asked >= 0.9 and asked > base, (genre, base, asked)


def test_a_negative_request_keeps_the_genre_out(trained_dir):
    pipe = HybridPipeline.load(live(trained_dir))
    users = [f"u{n}" for n in range(1, 25)]
    genre = pipe.reranker.catalog.items["genres"].iloc[0][0]
    assert _share(pipe, pipe.recommend(users, 5), genre) > 0
    recs = pipe.recommend(users, 5, request=f"no {genre}")
    assert _share(pipe, recs, genre) == 0 and all(len(r) == 5 for r in recs)  # refilled, never shortened
    reranked = pipe.rerank("u1", list(pipe.generator.items.ids[:30]), request=f"nothing {genre}")
    assert reranked and all(genre not in pipe.reranker.catalog.item(r.item_id)["genres"] for r in reranked)


def test_an_empty_request_acts_as_none_and_a_nonsense_one_only_reaches_the_lm(trained_dir):
    """A blank request is no request. One the parser cannot read filters and boosts nothing (no
    request feature, nothing excluded), but the LM, which reads every request, reads its words."""
    pipe = HybridPipeline.load(live(trained_dir))
    users = ["u1", "u2", "u3"]
    plain = [[(r.item_id, r.score, r.lm_score) for r in u] for u in pipe.recommend(users, 5)]
    for request in ("", "   "):
        got = [[(r.item_id, r.score, r.lm_score) for r in u] for u in pipe.recommend(users, 5, request=request)]
        assert got == plain, request
    nonsense = pipe.recommend(users, 5, request="asdf qwerty zxcv")
    assert all(len(u) == 5 and not any("request" in r.sources for r in u) for u in nonsense)
    assert pipe.reranker.reads_requests
    lm_plain = pipe.reranker.score(np.arange(3), np.tile(np.arange(5), (3, 1)))
    lm_read = pipe.reranker.score(np.arange(3), np.tile(np.arange(5), (3, 1)), ["asdf qwerty zxcv"] * 3)
    assert not np.allclose(lm_plain, lm_read)


def test_session_items_reach_the_prompt_and_leave_the_list(trained_dir):
    from hybrid_rec.session import Session

    pipe = HybridPipeline.load(live(trained_dir))
    plain = pipe.recommend(["u1"], 8)[0]
    recent, banned = plain[0].item_id, plain[1].item_id
    session = Session.of(recent=[recent], exclude=[banned, "not-an-item"])
    got = pipe.recommend(["u1"], 8, session=session)[0]
    assert not {recent, banned} & {r.item_id for r in got} and len(got) == 8
    text = pipe.reranker.verbalizer.text_of(recent)
    assert got[0].instruction.endswith(f"[{text}]") and not plain[0].instruction.endswith(f"[{text}]")  # newest last
    shared = {r.item_id for r in got} & {r.item_id for r in plain}
    lm_plain, lm_session = ({r.item_id: r.lm_score for r in recs} for recs in (plain, got))
    assert any(abs(lm_plain[i] - lm_session[i]) > 1e-4 for i in shared)  # the LM read the session
    reranked = pipe.rerank("u1", [r.item_id for r in plain], session=session)
    assert {r.item_id for r in reranked} == {r.item_id for r in plain} - {recent, banned}


def test_more_like_and_less_like_steer_the_next_list(trained_dir):
    """Averaged over anchor items (the session term is fitted, so one anchor of a tiny model may go
    either way): "more like X" raises the share of X's genre in the top 5, "less like X" lowers it."""
    from hybrid_rec.session import Session

    pipe = HybridPipeline.load(live(trained_dir))
    catalog = pipe.reranker.catalog
    users = [f"u{n}" for n in range(1, 25)]
    shares = []
    for anchor in catalog.items.index[:6]:
        genre = catalog.item(anchor)["genres"][0]
        base = _share(pipe, pipe.recommend(users, 5), genre)
        more = _share(pipe, pipe.recommend(users, 5, session=Session.of(more_like=[anchor])), genre)
        less = _share(pipe, pipe.recommend(users, 5, session=Session.of(less_like=[anchor])), genre)
        shares.append((less, base, more))
    less, base, more = np.mean(shares, axis=0)
    assert less < base < more, shares
    anchor = catalog.items.index[0]
    genre = catalog.item(anchor)["genres"][0]
    said = _share(pipe, pipe.recommend(users, 5, request=f"more like {catalog.item(anchor)['title']}"), genre)
    assert said > _share(pipe, pipe.recommend(users, 5), genre)  # the same, said in words


def test_users_the_model_lacks_still_get_their_session_and_request(trained_dir):
    from hybrid_rec.session import Session

    pipe = HybridPipeline.load(live(trained_dir))
    plain = [r.item_id for r in pipe.recommend(["newcomer"], 5, on_unknown="fallback")[0]]
    session = Session.of(exclude=[plain[0]], recent=[plain[1]])
    got = [r.item_id for r in pipe.recommend(["newcomer"], 5, session=session, on_unknown="fallback")[0]]
    assert len(got) == 5 and not {plain[0], plain[1]} & set(got)
    genre = pipe.reranker.catalog.items["genres"].iloc[0][0]
    asked = pipe.recommend(["newcomer"], 5, request=f"a {genre} movie", on_unknown="fallback")[0]
    assert all(genre in pipe.reranker.catalog.item(r.item_id)["genres"] for r in asked)
    avoided = pipe.recommend(["newcomer"], 5, request=f"no {genre}", on_unknown="fallback")[0]
    assert len(avoided) == 5 and not any(genre in pipe.reranker.catalog.item(r.item_id)["genres"] for r in avoided)


def test_unknown_more_like_ids_change_nothing(trained_dir):
    from hybrid_rec.session import Session

    pipe = HybridPipeline.load(live(trained_dir))
    plain = [(r.item_id, r.score) for r in pipe.recommend(["u1"], 5)[0]]
    got = [(r.item_id, r.score) for r in pipe.recommend(["u1"], 5, session=Session.of(more_like=["no-such"]))[0]]
    assert got == plain


@pytest.mark.slow
def test_items_nobody_used_are_ranked_for_the_users_their_text_suits():
    """Cold items (all their rows held out) are scored by the vectors and item tokens their text
    predicts: ranked over the cold items alone, the first is of the user's own group (genres name it)."""
    import scipy.sparse as sp

    from hybrid_rec.data.splits import cold_item_split
    from hybrid_rec.data.synthetic import make_synthetic

    ds = make_synthetic(n_users=150, n_items=60, n_clusters=3, interactions_per_user=14, seed=11)
    split = cold_item_split(ds.interactions, 0.2, seed=2)
    pipe = HybridPipeline(tiny_config()).fit(split.train, ds.catalog, valid=split.valid)
    warm = split.train.item_counts() > 0
    users = np.arange(len(pipe.generator.users))
    only_cold = sp.csr_matrix(np.broadcast_to(warm, (len(users), len(warm))).astype(np.float32))
    top = pipe.recommend_internal(users, 3, exclude=only_cold)
    assert (top.items >= 0).all() and not warm[top.items].any()
    assert np.isfinite(pipe.reranker.score(users[:5], top.items[:5])).all()  # the LM scores them too
    truth = ds.truth
    assert (truth.item_group[top.items[:, 0]] == truth.user_cluster[users]).mean() > 0.8  # chance: 1/3


def test_items_add_from_a_csv_publishes_a_version_with_them(trained_dir, tmp_path):
    import shutil

    store = tmp_path / "store"
    shutil.copytree(trained_dir, store)
    csv = tmp_path / "items.csv"
    csv.write_text("item_id,title,year,genres\nnew-1,Fresh start,2024,comedy|drama\n")
    result = CliRunner().invoke(app, ["items", "add", str(csv), "--model", str(store)])
    assert result.exit_code == 0, result.output
    assert "1 items described, 1 new; published version 2" in result.output
    pipe = HybridPipeline.load(ModelStore(store).current().path / "model")
    assert pipe.reranker.catalog is not None and pipe.reranker.catalog.item("new-1")["genres"] == ("comedy", "drama")
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,title\nx,y\n")
    assert CliRunner().invoke(app, ["items", "add", str(bad), "--model", str(store)]).exit_code == 2


@pytest.mark.slow
def test_validation_users_samples_whose_rows_early_stopping_and_fusion_read(synthetic, monkeypatch):
    """With validation_users = 40, the LM's early stopping and the fusion fit each read exactly the
    rows of the same 40 validation users (all of those users' rows); unset, every validation user."""
    from hybrid_rec import pipeline as pipeline_mod
    from hybrid_rec.data.splits import leave_last_out, sample_user_rows
    from hybrid_rec.rerank.fusion import LinearFusion
    from hybrid_rec.rerank.reranker import GPT2Reranker

    split = leave_last_out(synthetic.interactions)
    read: dict[str, np.ndarray] = {}
    real_train, real_fit = GPT2Reranker.fit, LinearFusion.fit

    def train_spy(self, train, catalog=None, *, valid=None, **kwargs):
        read["lm"] = np.unique(valid.user)
        return real_train(self, train, catalog, valid=valid, **kwargs)

    def fit_spy(self, features, items, target):
        read.setdefault("fusion_rows", target.shape[0])
        return real_fit(self, features, items, target)

    monkeypatch.setattr(GPT2Reranker, "fit", train_spy)
    monkeypatch.setattr(LinearFusion, "fit", fit_spy)
    config = tiny_config({"validation_users": 40})
    HybridPipeline(config).fit(split.train_valid, synthetic.catalog, valid=split.test)
    assert len(read["lm"]) == 40 and read["fusion_rows"] == 40
    sampled = sample_user_rows(split.test, 40, config.reranker.trainer.seed)
    assert np.array_equal(np.unique(sampled.user), read["lm"])
    assert len(sampled) == int(np.isin(split.test.user, read["lm"]).sum())  # every row of those users
    assert sample_user_rows(split.test, None, 0) is split.test
    assert sample_user_rows(split.test, 10**6, 0) is split.test
    read.clear()  # the LM trained on its own (compare's shared stages) samples the same way
    generator = pipeline_mod.fit_generator(config.candidates, split.train_valid, None, synthetic.catalog)
    pipeline_mod.train_reranker(config.lm_stage, generator, split.train_valid, synthetic.catalog, split.test)
    assert np.array_equal(read["lm"], np.unique(sampled.user))
