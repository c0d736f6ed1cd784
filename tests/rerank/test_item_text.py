"""Hybrid item tokens (`hybrid_rec.rerank.item_text`): an item's input and output embedding is its id
row (items with training interactions) + a learned projection of its text vector, so an item added
after training is scored from its text at once, and the text reaches both the input and the head."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from hybrid_rec.data import leave_last_out, make_synthetic
from hybrid_rec.errors import ConfigError, DataError
from hybrid_rec.rerank import losses
from hybrid_rec.rerank.item_text import attach_item_text, item_text_of
from hybrid_rec.rerank.model import LMConfig, build_model, grow_item_tokens, load_saved, save_pretrained
from hybrid_rec.rerank.reranker import GPT2Reranker, RerankerConfig
from hybrid_rec.rerank.scorer import LMScorer
from hybrid_rec.rerank.trainer import TrainerConfig
from tests.rerank.conftest import TINY_LM
from tests.rerank.test_trainer import loss_batch

pytestmark = pytest.mark.slow  # the tests train tiny LMs (tests/conftest.py: the fast lane trains nothing)

ENCODER = {"kind": "hashing", "dim": 32}
CFG = {
    "lm": {**TINY_LM, "n_embd": 32, "item_text": True, "item_text_encoder": ENCODER},
    "bpe_vocab_size": 300,
    "trainer": {"epochs": 2, "batch_size": 16, "lr": 5e-3, "hard_negatives": 5},
}


@pytest.fixture(scope="module")
def data():
    ds = make_synthetic(n_users=40, n_items=30, n_clusters=3, interactions_per_user=10, seed=3)
    return ds, leave_last_out(ds.interactions)


@pytest.fixture()
def trained(data):
    ds, split = data
    return GPT2Reranker(RerankerConfig.from_dict(CFG)).fit(split.train, ds.catalog, valid=split.valid)


def text_model(tokenizer, has_id: np.ndarray | None = None, seed: int = 0):
    """The tiny LM with item text: seeded unit text vectors, `has_id` (default: every other item)."""
    model = build_model(LMConfig(**TINY_LM), tokenizer)
    vectors = np.random.default_rng(seed).standard_normal((tokenizer.n_items, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    flags = np.arange(tokenizer.n_items) % 2 == 0 if has_id is None else has_id
    attach_item_text(model, tokenizer.base_vocab_size, vectors, flags)
    return model.eval()


def add_two(rr: GPT2Reranker, ds, texts: dict[str, tuple[str, str]]) -> np.ndarray:
    """Add catalog items (id -> (title, genre)) after training, as the pipeline's growth does."""
    rows = pd.DataFrame(
        {"title": [t for t, _ in texts.values()], "year": ["2024"] * len(texts),
         "genres": [(g,) for _, g in texts.values()]},
        index=pd.Index(list(texts), name="item_id"),
    )  # fmt: skip
    catalog = rr.catalog.merged(rows)
    items = rr.items.extend(list(texts))
    return rr.add_items(items, catalog, None, np.ones(len(items), bool), 1.0)


def test_items_added_after_training_get_finite_text_driven_scores(data, trained):
    """New items get tokens scored from their text the moment they arrive: two with the same text
    score the same, one with other text differently (no id row, no ridge: the text alone)."""
    ds, _ = data
    n = trained.tokenizer.n_items
    new = add_two(trained, ds, {"n1": ("Storm road", "drama"), "n2": ("Storm road", "drama"), "n3": ("Fire", "comedy")})
    assert new.tolist() == [n, n + 1, n + 2]
    text = item_text_of(trained.model)
    assert text is not None and text.n_items == n + 3 and not text.has_id[n:].any()
    logp = trained.item_logprobs(np.arange(5))
    assert logp.shape == (5, n + 3) and np.isfinite(logp).all()
    np.testing.assert_allclose(logp[:, n], logp[:, n + 1], rtol=0, atol=1e-6)  # the same text: the same score
    assert np.abs(logp[:, n] - logp[:, n + 2]).min() > 1e-4  # other text: another score, for every user


def test_an_items_score_follows_its_text_vector(tokenizer):
    """The text reaches the head (a prompt without the item) and the input (a prompt with it)."""
    model = text_model(tokenizer)
    j = 3
    without = [tokenizer.eos_id, *tokenizer.encode_text(" Toy Story"), tokenizer.item_token_id(5)]
    with_j = [tokenizer.eos_id, tokenizer.item_token_id(j)]
    before = LMScorer(model, tokenizer).item_logprobs([without, with_j])
    with torch.no_grad():
        text = item_text_of(model)
        text.text[j] = -text.text[j]
    after = LMScorer(model, tokenizer).item_logprobs([without, with_j])
    assert abs(after[0, j] - before[0, j]) > 1e-3  # the head row of j changed
    others = np.arange(tokenizer.n_items) != j
    assert np.abs(after[1, others] - before[1, others]).max() > 1e-3  # j's input embedding changed


