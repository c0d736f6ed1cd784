"""DDP training: 2 processes over gloo on the CPU take the optimizer steps of one process with the
same global batch (losses and weights equal within float rounding), with shares of uneven target
counts, an empty share, sampled and hard negatives; only rank 0 evaluates and writes checkpoints,
and every rank stops at the same epoch with the best weights."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.distributed as dist

from hybrid_rec.rerank import distributed
from hybrid_rec.rerank import trainer as trainer_mod
from hybrid_rec.rerank.examples import Example
from hybrid_rec.rerank.item_text import attach_item_text
from hybrid_rec.rerank.model import LMConfig, build_model
from hybrid_rec.rerank.tokenizer import RecTokenizer
from hybrid_rec.rerank.trainer import Trainer, TrainerConfig
from tests.rerank.conftest import TINY_LM
from tests.rerank.ddp_failing import fail_on_rank_1

N_ITEMS = 30
METRICS = [0.5, 0.4, 0.3, 0.9, 0.9]  # the fake validation: epochs 2 and 3 worse than epoch 1


def make_tokenizer() -> RecTokenizer:
    texts = ["Toy Story (1995); Animation, Comedy", "Heat (1995); Action, Crime", "The user watched"] * 5
    return RecTokenizer.train_bpe(texts, n_items=N_ITEMS, vocab_size=300)


def uneven_examples(tokenizer: RecTokenizer, n: int = 17) -> list[Example]:
    """Windows of 1-5 items with text tokens between them and hard-negative pools of 0-5 items: the
    shares of a batch hold different numbers of targets, text tokens and pools. 17 windows in batches
    of 8: the last batch has one window, so one rank's share is empty."""
    rng = np.random.default_rng(3)
    words = tokenizer.encode_text(" Toy Story Heat Action Comedy")
    out = []
    for _ in range(n):
        ids, targets = [tokenizer.eos_id], []
        for item in rng.integers(0, N_ITEMS, rng.integers(1, 6)):
            ids += [int(w) for w in rng.choice(words, rng.integers(0, 3))]
            targets.append((len(ids) - 1, int(item)))
            ids.append(tokenizer.item_token_id(int(item)))
        out.append(Example(ids, targets, rng.integers(0, N_ITEMS, rng.integers(0, 6))))
    return out


def fresh_model(tokenizer: RecTokenizer, item_text: bool = False):
    """The tiny LM; `item_text`: with hybrid item tokens (seeded text vectors, every third item
    without an id row), whose projection must train inside the DDP-wrapped module too."""
    torch.manual_seed(0)
    model = build_model(LMConfig(**TINY_LM), tokenizer)
    if item_text:
        vectors = np.random.default_rng(1).standard_normal((N_ITEMS, 6)).astype(np.float32)
        attach_item_text(model, tokenizer.base_vocab_size, vectors, np.arange(N_ITEMS) % 3 > 0)
    return model


def weights(model) -> dict[str, np.ndarray]:
    return {k: v.detach().cpu().numpy().copy() for k, v in model.state_dict().items()}


BASE = {"batch_size": 8, "lr": 1e-2, "warmup_steps": 2, "lm_weight": 0.3, "hard_negative_weight": 0.5}


