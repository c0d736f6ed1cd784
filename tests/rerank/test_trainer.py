"""The trainer's documented controls (early stopping, the `max_minutes` budget, intention windows),
its checkpointed `TrainState`, and the loss terms of `hybrid_rec.rerank.losses`."""

from __future__ import annotations

import json
import types

import numpy as np
import pytest
import torch

from hybrid_rec.data import make_synthetic
from hybrid_rec.data.simulated_user import category_vectors
from hybrid_rec.errors import DataError
from hybrid_rec.rerank import losses
from hybrid_rec.rerank import trainer as trainer_mod
from hybrid_rec.rerank.examples import Example, build_examples
from hybrid_rec.rerank.model import LMConfig, build_model
from hybrid_rec.rerank.reranker import sequences_of
from hybrid_rec.rerank.tokenizer import RecTokenizer
from hybrid_rec.rerank.trainer import Trainer, TrainerConfig, TrainState
from hybrid_rec.verbalize.intentions import IntentionWriter
from hybrid_rec.verbalize.verbalizer import BUILTIN_TEMPLATES, Verbalizer
from tests.rerank.conftest import TINY_LM


def toy_examples(tokenizer: RecTokenizer, n: int = 12) -> list[Example]:
    """Windows of three items each; every item is a target of the position before it."""
    rng = np.random.default_rng(0)
    out = []
    for _ in range(n):
        items = rng.integers(0, tokenizer.n_items, 3)
        ids = [tokenizer.eos_id, *(tokenizer.item_token_id(int(i)) for i in items)]
        out.append(Example(ids, [(p, int(i)) for p, i in enumerate(items)], np.empty(0, np.int64)))
    return out


def fresh_model(tokenizer: RecTokenizer):
    torch.manual_seed(0)
    return build_model(LMConfig(**TINY_LM), tokenizer)


def snapshot(model) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


@pytest.mark.slow
def test_early_stopping_keeps_the_best_epoch(tokenizer):
    model = fresh_model(tokenizer)
    metrics = iter([0.5, 0.4, 0.3, 0.9, 0.9])  # epochs 2 and 3 are worse than epoch 1
    weights: list[dict[str, torch.Tensor]] = []

    def evaluate() -> float:
        weights.append(snapshot(model))
        return next(metrics)

    cfg = TrainerConfig(epochs=5, patience=2, batch_size=4, warmup_steps=0, lr=1e-2)
    res = Trainer(model, tokenizer, cfg, progress=False).train(toy_examples(tokenizer), evaluate)
    assert (res.epochs_run, res.best_epoch, res.best_metric) == (3, 1, 0.5)
    assert [h["valid"] for h in res.history] == [0.5, 0.4, 0.3]
    assert len(weights) == 3
    final = model.state_dict()
    assert any(not torch.equal(weights[0][k], weights[2][k]) for k in final)  # training moved the weights
    for k, v in final.items():  # ...and the model handed back is epoch 1's
        torch.testing.assert_close(v, weights[0][k])


@pytest.mark.slow
@pytest.mark.parametrize(("max_minutes", "epochs_run"), [(None, 4), (1.0, 2), (0.5, 1)])
def test_max_minutes_stops_before_the_next_epoch(tokenizer, monkeypatch, max_minutes, epochs_run):
    """A fake clock: every epoch takes 40 s. With a 1-minute budget epoch 2 starts at 40 s and epoch 3
    would start at 80 s (over); with 30 s, epoch 2 would start at 40 s (over)."""
    now = {"t": 1000.0}
    monkeypatch.setattr(trainer_mod, "time", types.SimpleNamespace(perf_counter=lambda: now["t"]))
    values = iter([0.1, 0.2, 0.3, 0.4])

    def evaluate() -> float:
        now["t"] += 40.0
        return next(values)

    cfg = TrainerConfig(epochs=4, batch_size=4, warmup_steps=0, max_minutes=max_minutes)
    res = Trainer(fresh_model(tokenizer), tokenizer, cfg, progress=False).train(toy_examples(tokenizer), evaluate)
    assert res.epochs_run == epochs_run and len(res.history) == epochs_run
    assert res.best_epoch == epochs_run  # the metric rose every epoch: the stop is the budget's


