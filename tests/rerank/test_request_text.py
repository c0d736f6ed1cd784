"""Requests read as sentences (`hybrid_rec.rerank.request_text`): the request's encoder vector joins the
prompt's last position (input and output), so a request reaches the LM whether or not the intent
parser read it, and the model that learned it saves and loads with it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hybrid_rec.errors import DataError
from hybrid_rec.pipeline import HybridPipeline
from hybrid_rec.rerank.examples import Example
from hybrid_rec.rerank.item_text import ItemRows
from hybrid_rec.rerank.losses import _with_match
from hybrid_rec.rerank.model import load_saved
from hybrid_rec.rerank.request_text import (
    SCALE_GAIN,
    RequestMatch,
    RequestVectors,
    request_match_of,
    request_text_of,
)
from hybrid_rec.text import TextEncoderConfig


@pytest.fixture(scope="module")
def pipe(tiny_store) -> HybridPipeline:
    return HybridPipeline.load(tiny_store)


def test_the_trained_lm_reads_request_vectors_and_they_move_its_scores(pipe):
    reranker = pipe.reranker
    reader = request_text_of(reranker.model)
    assert reranker.reads_requests and reader is not None
    assert all(float(w.detach().abs().sum()) > 0 for w in (reader.proj.weight, reader.head.weight))  # trained
    users = np.arange(4)
    plain = reranker.item_logprobs(users, ["a quiet evening"] * 4)
    # the same prompt with the vector withheld: the difference is the vector's alone
    instructions = reranker.instructions(users, ["a quiet evening"] * 4)
    prompts = [reranker._encode(i) for i in instructions]
    without = reranker.scorer.item_logprobs(prompts, None)
    assert not np.allclose(plain, without)
    np.testing.assert_allclose(reranker.scorer.item_logprobs(prompts, np.zeros((4, reader.dim), np.float32)), without,
                               rtol=0, atol=1e-5)  # fmt: skip


def test_a_request_read_as_nothing_is_no_request_for_the_lm(pipe):
    """A request the reader understood nothing of ("surprise me", nonsense, what the catalog lacks) leaves
    the list as it was: the LM does not read its words either."""
    state = pipe.fitted
    users = np.array([0, 1])
    query = state.query(users, ["asdf qwerty zxcv", None])
    assert query.intents == [None, None] and query.asked == [None, None]
    assert query.instructions[0].request is None
    items = np.tile(np.arange(10), (2, 1))
    lm = state.score(query, items).features["lm"]
    plain = state.score(state.query(users), items).features["lm"]
    assert np.array_equal(lm, plain)


def test_the_request_reader_saves_and_loads_with_the_model(pipe, tmp_path):
    reranker = pipe.reranker
    reranker.save(tmp_path / "r")
    again = load_saved(tmp_path / "r" / "model")
    for name, value in request_text_of(reranker.model).state_dict().items():
        torch.testing.assert_close(request_text_of(again).state_dict()[name], value)


def test_vectors_are_cached_and_an_encoder_of_another_width_is_refused(pipe):
    vectors = RequestVectors(TextEncoderConfig(kind="hashing", dim=16), capacity=2)
    out = vectors(["a", None, "b", "a"])
    assert out.shape == (4, 16) and not out[1].any() and np.array_equal(out[0], out[3])
    vectors(["c"])
    assert list(vectors._cache) == ["a", "c"]  # "b" was the least recently used ("a" was read after it)
    assert vectors([None, ""]) is None
    reranker = pipe.reranker
    wrong = reranker.request_vectors
    reranker.request_vectors = RequestVectors(TextEncoderConfig(kind="hashing", dim=7))
    try:
        with pytest.raises(DataError, match="encoder the model was trained with"):
            reranker.item_logprobs(np.array([0]), ["a comedy"])
    finally:
        reranker.request_vectors = wrong


# ---------------------------------------------------------------- the request x item-text match


def test_the_match_term_is_the_bilinear_of_request_and_item_text():
    rng = np.random.default_rng(0)
    items = torch.as_tensor(rng.normal(size=(5, 8)), dtype=torch.float32)
    match = RequestMatch(items, rank=3)
    with torch.no_grad():
        match.scale.fill_(2.0)
        match.query.weight.copy_(torch.as_tensor(rng.normal(size=(3, 8))))
        match.key.weight.copy_(torch.as_tensor(rng.normal(size=(3, 8))))
    v = torch.as_tensor(rng.normal(size=(2, 8)), dtype=torch.float32)
    expected = SCALE_GAIN * 2.0 * v @ items.T + (v @ match.query.weight.T) @ (items @ match.key.weight.T).T
    torch.testing.assert_close(match.bias(v), expected)
    assert match.bias(torch.zeros(1, 8)).abs().max() == 0, "no request, no term"
    assert match.bias(v, n_items=7).shape == (2, 7) and match.bias(v, n_items=7)[:, 5:].abs().max() == 0
    match.grow(np.ones((2, 8), np.float32))
    assert match.n_items == 7 and match.bias(v)[:, 5:].abs().max() > 0, "grown items are matched by their text"


def test_the_item_losses_see_the_match_term_at_the_request_position_only():
    rng = np.random.default_rng(1)
    match = RequestMatch(torch.as_tensor(rng.normal(size=(6, 4)), dtype=torch.float32), rank=2)
    with torch.no_grad():
        match.scale.fill_(1.5)
        match.query.weight.normal_()
    hidden = torch.as_tensor(rng.normal(size=(2, 5, 3)), dtype=torch.float32)
    rows = ItemRows(torch.as_tensor(rng.normal(size=(6, 3)), dtype=torch.float32), None)
    vector = rng.normal(size=4).astype(np.float32)
    part = [Example(np.arange(5), np.array([[1, 2], [3, 4]]), np.empty(0), "x", vector),
            Example(np.arange(5), np.array([[3, 0]]), np.empty(0))]  # fmt: skip
    h, items = _with_match(hidden, part, match, rows)
    logits = h @ items.matrix().T
    plain = hidden @ rows.matrix().T
    torch.testing.assert_close(logits[0, 3], plain[0, 3] + match.bias(torch.as_tensor(vector)[None])[0])
    torch.testing.assert_close(logits[0, :3], plain[0, :3])  # other positions, the other window: unchanged
    torch.testing.assert_close(logits[1], plain[1])


def test_the_trained_lm_adds_its_match_term_to_the_item_logits(pipe, monkeypatch):
    reranker = pipe.reranker
    match = request_match_of(reranker.model)
    assert match is not None and match.n_items == reranker.tokenizer.n_items
    assert float(match.scale.detach().abs()) > 0 or float(match.query.weight.detach().abs().sum()) > 0  # trained
    users = np.arange(3)
    instructions = reranker.instructions(users, ["a quiet evening"] * 3)
    prompts = [reranker._encode(i) for i in instructions]
    vectors = reranker._request_rows(instructions)
    asked = reranker.scorer.item_logprobs(prompts, vectors)
    monkeypatch.setattr("hybrid_rec.rerank.scorer.request_match_of", lambda model: None)
    without = reranker.scorer.item_logprobs(prompts, vectors)
    gap = asked - without - match.bias(torch.as_tensor(vectors)).detach().numpy()
    np.testing.assert_allclose(gap - gap[:, :1], 0, atol=1e-4)  # the bias, up to each row's normaliser


def test_the_match_saves_and_loads_with_the_model(pipe, tmp_path):
    reranker = pipe.reranker
    reranker.save(tmp_path / "r")
    again = request_match_of(load_saved(tmp_path / "r" / "model"))
    assert again is not None
    for name, value in request_match_of(reranker.model).state_dict().items():
        torch.testing.assert_close(again.state_dict()[name], value)
