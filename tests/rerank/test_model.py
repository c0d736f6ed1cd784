from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import GPT2Config, GPT2LMHeadModel

from hybrid_rec.errors import ConfigError
from hybrid_rec.rerank.model import (
    LMConfig,
    build_model,
    init_item_embeddings,
    predict_item_embeddings,
    resolve_device,
)
from hybrid_rec.rerank.tokenizer import RecTokenizer
from tests.rerank.conftest import TINY_LM


def test_pretrained_round_trip_offline(tokenizer, tmp_path):
    """A 'pretrained' checkpoint (save_pretrained) loads offline and is resized for the item tokens."""
    torch.manual_seed(0)
    pre = GPT2LMHeadModel(
        GPT2Config(vocab_size=tokenizer.base_vocab_size, n_positions=64, n_embd=16, n_layer=1, n_head=2)
    )
    pre.save_pretrained(tmp_path / "pre")
    assert (tmp_path / "pre" / "model.safetensors").is_file()
    model = build_model(LMConfig(pretrained=str(tmp_path / "pre"), init_items_from_als=False), tokenizer).eval()
    assert model.get_input_embeddings().weight.shape[0] == tokenizer.vocab_size
    ids = torch.tensor([[tokenizer.eos_id, 5, 6, 7]])
    with torch.no_grad():
        a = pre.eval()(input_ids=ids).logits[..., : tokenizer.base_vocab_size]
        b = model(input_ids=ids).logits[..., : tokenizer.base_vocab_size]
    torch.testing.assert_close(a, b)
    with pytest.raises(ConfigError, match="cannot load"):
        build_model(LMConfig(pretrained=str(tmp_path / "missing")), tokenizer)


def test_item_embeddings_start_from_als_similarity(tokenizer):
    rng = np.random.default_rng(0)
    factors = rng.standard_normal((30, 8))
    factors[1] = factors[0] * 1.01  # items 0 and 1 are CF twins
    model = build_model(LMConfig(**TINY_LM), tokenizer, item_factors=factors)
    emb = model.get_input_embeddings().weight.detach().numpy()[tokenizer.base_vocab_size :]
    cos = emb @ emb[0] / (np.linalg.norm(emb, axis=1) * np.linalg.norm(emb[0]))
    assert cos[1] > 0.99 and np.argsort(-cos)[1] == 1
    with pytest.raises(ConfigError, match="rows"):
        init_item_embeddings(model, tokenizer, factors[:5], 0)


def test_device_resolution_on_cpu():
    device, dtype = resolve_device(LMConfig())
    assert (device.type, dtype) == (("cuda", dtype) if torch.cuda.is_available() else ("cpu", torch.float32))
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="cuda"):
            resolve_device(LMConfig(device="cuda"))


def test_tokenizer_pretrained_missing_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot load tokenizer"):
        RecTokenizer.from_pretrained(tmp_path / "nothing-here", n_items=3)


def test_tokens_never_learned_get_the_embedding_their_features_predict(tokenizer):
    """Items without interactions: their token embeddings come from a regression, fitted on the learned
    tokens, of embeddings on item features; the learned tokens stay as they are."""
    model = build_model(LMConfig(**TINY_LM), tokenizer)
    emb = model.get_input_embeddings().weight
    n, base = tokenizer.n_items, tokenizer.base_vocab_size
    rng = np.random.default_rng(0)
    features = rng.standard_normal((n, 4)).astype(np.float32)
    true = features @ rng.standard_normal((4, emb.shape[1])).astype(np.float32)
    with torch.no_grad():
        emb[base:] = torch.as_tensor(true)
        emb[base + n - 5 :] = 0.0  # five tokens the LM "never learned"
    learned = np.arange(n) < n - 5
    before = emb.detach()[base:].numpy().copy()
    done = predict_item_embeddings(model, tokenizer, features, learned, 1e-6)
    after = emb.detach()[base:].numpy()
    assert done.tolist() == list(range(n - 5, n))
    assert np.allclose(after[~learned], true[~learned], atol=1e-3)
    assert np.array_equal(after[learned], before[learned])
    with pytest.raises(ConfigError, match="one row per item"):
        predict_item_embeddings(model, tokenizer, features[:3], learned, 1.0)


def test_a_saved_lm_loads_without_from_pretrained(tokenizer, tmp_path, monkeypatch):
    """Reloading a saved reranker must not go through `from_pretrained`'s meta-device construction:
    next to scoring threads (a serving process that reloads) it left lm_head without data in about
    1 load in 12. `load_saved` builds on the CPU and fills from safetensors: same weights, head tied."""
    from transformers import GPT2LMHeadModel

    from hybrid_rec.errors import DataError
    from hybrid_rec.rerank.model import load_saved, save_pretrained

    model = build_model(LMConfig(**TINY_LM), tokenizer).eval()
    save_pretrained(model, tmp_path / "lm")

    def forbidden(*args, **kwargs):
        raise AssertionError("from_pretrained was used to reload a saved LM")

    monkeypatch.setattr(GPT2LMHeadModel, "from_pretrained", forbidden)
    back = load_saved(tmp_path / "lm")
    for (name, a), (_, b) in zip(model.state_dict().items(), back.state_dict().items(), strict=True):
        assert torch.equal(a, b), name
    assert back.lm_head.weight.data_ptr() == back.transformer.wte.weight.data_ptr()  # tied, not a copy
    assert not any(p.is_meta for p in back.parameters())
    (tmp_path / "lm" / "model.safetensors").write_bytes(b"garbage")
    with pytest.raises(DataError, match="cannot read the saved LM"):
        load_saved(tmp_path / "lm")