@pytest.fixture(scope="module")
def genre_data():
    ds = make_synthetic(n_users=12, n_items=15, n_clusters=3, interactions_per_user=6, seed=2)
    verbalizer = Verbalizer(ds.interactions.items, ds.catalog)
    texts = [verbalizer.item_text(i) for i in range(len(ds.interactions.items))]
    texts += [t.prompt for t in BUILTIN_TEMPLATES.values()]
    tokenizer = RecTokenizer.train_bpe(texts, len(ds.interactions.items), 300)
    return sequences_of(ds.interactions), verbalizer, tokenizer


def test_intention_windows(genre_data):
    sequences, verbalizer, tokenizer = genre_data
    n_items = sum(len(s) for s in sequences.values())
    writer = IntentionWriter(verbalizer)

    def build(per_user: float) -> list[Example]:
        return build_examples(
            sequences, verbalizer, tokenizer, 512, np.random.default_rng(0), intentions=writer,
            intentions_per_user=per_user, intention_history=3,
        )  # fmt: skip

    implicit = build(0.0)  # one window per user (they fit), every history item a target, no request
    assert len(implicit) == len(sequences) and sum(len(e.item_targets) for e in implicit) == n_items
    assert not any("asks for" in tokenizer.decode(e.ids) or e.request for e in implicit)

    both = build(2.0)  # the same implicit windows, plus two intention windows per user
    asked = [e for e in both if e.request is not None]
    assert sum(len(e.item_targets) for e in both if e.request is None) == n_items
    assert len(asked) == 2 * len(sequences)
    for e in asked:
        ((pos, target),) = e.item_targets
        assert pos == len(e.ids) - 2 and e.ids[-1] == tokenizer.item_token_id(target)
        text = tokenizer.decode(e.ids)
        assert f"asks for {e.request}" in text
        assert text.count("<i") <= 3 + 1  # at most `intention_history` history items, then the target
    # half a window per user: about half of them get one
    half = sum(e.request is not None for e in build(0.5))
    assert 0.2 * len(sequences) < half < 0.8 * len(sequences), half

def test_windows_are_held_as_compact_arrays(tokenizer):
    """At 10M interactions there are ~200k windows: Python lists of ints and tuples held ~4.5x the
    memory (benchmarks/window_memory.py). Lists are still accepted and converted."""
    e = Example([tokenizer.eos_id, 5, 6], [(0, 1), (1, 2)], np.empty(0, np.int64))
    assert isinstance(e.ids, np.ndarray) and e.ids.dtype == np.int32
    assert e.item_targets.shape == (2, 2) and e.item_targets.dtype == np.int64
    assert Example([tokenizer.eos_id], [], np.empty(0, np.int64)).item_targets.shape == (0, 2)


# ---------------------------------------------------------------- the losses, against a by-hand computation
def loss_batch(tokenizer: RecTokenizer) -> list[Example]:
    """Two windows of different lengths (the shorter is right-padded in the batch). The first has no
    hard negatives (it is skipped, not the end of that loss), item 0 follows its first position (an item
    token, never a text target of the LM loss); the second has three targets (its last one is contrasted
    with the hard negatives) and its own last target among its negatives, which must not count."""
    text = tokenizer.encode_text(" Toy Story Heat")[:3]
    item = tokenizer.item_token_id
    a = Example([tokenizer.eos_id, item(0), text[0]], [(0, 0)], np.empty(0, np.int64))
    b = Example(
        [tokenizer.eos_id, text[0], item(3), item(8), text[1], item(5)],
        [(1, 3), (2, 8), (4, 5)],
        np.array([5, 7, 0, 11]),  # item 0 is a negative like any other
    )
    return [a, b]