def test_the_loss_trains_the_projection_and_only_used_id_rows(tokenizer):
    """Training reaches the projection; the id rows of items without interactions (has_id 0) get no
    gradient (they are never part of an embedding), those with interactions do."""
    has_id = np.ones(tokenizer.n_items, bool)
    has_id[[0, 8]] = False  # two items of the batch, as input and as targets
    model = text_model(tokenizer, has_id)
    loss = losses.batch_loss(
        model, loss_batch(tokenizer), tokenizer, TrainerConfig(), np.random.default_rng(0), torch.device("cpu")
    )
    loss.backward()
    text, wte = item_text_of(model), model.transformer.wte.weight
    assert text.proj.weight.grad.abs().sum() > 0
    base = tokenizer.base_vocab_size
    grad = wte.grad[base:].abs().sum(dim=1)
    assert grad[0] == 0 and grad[8] == 0 and (grad[has_id] > 0).all()


@pytest.mark.parametrize("term", ["listwise", "hard"])
def test_the_loss_reads_the_effective_embeddings(tokenizer, term):
    """The batch loss equals the listwise / hard-negative loss written out with E = [wte text rows;
    has_id * wte item rows + text @ proj.T] as the input embedding and as the head, where items
    without an id row (no training interactions) are no negatives: only a row's own target of them
    takes part (not having been used yet is no evidence against an item)."""
    model = text_model(tokenizer)  # odd items have no id row
    batch = loss_batch(tokenizer)  # targets 0, 3, 8, 5: 3 and 5 without an id row
    base = tokenizer.base_vocab_size
    text, wte = item_text_of(model), model.transformer.wte.weight
    negatives = {1: [7, 0, 11]}
    with torch.no_grad():
        items = wte[base:] * text.has_id[:, None] + text.text @ text.proj.weight.T
        emb = torch.cat([wte[:base], items])
        terms = []
        for r, e in enumerate(batch):
            ids = torch.as_tensor(e.ids, dtype=torch.long)
            hidden = model.transformer(inputs_embeds=emb[ids][None]).last_hidden_state[0]
            logits = (hidden @ items.T).double()
            if term == "listwise":
                for p, t in e.item_targets:
                    cols = [i for i in range(tokenizer.n_items) if text.has_id[i] > 0 or i == t]
                    terms.append(-torch.log_softmax(logits[p, cols], dim=0)[cols.index(t)])
            elif r in negatives:
                p, t = e.item_targets[-1]
                cols = [int(t)] + [i for i in negatives[r] if text.has_id[i] > 0]
                terms.append(-torch.log_softmax(logits[p, cols], dim=0)[0])
        want = float(torch.stack(terms).mean())
        weights = {"listwise_weight": 1.0, "hard_negative_weight": 0.0} if term == "listwise" else {
            "listwise_weight": 0.0, "hard_negative_weight": 1.0}  # fmt: skip
        cfg = TrainerConfig(lm_weight=0.0, hard_negatives=5, **weights)
        got = float(losses.batch_loss(model, batch, tokenizer, cfg, np.random.default_rng(0), torch.device("cpu")))
    assert got == pytest.approx(want, abs=1e-5)
    assert {0, 3, 5, 8} & set(np.flatnonzero(text.has_id.numpy() == 0)) == {3, 5}  # the case is exercised


def test_a_saved_lm_with_item_text_round_trips_bit_identically(data, trained, tmp_path):
    """The text vectors and the projection are saved with the model (safetensors) and come back exactly."""
    trained.save(tmp_path / "rr")
    back = GPT2Reranker.load(tmp_path / "rr", trained.catalog)
    assert back.reads_item_text
    for (name, a), (_, b) in zip(trained.model.state_dict().items(), back.model.state_dict().items(), strict=True):
        assert torch.equal(a, b), name
    users = np.arange(6)
    np.testing.assert_array_equal(back.item_logprobs(users), trained.item_logprobs(users))
    assert any(k.startswith("item_text.") for k in back.model.state_dict())


def test_a_damaged_or_grown_item_text_is_named(tokenizer, tmp_path):
    model = text_model(tokenizer)
    save_pretrained(model, tmp_path / "lm")
    from safetensors.torch import load_file, save_file

    state = load_file(str(tmp_path / "lm" / "model.safetensors"))
    del state["item_text.proj.weight"]
    save_file(state, str(tmp_path / "lm" / "model.safetensors"), metadata={"format": "pt"})
    with pytest.raises(DataError, match="item_text"):
        load_saved(tmp_path / "lm")
    with pytest.raises(ConfigError, match="text_vectors"):  # new tokens without their text
        grow_item_tokens(text_model(tokenizer), _copy(tokenizer), tokenizer.n_items + 2)


def _copy(tokenizer):
    from hybrid_rec.rerank.tokenizer import RecTokenizer

    return RecTokenizer(tokenizer.base, tokenizer.n_items, tokenizer.source)