def scenarios(out_dir: str) -> dict:
    """The same training runs, in a process group (each rank) or not (the reference)."""
    tokenizer = make_tokenizer()
    examples = uneven_examples(tokenizer)
    rank = distributed.rank()
    if rank != 0:  # only rank 0 writes checkpoints

        def forbidden(*args, **kwargs):
            raise AssertionError(f"rank {rank} wrote a checkpoint")

        trainer_mod.save_pretrained = forbidden
        Trainer._checkpoint = forbidden
    results: dict = {"world": distributed.world_size()}
    results["initial_proj"] = weights(fresh_model(tokenizer, item_text=True))["item_text.proj.weight"]

    def run(name: str, cfg: TrainerConfig, evaluate=None, out=None, model=None, **kwargs) -> None:
        model = model or fresh_model(tokenizer)
        res = Trainer(model, tokenizer, cfg, **kwargs).train(examples, evaluate, out)
        results[name] = {"losses": res.step_losses, "weights": weights(model), "history": res.history,
                         "best": (res.best_epoch, res.epochs_run)}  # fmt: skip

    # full softmax, text + listwise + hard negatives (pools above `hard_negatives` are sampled)
    run("full", TrainerConfig(**BASE, epochs=3, hard_negatives=2))
    # the sampled softmax (30 items > 10): shared negatives drawn for the whole global batch
    counts = np.arange(N_ITEMS, dtype=float)
    run("sampled", TrainerConfig(**BASE, epochs=2, sampled_softmax_above=10, sampled_negatives=6), item_counts=counts)
    # hybrid item tokens (id + text), with the full and the sampled softmax
    run("text", TrainerConfig(**BASE, epochs=3, hard_negatives=2), model=fresh_model(tokenizer, item_text=True))
    sampled = TrainerConfig(**BASE, epochs=2, sampled_softmax_above=10, sampled_negatives=6)
    run("text_sampled", sampled, model=fresh_model(tokenizer, item_text=True), item_counts=counts)

    # early stopping on a metric only rank 0 computes
    calls: list[int] = []
    snaps: list[dict[str, np.ndarray]] = []
    model = fresh_model(tokenizer)

    def evaluate() -> float:
        assert rank == 0, "evaluate() called on a rank other than 0"
        snaps.append(weights(model))
        calls.append(len(calls))
        return METRICS[len(calls) - 1]

    stop_dir = Path(out_dir) / "stop"
    run("stop", TrainerConfig(**BASE, epochs=5, patience=2, hard_negatives=3), evaluate, stop_dir, model=model)
    results["stop"]["calls"] = len(calls)
    results["stop"]["epoch1"] = snaps[0] if snaps else None
    results["stop"]["files"] = sorted(p.name for p in stop_dir.iterdir()) if stop_dir.is_dir() else []

    # resuming: 1 epoch, then a fresh trainer on the same out_dir continues to 2
    resume_dir = Path(out_dir) / "resume"
    run("first", TrainerConfig(**BASE, epochs=1, hard_negatives=2), None, resume_dir)
    if distributed.is_distributed():
        dist.barrier()  # rank 0's checkpoint is written before anyone resumes
    run("resume", TrainerConfig(**BASE, epochs=2, hard_negatives=2), None, resume_dir)
    return results


@pytest.fixture(scope="module")
def ddp_runs(tmp_path_factory):
    """(the 2 ranks' results, one process's results). The processes' start (importing torch and
    transformers) is most of the time: ~15 s on 2 idle cores; the training itself ~2 s a rank."""
    ranks = distributed.spawn_training(scenarios, 2, str(tmp_path_factory.mktemp("ddp")), timeout=240)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the ranks (2 threads on 2 busy cores: ~8x slower)
    try:
        single = scenarios(str(tmp_path_factory.mktemp("single")))
    finally:
        torch.set_num_threads(threads)
    return ranks, single


def _without_key_bias(name: str, value: np.ndarray) -> np.ndarray:
    """The attention's key bias gets a zero gradient in exact arithmetic (softmax ignores a constant
    added to every key), so AdamW turns its rounding noise into steps of either sign: it differs
    between any two summation orders and is left out of the comparison; everything else must agree."""
    if not name.endswith("attn.c_attn.bias"):
        return value
    width = value.shape[-1] // 3  # [query | key | value]
    return np.concatenate([value[..., :width], value[..., 2 * width :]], axis=-1)


def assert_same_run(got: dict, want: dict) -> None:
    np.testing.assert_allclose(got["losses"], want["losses"], rtol=1e-4, atol=1e-6)
    assert got["weights"].keys() == want["weights"].keys()
    for k, v in want["weights"].items():
        np.testing.assert_allclose(
            _without_key_bias(k, np.asarray(got["weights"][k])), _without_key_bias(k, np.asarray(v)),
            rtol=1e-4, atol=1e-5, err_msg=k,
        )  # fmt: skip
    assert got["best"] == want["best"]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["full", "sampled", "text", "text_sampled", "stop", "resume"])
