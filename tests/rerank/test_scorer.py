from __future__ import annotations

import numpy as np
import pytest
import torch

from hybrid_rec.errors import ConfigError
from hybrid_rec.rerank.model import LMConfig, build_model
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


def test_item_mode_reads_one_distribution(scorer, tokenizer, tiny_model):
    prompt, _ = prompt_and_candidates(tokenizer)
    items = [[tokenizer.item_token_id(i)] for i in range(30)]
    np.testing.assert_allclose(
        scorer.score(prompt, items, "item"), [scorer.score_naive(prompt, c) for c in items], atol=1e-4
    )
    # the item scores are the item slice of the full next-token log-softmax (items share it with text)
    with torch.no_grad():
        logits = tiny_model(input_ids=torch.tensor([prompt])).logits[0, -1].double()
    full = torch.log_softmax(logits, dim=-1).numpy()
    np.testing.assert_allclose(scorer.item_logprobs([prompt])[0], full[tokenizer.base_vocab_size :], atol=1e-5)
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


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_prefix_cache_equals_naive_scoring_at_the_default_model_size(tokenizer, reduction):
    """The README's 1e-4 claim at the size actually trained by default (LMConfig()), not only the
    1-layer test model: a random model of that size, prompts near its context length."""
    torch.manual_seed(0)
    config = LMConfig(dropout=0.0, init_items_from_als=False)
    model = build_model(config, tokenizer).eval()
    assert (model.config.n_layer, model.config.n_embd) == (LMConfig().n_layer, LMConfig().n_embd)
    scorer = LMScorer(model, tokenizer, batch_size=4)
    rng = np.random.default_rng(1)
    prompt = [tokenizer.eos_id, *rng.integers(0, tokenizer.vocab_size, config.n_positions - 10).tolist()]
    conts = [[tokenizer.item_token_id(i), *tokenizer.encode_text(" Heat (1995)")[: 1 + i % 5]] for i in range(9)]
    cached = scorer.score(prompt, conts, reduction)
    naive = np.array([scorer.score_naive(prompt, c, reduction) for c in conts])
    np.testing.assert_allclose(cached, naive, atol=1e-4)


def test_scorer_defaults_and_dtype(tiny_model, tokenizer):
    s = LMScorer(tiny_model, tokenizer)
    assert s.batch_size == 64 and s.n_positions == 64
    assert s.device == torch.device("cpu") and s.dtype == torch.float32
    assert s.model is tiny_model and not s.model.training
    tiny_model.train()
    assert not LMScorer(tiny_model, tokenizer).model.training  # scoring is always in eval mode
    import copy

    double = LMScorer(copy.deepcopy(tiny_model), tokenizer, dtype=torch.float64)
    assert double.dtype == torch.float64 and next(double.model.parameters()).dtype == torch.float64
    prompt, conts = prompt_and_candidates(tokenizer)
    np.testing.assert_allclose(double.score(prompt, conts[:3]), s.score(prompt, conts[:3]), atol=1e-4)


def test_prompts_keep_their_last_tokens(scorer):
    prompt = list(range(100))
    assert scorer._fit(prompt) == list(range(37, 100))  # n_positions 64 - 1 reserved for the next token
    assert scorer._fit(prompt, reserve=10) == list(range(46, 100))
    assert scorer._fit(prompt[:63]) == prompt[:63]  # exactly the budget: unchanged
    assert scorer._fit((5, 6)) == [5, 6]
    with pytest.raises(ConfigError, match="^empty prompt$"):
        scorer._fit([])