def reference_losses(model, tokenizer: RecTokenizer, batch: list[Example], negatives: dict[int, list[int]]):
    """Each window alone through the model; the three documented losses written out token by token."""
    base = tokenizer.base_vocab_size
    lm_terms, list_terms, hn_terms = [], [], []
    with torch.no_grad():
        for r, e in enumerate(batch):
            logp = torch.log_softmax(model(input_ids=torch.tensor([e.ids])).logits[0].double(), dim=-1)
            text_logp = torch.log_softmax(logp[:, :base], dim=-1)  # text targets: a softmax over the text vocabulary
            lm_terms += [-text_logp[p, e.ids[p + 1]] for p in range(len(e.ids) - 1) if e.ids[p + 1] < base]
            item_logp = torch.log_softmax(logp[:, base:], dim=-1)
            list_terms += [-item_logp[p, t] for p, t in e.item_targets]
            if r in negatives:
                p, t = e.item_targets[-1]
                cand = logp[p, [base + i for i in [t, *negatives[r]]]]
                hn_terms.append(-torch.log_softmax(cand, dim=0)[0])
    mean = lambda xs: float(torch.stack(xs).mean()) if xs else 0.0
    return mean(lm_terms), mean(list_terms), mean(hn_terms)


def batch_loss(model, tokenizer, batch, seed: int = 0, **weights) -> float:
    cfg = TrainerConfig(**weights)
    with torch.no_grad():
        out = losses.batch_loss(model, batch, tokenizer, cfg, np.random.default_rng(seed), torch.device("cpu"))
    return float(out)


def test_batch_loss_is_the_weighted_sum_of_the_three_losses(tokenizer):
    model = fresh_model(tokenizer).eval()
    batch = loss_batch(tokenizer)
    lm, listwise, hard = reference_losses(model, tokenizer, batch, {1: [7, 0, 11]})
    assert min(lm, listwise, hard) > 0.1  # a random model: every term is far from 0
    off = {"lm_weight": 0.0, "listwise_weight": 0.0, "hard_negative_weight": 0.0}
    assert batch_loss(model, tokenizer, batch, **{**off, "lm_weight": 1.0}) == pytest.approx(lm, abs=1e-5)
    assert batch_loss(model, tokenizer, batch, **{**off, "listwise_weight": 1.0}) == pytest.approx(listwise, abs=1e-5)
    assert batch_loss(model, tokenizer, batch, **{**off, "hard_negative_weight": 1.0}) == pytest.approx(hard, abs=1e-5)
    # hard_negatives above the pool size pads with masked slots: the same loss
    both = {"lm_weight": 0.3, "listwise_weight": 0.7, "hard_negative_weight": 0.2, "hard_negatives": 5}
    want = 0.3 * lm + 0.7 * listwise + 0.2 * hard
    assert batch_loss(model, tokenizer, batch, **both) == pytest.approx(want, abs=1e-5)
    assert batch_loss(model, tokenizer, batch, **{**both, "hard_negatives": 0}) == pytest.approx(
        0.3 * lm + 0.7 * listwise, abs=1e-5
    )
    assert batch_loss(model, tokenizer, batch, **off) == 0.0


def test_hard_negatives_are_sampled_without_replacement(tokenizer):
    """Three negatives, two slots: the loss is the one of some pair of distinct negatives."""
    model = fresh_model(tokenizer).eval()
    batch = loss_batch(tokenizer)
    pairs = [[7, 0], [7, 11], [0, 11], [0, 7], [11, 7], [11, 0]]
    allowed = [reference_losses(model, tokenizer, batch, {1: p})[2] for p in pairs]
    off = {"lm_weight": 0.0, "listwise_weight": 0.0, "hard_negative_weight": 1.0, "hard_negatives": 2}
    seen = set()
    for seed in range(12):
        got = batch_loss(model, tokenizer, batch, seed=seed, **off)
        match = [i for i, v in enumerate(allowed) if abs(v - got) < 1e-5]
        assert match, (seed, got, allowed)
        seen.add(min(match) % 3)
    assert len(seen) > 1  # sampled, not always the first two
    singles = [reference_losses(model, tokenizer, batch, {1: [n]})[2] for n in (7, 0, 11)]
    got = batch_loss(model, tokenizer, batch, **{**off, "hard_negatives": 1})
    assert min(abs(v - got) for v in singles) < 1e-5, (got, singles)


