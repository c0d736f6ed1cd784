from __future__ import annotations

import numpy as np
import pytest

from hybrid_rec.errors import ConfigError
from hybrid_rec.rerank.scorer import LMScorer


@pytest.fixture()
def scorer(tiny_model, tokenizer):
    return LMScorer(tiny_model, tokenizer, batch_size=8)


def prompt_and_candidates(tokenizer, n=20, seed=0):
    rng = np.random.default_rng(seed)
    prompt = [tokenizer.eos_id, *rng.integers(0, tokenizer.vocab_size, 30).tolist()]
    conts = [[tokenizer.item_token_id(i % 30), *tokenizer.encode_text(" Toy Story")[: 1 + i % 4]] for i in range(n)]
    return prompt, conts


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_prefix_cache_equals_naive_scoring(scorer, tokenizer, reduction):
    prompt, conts = prompt_and_candidates(tokenizer, n=21)  # more than one batch, ragged lengths
    cached = scorer.score(prompt, conts, reduction)
    naive = np.array([scorer.score_naive(prompt, c, reduction) for c in conts])
    np.testing.assert_allclose(cached, naive, atol=1e-4)


def test_item_mode_reads_one_distribution(scorer, tokenizer):
    prompt, _ = prompt_and_candidates(tokenizer)
    items = [[tokenizer.item_token_id(i)] for i in range(30)]
    np.testing.assert_allclose(
        scorer.score(prompt, items, "item"), [scorer.score_naive(prompt, c) for c in items], atol=1e-4
    )
    assert np.exp(scorer.item_logprobs([prompt])[0]).sum() < 1.0  # items share the vocabulary with text
    with pytest.raises(ConfigError):
        scorer.score(prompt, [[tokenizer.item_token_id(1), 5]], "item")


def test_batched_left_padded_prompts_equal_single(scorer, tokenizer):
    prompts = [prompt_and_candidates(tokenizer, seed=s)[0][: 5 + 7 * s] for s in range(4)]
    batch = scorer.item_logprobs(prompts)
    for r, p in enumerate(prompts):
        np.testing.assert_allclose(batch[r], scorer.item_logprobs([p])[0], atol=1e-5)


def test_long_prompts_are_truncated_to_fit(scorer, tokenizer):
    prompt, conts = prompt_and_candidates(tokenizer)
    long_prompt = prompt * 10  # 310 tokens > n_positions 64
    out = scorer.score(long_prompt, conts, "sum")
    assert np.isfinite(out).all()
    longest = max(len(c) for c in conts)  # the prompt keeps its last (n_positions - longest) tokens
    np.testing.assert_allclose(out[0], scorer.score_naive(long_prompt[-(64 - longest) :], conts[0]), atol=1e-4)
    assert np.isfinite(scorer.item_logprobs([long_prompt])).all()