def test_two_processes_take_the_steps_of_one(ddp_runs, name):
    ranks, single = ddp_runs
    assert [r["world"] for r in ranks] == [2, 2] and single["world"] == 1
    assert len(single[name]["losses"]) == {"full": 9, "sampled": 6, "text": 9, "text_sampled": 6, "stop": 9, "resume": 3}[name]
    if name.startswith("text"):  # the projection trained (and equally on every rank, below)
        assert not np.array_equal(single[name]["weights"]["item_text.proj.weight"], single["initial_proj"])
    for r in ranks:
        assert_same_run(r[name], single[name])
        if name == "resume":  # it went on from rank 0's checkpoint of epoch 1
            assert [h["epoch"] for h in r[name]["history"]] == [1, 2]
    # every rank holds the same weights and logged the same losses (all-reduced)
    assert ranks[0][name]["losses"] == ranks[1][name]["losses"]
    for k, v in ranks[0][name]["weights"].items():
        np.testing.assert_array_equal(ranks[1][name]["weights"][k], v)


def test_the_shares_of_a_batch_hold_different_target_counts():
    """The exact scaling matters here: the 2-process run above would differ from one process if each
    rank averaged over its own targets."""
    tokenizer = make_tokenizer()
    examples = uneven_examples(tokenizer)
    order = np.random.default_rng([0, 0]).permutation(len(examples))  # epoch 0's order (seed 0)
    first = [examples[i] for i in order[:8]]
    counts = [sum(len(e.item_targets) for e in distributed.shard(first, r, 2)) for r in range(2)]
    assert counts[0] != counts[1], counts


@pytest.mark.slow
def test_only_rank_0_evaluates_and_every_rank_stops_together(ddp_runs):
    ranks, single = ddp_runs
    assert single["stop"]["calls"] == 3 and single["stop"]["best"] == (1, 3)
    assert [r["stop"]["calls"] for r in ranks] == [3, 0]
    for r in ranks:  # rank 0's metrics reached rank 1: the same history, the same stop, epoch 1's weights
        assert r["stop"]["best"] == (1, 3)
        assert [h["valid"] for h in r["stop"]["history"]] == METRICS[:3]
        for k, v in ranks[0]["stop"]["epoch1"].items():
            np.testing.assert_array_equal(r["stop"]["weights"][k], v)
    assert ranks[0]["stop"]["files"] == ["checkpoint-best", "checkpoint-last"]  # written by rank 0 alone


def test_one_process_share_is_the_whole_loss(tokenizer):
    """Outside DDP the shares of all ranks add up to the batch loss (the identity the DDP run relies on)."""
    model = fresh_model(tokenizer).eval()
    batch = uneven_examples(tokenizer)[:5]
    cfg = TrainerConfig(**BASE, hard_negatives=2)
    rng = lambda: np.random.default_rng(7)
    cpu = torch.device("cpu")
    with torch.no_grad():
        whole = float(trainer_mod._batch_loss(model, batch, tokenizer, cfg, rng(), cpu))
        for world in (1, 2, 3, 7):
            shares = [float(trainer_mod._batch_loss(model, batch, tokenizer, cfg, rng(), cpu, shard=(r, world)))
                      for r in range(world)]  # fmt: skip
            assert sum(shares) == pytest.approx(whole, rel=1e-5), world
    assert whole > 0


def test_shard_bounds_split_contiguously():
    for n in range(0, 12):
        for world in (1, 2, 3, 5):
            bounds = [distributed.shard_bounds(n, r, world) for r in range(world)]
            assert bounds[0][0] == 0 and bounds[-1][1] == n
            assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))
            sizes = [hi - lo for lo, hi in bounds]
            assert max(sizes) - min(sizes) <= 1 and sizes == sorted(sizes, reverse=True)
    assert distributed.shard(list(range(5)), 1, 2) == [3, 4]
    with pytest.raises(ValueError):
        distributed.shard_bounds(3, 2, 2)


@pytest.mark.slow
def test_a_failing_rank_fails_the_run_instead_of_hanging():
    """Rank 0 blocks in a barrier that rank 1 never reaches: the launcher reports rank 1's error and
    stops rank 0 at once, long before the collectives' timeout."""
    t0 = time.perf_counter()
    with pytest.raises(RuntimeError, match="rank 1 failed(.|\n)*planted failure"):
        distributed.spawn_training(fail_on_rank_1, 2, timeout=240)
    assert time.perf_counter() - t0 < 200