def test_hard_negative_pools_of_different_sizes_share_one_batch(tokenizer):
    model = fresh_model(tokenizer).eval()
    a, b = loss_batch(tokenizer)
    a = Example(a.ids, a.item_targets, np.array([2]))
    want = reference_losses(model, tokenizer, [a, b], {0: [2], 1: [7, 0, 11]})[2]
    off = {"lm_weight": 0.0, "listwise_weight": 0.0, "hard_negative_weight": 1.0, "hard_negatives": 4}
    assert batch_loss(model, tokenizer, [a, b], **off) == pytest.approx(want, abs=1e-5)


def test_a_batch_without_item_targets_or_negatives_has_only_the_lm_loss(tokenizer):
    model = fresh_model(tokenizer).eval()
    text = tokenizer.encode_text(" Toy Story Heat")[:3]
    batch = [Example([tokenizer.eos_id, *text], [], np.array([4, 6]))]
    lm = reference_losses(model, tokenizer, batch, {})[0]
    got = batch_loss(model, tokenizer, batch, lm_weight=0.5, listwise_weight=1.0, hard_negative_weight=1.0)
    assert got == pytest.approx(0.5 * lm, abs=1e-5)


def test_training_never_builds_full_vocabulary_logits(tokenizer, monkeypatch):
    """The loss reads hidden states and applies the head only where a target is: the LM head's own
    forward (the [batch, positions, vocabulary] logits) is never called."""
    model = fresh_model(tokenizer).train()

    def forbidden(*args, **kwargs):
        raise AssertionError("full-vocabulary logits were computed")

    monkeypatch.setattr(model.lm_head, "forward", forbidden)
    loss = batch_loss(model, tokenizer, loss_batch(tokenizer), lm_weight=0.3, hard_negative_weight=0.2, hard_negatives=3)
    assert np.isfinite(loss) and loss > 0


def test_sampled_softmax_over_every_item_equals_the_full_softmax(tokenizer):
    """With uniform sampling and enough draws to cover the catalog, the logQ correction is the same
    for every candidate, so the sampled loss is exactly the full softmax loss."""
    model = fresh_model(tokenizer).eval()
    batch = loss_batch(tokenizer)
    only = {"lm_weight": 0.0, "hard_negative_weight": 0.0, "listwise_weight": 1.0}
    full = batch_loss(model, tokenizer, batch, **only)
    cfg = TrainerConfig(**only, sampled_negatives=5000, sampling_power=0.0)
    q = losses.sampling_distribution(np.ones(tokenizer.n_items), 0.0)
    with torch.no_grad():
        sampled = losses.batch_loss(model, batch, tokenizer, cfg, np.random.default_rng(0), torch.device("cpu"), q)
    assert float(sampled) == pytest.approx(full, abs=1e-5)


