"""Every steered list says how its request was read, in Python, REST and the CLI alike."""

from __future__ import annotations

import pytest

from hybrid_rec.api import HybridRecommender
from hybrid_rec.explain import RequestReading
from hybrid_rec.pipeline import HybridPipeline


@pytest.fixture(scope="module")
def pipe(tiny_store) -> HybridPipeline:
    return HybridPipeline.load(tiny_store)


def _genres(pipe: HybridPipeline) -> list[str]:
    return sorted({g for gs in pipe.reranker.catalog.items["genres"] for g in gs})


def test_a_request_is_read_into_what_it_asks_for_and_excludes(pipe):
    first, second = _genres(pipe)[:2]
    reading = pipe.read_request(f"a {first} movie but no {second}")
    assert isinstance(reading, RequestReading) and reading.understood
    assert reading.asked_for == (first,) and reading.excluded == (second,)
    assert reading.note == f"asked for {first}; excluded {second}"
    sure = dict(reading.similarity)  # how sure, per value read: its clause's similarity to it
    assert set(sure) == {first, second} and all(0 < x <= 1 for x in sure.values())
    assert reading.as_dict()["similarity"] == sure
    assert pipe.read_request("  ") is None and pipe.read_request(None) is None


def test_a_request_that_names_nothing_says_so(pipe):
    reading = pipe.read_request("asdf qwerty zxcv")
    assert reading is not None and not reading.understood and not reading.asked_for
    assert "ranked as without a request" in reading.note  # for the LM too: a neutral request changes nothing
    ids = list(pipe.generator.users.ids[:3])
    plain = [[r.item_id for r in recs] for recs in pipe.recommend(ids, 5)]
    assert [[r.item_id for r in recs] for recs in pipe.recommend(ids, 5, request="asdf qwerty zxcv")] == plain


def test_the_python_api_carries_the_reading_beside_the_frame(pipe):
    rec = HybridRecommender(pipe.config)
    rec.pipeline = pipe
    genre = _genres(pipe)[0]
    user = pipe.generator.users.ids[0]
    frame = rec.recommend([user], 3, request=f"a {genre} movie")
    assert frame.attrs["request_reading"]["asked_for"] == [genre]
    assert rec.rerank(user, list(frame["item_id"]), request="asdf")["item_id"].size == 3
    assert rec.rerank(user, list(frame["item_id"]), request="asdf").attrs["request_reading"]["understood"] is False
    assert rec.recommend([user], 3).attrs["request_reading"] is None


def test_rest_answers_carry_the_reading(tiny_store):
    from fastapi.testclient import TestClient

    from hybrid_rec.serve import ServeConfig, create_app
    from hybrid_rec.store import ModelStore

    # a one-version store around the tiny model, as `hybrid-rec train` writes it
    store = tiny_store.parent / "store"
    if not store.exists():
        import shutil

        ModelStore(store).publish(lambda d: shutil.copytree(tiny_store, d, dirs_exist_ok=True), {"applied_offset": 0})
    pipe = HybridPipeline.load(tiny_store)
    genre, user = _genres(pipe)[0], str(pipe.generator.users.ids[0])
    with TestClient(create_app(store, ServeConfig())) as client:
        got = client.post("/recommend", json={"user_id": user, "k": 3, "request": f"a {genre} movie"}).json()
        assert got["request_reading"]["understood"] is True and got["request_reading"]["asked_for"] == [genre]
        assert set(got["request_reading"]["similarity"]) == {genre}  # how sure, in the schema's terms
        plain = client.post("/rerank", json={"user_id": user, "item_ids": [i["item_id"] for i in got["items"]]})
        assert plain.json()["request_reading"] is None
        odd = client.post("/recommend", json={"user_id": user, "k": 3, "request": "asdf qwerty"}).json()
        assert odd["request_reading"]["understood"] is False and odd["request_reading"]["note"]
        schema = client.get("/openapi.json").json()
        assert "request_reading" in schema["components"]["schemas"]["ListBody"]["properties"]
        assert "tentative" in schema["components"]["schemas"]["ReadingBody"]["properties"]  # a guess, said as one
        assert got["request_reading"]["tentative"] == []


def test_the_cli_prints_the_reading(tiny_store):
    from typer.testing import CliRunner

    from hybrid_rec.cli import app

    pipe = HybridPipeline.load(tiny_store)
    genre, user = _genres(pipe)[0], str(pipe.generator.users.ids[0])
    args = ["recommend", "--model", str(tiny_store), "--user", user, "--k", "2", "--request"]
    read = CliRunner().invoke(app, [*args, f"a {genre} movie"])
    assert read.exit_code == 0, read.output
    assert f"request read as: asked for {genre}" in read.output
    missed = CliRunner().invoke(app, [*args, "asdf qwerty"])
    assert "request not understood: named no category" in missed.output


def test_a_request_read_as_nothing_keeps_the_weights_of_a_list_without_one(pipe):
    """The request fusion is fitted on requests the parser reads; a request it reads as nothing ("surprise
    me", nonsense) is still read by the LM, but under the weights of a list without a request, so it does
    not reshuffle the list by weights fitted for another case."""
    import numpy as np

    state = pipe.fitted
    assert state.request_fusion is not None and state.request_fusion.weights != state.fusion.weights
    users = np.arange(4)
    for request, fusion in [("asdf qwerty zxcv", state.fusion), (f"a {_genres(pipe)[0]} movie", state.request_fusion)]:
        query = state.query(users, [request] * len(users))
        items, _ = state.first_stage(query, 20)
        scored = state.score(query, items)
        _, fused = state.rank(query, scored, 5)
        features = dict(scored.features)
        features.setdefault("request", np.full(items.shape, np.nan))
        want = fusion.transform(features, items)
        keep = ~scored.excluded & (items >= 0)
        np.testing.assert_allclose(fused[keep], want[keep])


def test_a_rejection_the_parser_cannot_place_is_not_read_by_the_lm_as_a_wish(pipe):
    """The LM does not read negation: a rejection the parser could not place ("qwop zlorf is not for me")
    would push the list toward its words, so the LM does not read it and the list is the one without a
    request; a request without a rejection that names nothing is still read by the LM."""
    import numpy as np

    state = pipe.fitted
    users = np.arange(3)
    rejecting = state.query(users, ["qwop zlorf is not for me"] * 3)
    assert rejecting.asked == [None] * 3 and not rejecting.understood.any()
    assert state.query(users, ["qwop zlorf"] * 3).asked == [None] * 3
    ids = list(pipe.generator.users.ids[:3])
    plain = [[r.item_id for r in recs] for recs in pipe.recommend(ids, 5)]
    assert [[r.item_id for r in recs] for recs in pipe.recommend(ids, 5, request="qwop zlorf is not for me")] == plain
    assert "nothing excluded; ranked as without a request" in pipe.read_request("qwop zlorf is not for me").note
