from __future__ import annotations

import pytest

from hybrid_rec.rerank.model import LMConfig, build_model
from hybrid_rec.rerank.tokenizer import RecTokenizer
from tests.factory import tiny_lm

TINY_LM = tiny_lm(n_positions=64)  # the tiny GPT-2 with short windows: the toy histories here are short


@pytest.fixture(scope="session")
def tokenizer() -> RecTokenizer:
    texts = ["Toy Story (1995); Animation, Comedy", "Heat (1995); Action, Crime", "The user watched"] * 5
    return RecTokenizer.train_bpe(texts, n_items=30, vocab_size=300)


@pytest.fixture(scope="session")
def tiny_model(tokenizer):
    return build_model(LMConfig(**TINY_LM), tokenizer).eval()