def test_sampled_softmax_reads_only_the_candidates_rows(tokenizer):
    """A step's cost does not grow with the catalog: item rows that are neither in the input, nor a
    target, nor drawn get no gradient from the sampled listwise loss."""
    model = fresh_model(tokenizer).train()
    batch = loss_batch(tokenizer)
    cfg = TrainerConfig(lm_weight=0.0, hard_negative_weight=0.0, sampled_negatives=2, sampling_power=0.0)
    q = losses.sampling_distribution(np.ones(tokenizer.n_items), 0.0)
    rng = np.random.default_rng(5)
    drawn = np.random.default_rng(5).choice(len(q), size=2, replace=True, p=q)  # what the loss will draw
    loss = losses.batch_loss(model, batch, tokenizer, cfg, rng, torch.device("cpu"), q)
    loss.backward()
    grad = model.get_input_embeddings().weight.grad[tokenizer.base_vocab_size :].abs().sum(dim=1).numpy()
    used = {t for e in batch for _, t in e.item_targets} | set(drawn.tolist())
    used |= {i - tokenizer.base_vocab_size for e in batch for i in e.ids if tokenizer.is_item_token(i)}
    untouched = [i for i in range(tokenizer.n_items) if i not in used]
    assert untouched and (grad[untouched] == 0).all() and (grad[sorted(used)] > 0).any()


def test_the_trainer_switches_to_sampling_above_the_threshold(tokenizer):
    model = fresh_model(tokenizer)
    assert Trainer(model, tokenizer, TrainerConfig()).sampling is None  # 30 items: the full softmax
    counts = np.arange(tokenizer.n_items, dtype=float)
    trainer = Trainer(model, tokenizer, TrainerConfig(sampled_softmax_above=10, sampling_power=1.0), item_counts=counts)
    q = trainer.sampling
    assert q is not None and q.sum() == pytest.approx(1.0) and q[0] > 0  # unseen items are drawn too
    assert q[20] / q[10] == pytest.approx(2.0)  # proportional to count ** power


@pytest.mark.slow
def test_windows_per_epoch_trains_on_a_fresh_sample_each_epoch(tokenizer, monkeypatch):
    """8 of 12 windows per epoch (2 steps of 4), different windows in different epochs, none repeated
    within one; unset, every window every epoch."""
    seen: list[list[int]] = []
    real = trainer_mod._batch_loss  # the name the trainer calls (`losses.batch_loss`)

    def recording(model, batch, *args, **kwargs):
        seen.append([id(e) for e in batch])
        return real(model, batch, *args, **kwargs)

    monkeypatch.setattr(trainer_mod, "_batch_loss", recording)
    examples = toy_examples(tokenizer)
    index = {id(e): i for i, e in enumerate(examples)}
    cfg = TrainerConfig(epochs=3, patience=3, batch_size=4, warmup_steps=0, windows_per_epoch=8)
    Trainer(fresh_model(tokenizer), tokenizer, cfg, progress=False).train(examples, lambda: 0.0)
    epochs = [sorted(index[w] for batch in seen[e * 2 : e * 2 + 2] for w in batch) for e in range(3)]
    assert len(seen) == 6 and all(len(e) == 8 == len(set(e)) for e in epochs)
    assert len({tuple(e) for e in epochs}) > 1  # a fresh sample, not the same 8 windows every epoch
    seen.clear()
    cfg = cfg.model_copy(update={"windows_per_epoch": None, "epochs": 1})
    Trainer(fresh_model(tokenizer), tokenizer, cfg, progress=False).train(examples, lambda: 0.0)
    assert sorted(index[w] for batch in seen for w in batch) == list(range(12))


# ---------------------------------------------------------------- the checkpointed state
@pytest.mark.slow
def test_checkpoint_last_holds_the_train_state(tokenizer, tmp_path):
    """``trainer_state.json`` is the `TrainState` of the last finished epoch (plus the optimizer's and
    the scheduler's state), and reads back as that state; a file without one of its fields is refused."""
    metrics = iter([0.5, 0.4])
    cfg = TrainerConfig(epochs=2, patience=3, batch_size=4, warmup_steps=0)
    res = Trainer(fresh_model(tokenizer), tokenizer, cfg).train(toy_examples(tokenizer), lambda: next(metrics), tmp_path)
    saved = json.loads((tmp_path / "checkpoint-last" / "trainer_state.json").read_text())
    assert {"optimizer_meta", "param_groups", "scheduler"} <= saved.keys()
    state = TrainState.from_saved(saved)
    assert (state.epoch, state.best_epoch, state.best_metric, state.bad_epochs) == (2, 1, 0.5, 1)
    assert state.history == res.history and state.seconds > 0
    del saved["bad_epochs"]
    with pytest.raises(DataError, match="bad_epochs"):
        TrainState.from_saved(saved)


