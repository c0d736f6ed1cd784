"""Requests read as sentences (`hybrid_rec.rerank.request_text`): the request's encoder vector joins the
prompt's last position (input and output), so a request reaches the LM whether or not the intent
parser read it, and the model that learned it saves and loads with it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hybrid_rec.errors import DataError
from hybrid_rec.pipeline import HybridPipeline
from hybrid_rec.rerank.model import load_saved
from hybrid_rec.rerank.request_text import RequestVectors, request_text_of
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


def test_a_request_the_parser_cannot_read_still_reaches_the_lm(pipe):
    state = pipe.fitted
    users = np.array([0, 1])
    query = state.query(users, ["asdf qwerty zxcv", None])
    assert query.intents == [None, None] and query.asked == ["asdf qwerty zxcv", None]
    assert query.instructions[0].request == "asdf qwerty zxcv" and query.instructions[1].request is None
    items = np.tile(np.arange(10), (2, 1))
    lm = state.score(query, items).features["lm"]
    plain = state.score(state.query(users), items).features["lm"]
    assert not np.allclose(lm[0], plain[0]) and np.array_equal(lm[1], plain[1])


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