def test_an_item_with_interactions_now_gets_an_id_row_that_starts_at_zero(tokenizer):
    """The feedback loop's fine-tune: a text-only item that became a target gets an id row, zero at
    first (its score does not jump), then trained like any other."""
    from hybrid_rec.rerank.item_text import start_id_rows

    model = text_model(tokenizer)  # odd items: text only
    prompt = [[tokenizer.eos_id, tokenizer.item_token_id(2)]]
    before = LMScorer(model, tokenizer).item_logprobs(prompt)
    assert start_id_rows(model, tokenizer.base_vocab_size, np.array([3, 4, 3])).tolist() == [3]  # 4 had one
    np.testing.assert_allclose(LMScorer(model, tokenizer).item_logprobs(prompt), before, rtol=0, atol=1e-6)
    assert item_text_of(model).has_id[3] == 1
    loss = losses.batch_loss(
        model.train(), loss_batch(tokenizer), tokenizer, TrainerConfig(), np.random.default_rng(0), torch.device("cpu")
    )
    loss.backward()
    assert model.transformer.wte.weight.grad[tokenizer.base_vocab_size + 3].abs().sum() > 0  # item 3: a target


def test_id_dropout_reads_items_from_their_text_alone_in_training(tokenizer):
    """`item_id_dropout`: in a training step the dropped items' id rows are left out (they get no
    gradient; the projection still does); in eval mode nothing is dropped."""
    has_id = np.ones(tokenizer.n_items, bool)
    batch_items = [0, 3, 5, 8]
    base = tokenizer.base_vocab_size

    def step(model, p: float) -> tuple[float, torch.Tensor, torch.Tensor]:
        model.zero_grad()
        cfg = TrainerConfig(item_id_dropout=p)
        loss = losses.batch_loss(model, loss_batch(tokenizer), tokenizer, cfg, np.random.default_rng(0), torch.device("cpu"))
        loss.backward()
        wte_grad = model.transformer.wte.weight.grad[base:][batch_items].abs().sum(dim=1)
        return float(loss.detach()), wte_grad, item_text_of(model).proj.weight.grad.abs().sum()

    model = text_model(tokenizer, has_id).train()  # TINY_LM has no other dropout
    plain, grad_plain, _ = step(model, 0.0)
    dropped, grad_dropped, proj_grad = step(model, 0.99)
    assert (grad_plain > 0).all() and (grad_dropped == 0).all() and proj_grad > 0
    assert dropped != pytest.approx(plain, abs=1e-4)
    assert step(model.eval(), 0.99)[0] == pytest.approx(plain, abs=1e-6)  # eval: no id dropout


def test_items_without_interactions_get_a_predicted_id_row_next_to_their_text(tokenizer):
    """With item text the ridge map predicts the id row (fitted on the items with a trained one) of
    items without interactions, which is used from then on; their text part stays."""
    from hybrid_rec.rerank.model import predict_item_embeddings

    model = text_model(tokenizer)  # odd items: no id row
    n, base = tokenizer.n_items, tokenizer.base_vocab_size
    wte = model.transformer.wte.weight
    rng = np.random.default_rng(0)
    features = rng.standard_normal((n, 4)).astype(np.float32)
    true = features @ rng.standard_normal((4, wte.shape[1])).astype(np.float32)
    with torch.no_grad():
        wte[base:] = torch.as_tensor(true)
        wte[base + 1 :: 2] = 0.0  # untrained id rows, and one of the "learned" mask without a trained row
    learned = np.ones(n, bool)  # the odd items' zero rows must not be fitted: has_id says they are untrained
    text = item_text_of(model)
    done = predict_item_embeddings(model, tokenizer, features, learned, 1e-6, np.array([1, 3]))
    assert done.tolist() == [1, 3] and text.has_id[[1, 3]].tolist() == [1.0, 1.0] and text.has_id[5] == 0
    assert np.allclose(wte.detach()[base + np.array([1, 3])].numpy(), true[[1, 3]], atol=1e-3)


def test_a_re_described_item_is_read_from_its_new_text(trained):
    """`add_items(..., described=...)`: a known item whose catalog text changed gets its new text vector."""
    first = trained.items.ids[0]
    rows = pd.DataFrame({"title": ["Completely different words"], "year": ["1901"], "genres": [("western",)]},
                        index=pd.Index([first], name="item_id"))  # fmt: skip
    before = trained.item_logprobs(np.arange(4))[:, 0]
    vector = item_text_of(trained.model).text[0].clone()
    trained.add_items(trained.items, trained.catalog.merged(rows), None, np.ones(len(trained.items), bool), 1.0,
                      described=np.array([0]))  # fmt: skip
    assert not torch.equal(item_text_of(trained.model).text[0], vector)
    assert np.abs(trained.item_logprobs(np.arange(4))[:, 0] - before).min() > 1e-4