def test_full_softmax_loss_is_the_summed_cross_entropy_over_the_head():
    torch.manual_seed(0)
    hidden, head, labels = torch.randn(3, 4), torch.randn(5, 4), torch.tensor([0, 4, 2])
    want = -torch.log_softmax(hidden @ head.T, dim=-1)[torch.arange(3), labels].sum()
    torch.testing.assert_close(losses.full_softmax_loss(hidden, head, labels), want)


def test_hard_negative_loss_masks_the_padding():
    """A -1 slot is no candidate: the loss equals the one without it."""
    torch.manual_seed(0)
    hidden, items = torch.randn(2, 4), torch.randn(6, 4)
    padded = losses.hard_negative_loss(hidden, items, torch.tensor([[1, 3, -1], [2, 0, 5]]))
    first = losses.hard_negative_loss(hidden[:1], items, torch.tensor([[1, 3]]))
    second = losses.hard_negative_loss(hidden[1:], items, torch.tensor([[2, 0, 5]]))
    torch.testing.assert_close(padded, first + second)


def test_a_config_saved_with_the_old_intention_fraction_still_loads(caplog):
    """Models saved before intention windows were drawn per user carry `intention_fraction`: it is dropped
    (with a warning naming its successor) instead of failing the load; any other unknown key still fails."""
    with caplog.at_level("WARNING"):
        cfg = TrainerConfig.model_validate({"intention_fraction": 0.1, "epochs": 3})
    assert cfg.epochs == 3 and cfg.intentions_per_user == 1.0 and "intentions_per_user" in caplog.text
    with pytest.raises(ValueError, match="intention_fractio"):
        TrainerConfig.model_validate({"intention_fractio": 0.1})


def test_simulated_round_windows(genre_data):
    """Round windows: the shown items are the user's first-stage candidates, the reaction is the one
    a simulated user with the next item as its target gives, the prompt says it after the history,
    the target is that next item and the passed-over items are its negatives."""
    sequences, verbalizer, tokenizer = genre_data
    n_items = len(verbalizer.items)
    vectors = category_vectors(verbalizer.catalog, verbalizer.items)
    rng = np.random.default_rng(3)
    negatives = {u: rng.permutation(n_items)[:12] for u in sequences}
    negatives = {u: np.setdiff1d(n, s, assume_unique=True)[:10] for u, (n, s) in
                 ((u, (negatives[u], sequences[u])) for u in sequences)}  # fmt: skip
    build = lambda per_user: build_examples(
        sequences, verbalizer, tokenizer, 512, np.random.default_rng(0), negatives=negatives,
        round_vectors=vectors, rounds_per_user=per_user, round_shown=4,
    )  # fmt: skip
    plain = build(0.0)
    rounds = build(1.0)[len(plain) :]
    eligible = [u for u, s in sequences.items() if len(s) >= 2 and len(negatives[u]) >= 4]
    assert 0 < len(rounds) <= len(eligible)
    labels = {"passed over:": 0, "more like:": 0, "less like:": 0}
    for e in rounds:
        ((pos, target),) = e.item_targets
        assert pos == len(e.ids) - 2 and e.ids[-1] == tokenizer.item_token_id(target)
        text = tokenizer.decode(e.ids)
        assert text.rstrip().endswith(tokenizer.decode([tokenizer.item_token_id(target)])) and " next:" in text
        for label in labels:
            labels[label] += label in text
        assert target not in e.negatives and len(e.negatives) >= 3  # the passed-over shown items
    assert all(labels.values()), labels  # clicks, "more like" and "less like" rounds all occur
