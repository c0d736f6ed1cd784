"""Instruction tuning of the reranker LM on verbalized training histories.

Each training example is an instruction whose history is a window of a user's items (oldest
first). Losses: a causal-LM loss on the instruction's text tokens, a softmax over the text
vocabulary (``lm_weight``); a listwise loss at every item position, a softmax over all item tokens
for the true next item (``listwise_weight``); and at each window's last position a softmax of the
true next item against that user's hard negatives from the first stage (``hard_negative_weight``). A share of windows
(``intention_fraction``) uses the request template with a request naming a genre of the target,
teaching the model explicit intentions. Early stopping on validation NDCG@10 (full ranking through
the item-token distribution). The vocabulary head is applied only where a loss reads it, so no
[batch, positions, vocabulary] logits are ever built. Deterministic for a seed; resumable from
``checkpoint-last``. Data-parallel (DDP) inside a `torch.distributed` process group (`Trainer`).
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch
from pydantic import Field
from safetensors.torch import load_file, save_file
from tqdm.auto import tqdm
from transformers import GPT2LMHeadModel

from hybrid_rec.config import StrictModel
from hybrid_rec.errors import ConfigError
from hybrid_rec.rerank import distributed
from hybrid_rec.rerank.model import load_saved, save_pretrained
from hybrid_rec.rerank.tokenizer import RecTokenizer
from hybrid_rec.verbalize.verbalizer import Verbalizer, encode_with_layout

log = logging.getLogger(__name__)


class TrainerConfig(StrictModel):
    epochs: int = Field(12, gt=0, description="Most epochs (early stopping may end training sooner).")
    batch_size: int = Field(
        64, gt=0, description="Training windows per optimizer step (under DDP the global batch, shared by the ranks)."
    )
    lr: float = Field(1e-3, gt=0, description="Peak AdamW learning rate (linear warm-up, then linear decay).")
    weight_decay: float = Field(0.01, ge=0, description="AdamW weight decay.")
    warmup_steps: int = Field(50, ge=0, description="Optimizer steps of linear learning-rate warm-up.")
    lm_weight: float = Field(0.1, ge=0, description="Weight of the causal-LM loss on the instruction's text tokens.")
    listwise_weight: float = Field(
        1.0, ge=0, description="Weight of the softmax over all item tokens for the true next item, at every position."
    )
    hard_negative_weight: float = Field(
        0.2, ge=0, description="Weight of the true next item against the user's first-stage hard negatives (0 = off)."
    )
    hard_negatives: int = Field(50, ge=0, description="Hard negatives sampled per window for that loss.")
    intention_fraction: float = Field(
        0.1, ge=0, le=1, description="Share of windows written as a request naming a genre of the target, in [0, 1]."
    )
    sampled_softmax_above: int = Field(
        20_000,
        ge=0,
        description="Catalogs with more items than this train the listwise loss on a sampled softmax (the batch's "
        "targets + `sampled_negatives` drawn by popularity, logQ-corrected) instead of the full one, so a step's "
        "cost does not grow with the catalog; the full softmax (best where it is cheap) below.",
    )
    sampled_negatives: int = Field(
        4096, gt=0, description="Negatives drawn per step for the sampled softmax (shared by the whole batch)."
    )
    sampling_power: float = Field(
        0.75, ge=0, le=1, description="Negatives are drawn with probability proportional to count ** power (0 = uniform)."
    )
    windows_per_epoch: int | None = Field(
        None,
        gt=0,
        description="Train each epoch on a fresh seeded uniform sample of this many windows (all windows when unset "
        "or when there are fewer): bounds an epoch's cost on big data; the learning-rate schedule counts sampled steps.",
    )
    patience: int = Field(3, ge=1, description="Stop after this many epochs without a better validation NDCG@10.")
    max_minutes: float | None = Field(
        None, gt=0, description="Wall-clock budget in minutes: no epoch starts after it; unset: no limit."
    )
    seed: int = Field(0, description="Seed of example order, negative sampling and dropout (runs are reproducible).")


@dataclass(eq=False)  # a window equals only itself
class Example:
    """One training window, held as compact arrays (at 10M interactions there are ~200k windows:
    Python lists of ints and tuples took ~4.5x the memory). Lists are accepted and converted."""

    ids: np.ndarray  # token ids, int32
    item_targets: np.ndarray  # [n, 2] int64: (position whose next token is the item, item id)
    negatives: np.ndarray  # hard negatives for the last target

    def __post_init__(self) -> None:
        self.ids = np.asarray(self.ids, dtype=np.int32)
        self.item_targets = np.asarray(self.item_targets, dtype=np.int64).reshape(-1, 2)


def build_examples(
    sequences: dict[int, np.ndarray],
    verbalizer: Verbalizer,
    tokenizer: RecTokenizer,
    n_positions: int,
    rng: np.random.Generator,
    *,
    attributes: Callable[[int], dict[str, object] | None] | None = None,
    negatives: dict[int, np.ndarray] | None = None,
    intention_fraction: float = 0.0,
) -> list[Example]:
    """Cut each user's item sequence (internal ids, oldest first) into windows that fit `n_positions`.

    Implicit windows make every history item a target (predicted from everything before it);
    intention windows hold one target, named by genre in the request.
    """
    examples: list[Example] = []
    empty = np.empty(0, np.int64)
    for user, seq in sequences.items():
        attrs = attributes(user) if attributes else None
        negs = negatives.get(user, empty) if negatives else empty
        end = len(seq)
        while end > 0:
            target = int(seq[end - 1])
            if end >= 2 and verbalizer.genres(target) and rng.random() < intention_fraction:
                request = verbalizer.genre_request(target, rng)
                instr = verbalizer.instruction(seq[: end - 1], attributes=attrs, request=request)
                ids, _ = encode_with_layout(instr, tokenizer, n_positions - 1)
                window = np.asarray([*ids, tokenizer.item_token_id(target)])
                examples.append(Example(window, np.asarray([(len(ids) - 1, target)]), negs))
                end -= 1
                continue
            instr = verbalizer.instruction(seq[:end], attributes=attrs)
            ids, starts = encode_with_layout(instr, tokenizer, n_positions)
            if not starts:
                break  # the template leaves no room for history
            kept = seq[end - len(starts) : end]
            targets = np.column_stack([np.asarray(starts) - 1, kept])
            examples.append(Example(np.asarray(ids), targets, negs))
            end -= len(starts)
    return examples


def sampling_distribution(counts: np.ndarray, power: float) -> np.ndarray:
    """Probabilities of drawing each item as a sampled negative: ``count ** power`` normalised, with
    a floor so that items never seen in training are drawn too (and their log-probability is finite)."""
    weights = np.maximum(np.asarray(counts, np.float64), 0.5) ** power
    return weights / weights.sum()


def _sampled_candidates(
    targets: list[int], q: np.ndarray, cfg: TrainerConfig, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """The sampled softmax's candidates (the batch's targets + `sampled_negatives` items drawn from
    `q`, shared by the whole batch) and their logQ correction, log(expected number of draws)."""
    drawn = rng.choice(len(q), size=cfg.sampled_negatives, replace=True, p=q)
    cands = np.unique(np.concatenate([np.asarray(targets), drawn]))
    return cands, np.log(np.maximum(cfg.sampled_negatives * q[cands], 1e-30))


def _sampled_listwise(
    hidden: torch.Tensor, item_head: torch.Tensor, targets: list[int], cands: np.ndarray, logq: np.ndarray
) -> torch.Tensor:
    """Sampled softmax with the logQ correction (Bengio & Senecal 2008; Yi et al. 2019), summed over
    `targets`: each target against the candidates (`_sampled_candidates`); every candidate's logit is
    reduced by log(its expected number of draws), which makes the estimate of the full softmax's
    gradient consistent. Only the candidates' rows of the item head are read."""
    label = torch.as_tensor(np.searchsorted(cands, targets), device=hidden.device)
    rows = torch.as_tensor(cands, device=hidden.device)
    logits = (hidden @ item_head[rows].T).float() - torch.as_tensor(logq, device=hidden.device).float()
    return torch.nn.functional.cross_entropy(logits, label, reduction="sum")


def _hard_candidates(batch: list[Example], cfg: TrainerConfig, rng: np.random.Generator) -> list[np.ndarray | None]:
    """Per window: its last target, then up to `hard_negatives` of its hard negatives (sampled without
    replacement when there are more; the target itself excluded), padded with -1; None: no such loss."""
    out: list[np.ndarray | None] = []
    for e in batch:
        if len(e.item_targets) == 0 or len(e.negatives) == 0:
            out.append(None)
            continue
        t = int(e.item_targets[-1, 1])
        negs = e.negatives[e.negatives != t]
        if len(negs) > cfg.hard_negatives:
            negs = rng.choice(negs, cfg.hard_negatives, replace=False)
        out.append(np.concatenate([[t], negs, np.full(cfg.hard_negatives - len(negs), -1)]))
    return out


def _batch_loss(
    model: GPT2LMHeadModel,
    batch: list[Example],
    tokenizer: RecTokenizer,
    cfg: TrainerConfig,
    rng: np.random.Generator,
    device: torch.device,
    sampling: np.ndarray | None = None,
    shard: tuple[int, int] | None = None,
) -> torch.Tensor:
    """The training loss of one batch; `sampling` = the sampled-softmax distribution over items (None:
    the full softmax).

    `shard` = (rank, world size) under DDP: this rank's share of the loss of the global `batch`. The
    rank runs only its contiguous part of the windows (`distributed.shard_bounds`) and each loss term
    is summed there and divided by the whole batch's count of that term, so the ranks' shares add up
    to the loss of one process and so do their gradients, however the targets fall. The random draws
    (sampled and hard negatives) are made for the whole batch on every rank from the same `rng`: the
    draws of one process. A rank with no window runs the model on one with a zero loss, so that every
    parameter takes part in every rank's backward (DDP waits for all of them)."""
    base = tokenizer.base_vocab_size
    targets = [int(t) for e in batch for t in e.item_targets[:, 1]]
    sampled = None  # the random draws first, in one process's order, for the whole batch
    if targets and cfg.listwise_weight > 0 and sampling is not None:
        sampled = _sampled_candidates(targets, sampling, cfg, rng)
    hard = _hard_candidates(batch, cfg, rng) if cfg.hard_negative_weight > 0 and cfg.hard_negatives > 0 else []
    n_text = sum(int((e.ids[1:] < base).sum()) for e in batch)  # the whole batch's count of each term
    n_hard = sum(c is not None for c in hard)
    lo, hi = (0, len(batch)) if shard is None else distributed.shard_bounds(len(batch), *shard)
    part = batch[lo:hi] or batch[:1]

    width = max(len(e.ids) for e in part)
    ids = torch.full((len(part), width), tokenizer.eos_id, dtype=torch.long)
    mask = torch.zeros((len(part), width), dtype=torch.long)
    for r, e in enumerate(part):
        ids[r, : len(e.ids)] = torch.as_tensor(e.ids)
        mask[r, : len(e.ids)] = 1
    ids, mask = ids.to(device), mask.to(device)
    # Hidden states, not logits: the vocabulary head is applied only where a loss needs it (text
    # positions against the text vocabulary, item positions against the item rows), so memory and
    # compute do not grow with batch x positions x catalog.
    hidden = model.transformer(input_ids=ids, attention_mask=mask).last_hidden_state
    head = cast(torch.nn.Linear, model.get_output_embeddings()).weight  # GPT-2: tied to the input embeddings
    loss = torch.zeros((), device=device)
    if shard is not None:
        loss = loss + 0.0 * (hidden.sum() + head.sum())  # every parameter in the graph, on every rank
        if hi == lo:
            return loss
    text_head, item_head = head[:base], head[base:]
    ce = torch.nn.functional.cross_entropy
    if cfg.lm_weight > 0 and n_text:  # causal LM on text tokens of the instruction
        nxt = ids[:, 1:]
        text = (mask[:, 1:] == 1) & (nxt < base)
        if text.any():
            text_logits = (hidden[:, :-1][text] @ text_head.T).float()
            loss = loss + cfg.lm_weight * ce(text_logits, nxt[text], reduction="sum") / n_text
    rows = [r for r, e in enumerate(part) for _ in range(len(e.item_targets))]
    pos = [int(p) for e in part for p in e.item_targets[:, 0]]
    tgt = [int(t) for e in part for t in e.item_targets[:, 1]]
    if rows and cfg.listwise_weight > 0 and sampled is not None:
        listwise = _sampled_listwise(hidden[rows, pos], item_head, tgt, *sampled)
        loss = loss + cfg.listwise_weight * listwise / len(targets)
    elif rows and cfg.listwise_weight > 0:
        item_logits = (hidden[rows, pos] @ item_head.T).float()
        listwise = ce(item_logits, torch.as_tensor(tgt, device=device), reduction="sum")
        loss = loss + cfg.listwise_weight * listwise / len(targets)
    mine = [(r - lo, c) for r, c in enumerate(hard) if c is not None and lo <= r < hi]
    if mine:
        cand_t = torch.as_tensor(np.asarray([c for _, c in mine]), device=device)
        hn_rows = [r for r, _ in mine]
        hn_pos = [int(part[r].item_targets[-1, 0]) for r in hn_rows]
        sel = hidden[hn_rows, hn_pos]  # [n, H] against only the candidates' item rows
        scores = torch.einsum("nh,nch->nc", sel, item_head[cand_t.clamp(min=0)]).float()
        scores = scores.masked_fill(cand_t < 0, float("-inf"))
        zeros = torch.zeros(len(hn_rows), dtype=torch.long, device=device)
        loss = loss + cfg.hard_negative_weight * ce(scores, zeros, reduction="sum") / n_hard
    return loss


@dataclass
class TrainResult:
    best_metric: float
    best_epoch: int
    epochs_run: int
    seconds: float
    history: list[dict[str, float]]
    step_losses: list[float] = field(default_factory=list)  # each optimizer step's batch loss, this call's steps


class _ShareLoss(torch.nn.Module):
    """What DDP wraps: its forward is this rank's share of a batch's loss (`_batch_loss` with `shard`).
    DDP hooks a module's forward, and the loss reaches the LM through ``model.transformer`` and the tied
    head, not through ``model.forward``; so the whole loss runs inside this forward."""

    def __init__(self, model: GPT2LMHeadModel, trainer: Trainer) -> None:
        super().__init__()
        self.model = model
        self.trainer = trainer
        self.shard = (distributed.rank(), distributed.world_size())

    def forward(self, batch: list[Example], rng: np.random.Generator) -> torch.Tensor:
        t = self.trainer
        return _batch_loss(self.model, batch, t.tokenizer, t.config, rng, t.device, t.sampling, shard=self.shard)


def _evaluate_epoch(
    evaluate: Callable[[], float] | None, on_epoch: Callable[[int, float], None] | None, epoch: int, loss_avg: float
) -> float:
    """The epoch's validation metric (then `on_epoch`); without `evaluate` (e.g. an incremental
    fine-tune) the epoch number, so the last epoch is kept."""
    if evaluate is None:
        log.debug("epoch %d: loss %.4f", epoch + 1, loss_avg)
        return float(epoch)
    metric = float(evaluate())
    log.info("epoch %d: loss %.4f, valid ndcg@10 %.4f", epoch + 1, loss_avg, metric)
    if on_epoch is not None:
        on_epoch(epoch + 1, metric)
    return metric


class Trainer:
    """Trains `model` on `examples`; `evaluate()` returns the validation NDCG@10 (higher is better).

    Inside an initialised `torch.distributed` process group (e.g. a script run with ``torchrun
    --nproc_per_node 2 script.py`` that calls ``torch.distributed.init_process_group("gloo")``, or
    "nccl" on GPUs; or `distributed.spawn_training`) the LM trains with DDP, with the same code on
    every rank: ``batch_size`` is the global batch; each rank computes its contiguous share of it
    (shares of the loss whose sum is one process's loss, so W processes take one process's optimizer
    steps up to float rounding); DDP averages the gradients. Only rank 0 calls `evaluate` and
    `on_epoch` (the other ranks may pass None), logs, and writes checkpoints; its metric and stop
    decisions are broadcast, so every rank stops at the same epoch and ends with the best weights.
    Resuming reads ``out_dir`` on every rank (one machine or a shared file system). With dropout, each
    rank draws its own masks. See `hybrid_rec.rerank.distributed` and the README.
    """

    def __init__(
        self,
        model: GPT2LMHeadModel,
        tokenizer: RecTokenizer,
        config: TrainerConfig,
        device: torch.device | None = None,
        progress: bool = False,
        item_counts: np.ndarray | None = None,
    ) -> None:
        """`item_counts` (training interactions per item) shape the sampled-softmax negatives; without
        them they are drawn uniformly. The sampled softmax is used only above ``sampled_softmax_above`` items."""
        self.model, self.tokenizer, self.config = model, tokenizer, config
        self.device = device or torch.device("cpu")
        self.progress = progress
        self.sampling: np.ndarray | None = None
        if tokenizer.n_items > config.sampled_softmax_above:
            counts = np.ones(tokenizer.n_items) if item_counts is None else np.asarray(item_counts, np.float64)
            if len(counts) != tokenizer.n_items:
                raise ConfigError(f"item_counts has {len(counts)} entries for {tokenizer.n_items} item tokens")
            self.sampling = sampling_distribution(counts, config.sampling_power)

    def _optimizer(self) -> torch.optim.Optimizer:
        return torch.optim.AdamW(self.model.parameters(), lr=self.config.lr, weight_decay=self.config.weight_decay)

    def train(
        self,
        examples: list[Example],
        evaluate: Callable[[], float] | None,
        out_dir: str | Path | None = None,
        on_epoch: Callable[[int, float], None] | None = None,
    ) -> TrainResult:
        """Train with early stopping on `evaluate()`; `on_epoch(epoch, metric)` after each evaluated
        epoch (a hyper-parameter search reports it; raising there stops training)."""
        cfg = self.config
        ddp_on = distributed.is_distributed()
        rank, world = distributed.rank(), distributed.world_size()
        main = rank == 0  # evaluates, logs and writes checkpoints
        if ddp_on:
            self.device = distributed.training_device(self.device)
        model = self.model.to(self.device)  # type: ignore[arg-type]  # transformers types .to via functools.wraps
        opt = self._optimizer()
        per_epoch = min(len(examples), cfg.windows_per_epoch or len(examples))
        steps_per_epoch = math.ceil(per_epoch / cfg.batch_size)
        total = steps_per_epoch * cfg.epochs
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: min(1.0, (s + 1) / max(cfg.warmup_steps, 1)) * max(0.05, 1 - s / max(total, 1))
        )
        out = Path(out_dir) if out_dir else None
        state: dict[str, Any] = {
            "epoch": 0,
            "best_metric": -1.0,
            "best_epoch": -1,
            "bad_epochs": 0,
            "history": [],
            "seconds": 0.0,
        }
        if out and (out / "checkpoint-last" / "trainer_state.json").is_file():
            state = self._resume(out / "checkpoint-last", opt, sched)
            if main:
                log.info("resuming from epoch %d", state["epoch"])
        if not distributed.agree(state["epoch"]):
            raise ConfigError(f"{out}: the ranks resumed from different epochs; out_dir must be shared by every rank")
        ddp = distributed.wrap(_ShareLoss(model, self), self.device) if ddp_on else None
        best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        if out and (out / "checkpoint-best").is_dir() and state["best_epoch"] >= 0:
            best_state = {
                k: v.clone() for k, v in load_saved(out / "checkpoint-best").state_dict().items()
            }
        step_losses: list[float] = []
        start = time.perf_counter() - state["seconds"]
        for epoch in range(state["epoch"], cfg.epochs):
            if state["bad_epochs"] >= cfg.patience:
                break
            over = bool(cfg.max_minutes) and (time.perf_counter() - start) / 60 > cast(float, cfg.max_minutes)
            if cfg.max_minutes and ddp_on:
                over = bool(distributed.from_rank0([over])[0])  # the ranks' clocks differ: rank 0's decides
            if over:
                if main:
                    log.info("stopping: max_minutes=%s reached", cfg.max_minutes)
                break
            rng = np.random.default_rng([cfg.seed, epoch])  # the same on every rank: one epoch order
            torch.manual_seed(cfg.seed * 100_003 + epoch + 1_000_003 * rank)  # dropout: deterministic and resumable
            order = rng.permutation(len(examples))[:per_epoch]  # windows_per_epoch: a fresh sample each epoch
            model.train()
            running = 0.0
            bar = tqdm(
                range(steps_per_epoch),
                desc=f"epoch {epoch + 1}/{cfg.epochs}",
                disable=not (self.progress and main),
                leave=False,
            )
            for step in bar:
                batch = [examples[i] for i in order[step * cfg.batch_size : (step + 1) * cfg.batch_size]]
                if ddp is None:
                    loss = _batch_loss(model, batch, self.tokenizer, cfg, rng, self.device, self.sampling)
                else:
                    loss = ddp(batch, rng)  # this rank's share of the batch's loss
                opt.zero_grad(set_to_none=True)
                (loss * world if ddp_on else loss).backward()  # DDP averages the ranks' gradients: x W sums them
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                sched.step()
                step_losses.append(distributed.all_sum(float(loss.detach())))
                running += step_losses[-1]
                bar.set_postfix(loss=f"{running / (step + 1):.3f}")
            model.eval()
            loss_avg = running / max(steps_per_epoch, 1)
            if ddp_on:
                metric = self._evaluate_on_rank0(evaluate, on_epoch, epoch, loss_avg)
            else:
                metric = _evaluate_epoch(evaluate, on_epoch, epoch, loss_avg)
            state["history"].append({"epoch": epoch + 1, "loss": loss_avg, "valid": metric})
            if metric > state["best_metric"]:
                state.update(best_metric=metric, best_epoch=epoch + 1, bad_epochs=0)
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                if out and main:
                    save_pretrained(model, out / "checkpoint-best")
            else:
                state["bad_epochs"] += 1
            state["epoch"] = epoch + 1
            state["seconds"] = time.perf_counter() - start
            if out and main:
                self._checkpoint(out / "checkpoint-last", opt, sched, state)
        model.load_state_dict(best_state)
        model.eval()
        return TrainResult(
            state["best_metric"],
            state["best_epoch"],
            state["epoch"],
            time.perf_counter() - start,
            state["history"],
            step_losses,
        )

    @staticmethod
    def _evaluate_on_rank0(
        evaluate: Callable[[], float] | None, on_epoch: Callable[[int, float], None] | None, epoch: int, loss_avg: float
    ) -> float:
        """Under DDP: rank 0 evaluates (and calls `on_epoch`) with its own `evaluate` (None: the epoch, as
        outside DDP; the other ranks' are never called), every rank gets its metric. An exception there is
        raised on rank 0 and a `RuntimeError` on the others (none is left waiting)."""
        metric, error = float("nan"), None
        if distributed.rank() == 0:
            try:
                metric = _evaluate_epoch(evaluate, on_epoch, epoch, loss_avg)
            except BaseException as e:
                error = e
        metric, failed = distributed.from_rank0([metric, float(error is not None)])
        if error is not None:
            raise error
        if failed:
            raise RuntimeError(f"epoch {epoch + 1}: rank 0 failed in evaluate/on_epoch; training stopped")
        return metric

    # ------------------------------------------------------------------ checkpoints (no pickle)
    def _checkpoint(self, directory: Path, opt: torch.optim.Optimizer, sched, state: dict) -> None:
        tmp = directory.with_name(directory.name + ".tmp")
        save_pretrained(self.model, tmp)
        tensors, meta = {}, {}
        for idx, s in opt.state_dict()["state"].items():
            for key, value in s.items():
                if torch.is_tensor(value):
                    tensors[f"{idx}.{key}"] = value.detach().cpu().contiguous()
                else:
                    meta[f"{idx}.{key}"] = value
        save_file(tensors, str(tmp / "optimizer.safetensors"))
        (tmp / "trainer_state.json").write_text(
            json.dumps(
                {
                    **state,
                    "optimizer_meta": meta,
                    "param_groups": opt.state_dict()["param_groups"],
                    "scheduler": sched.state_dict(),
                },
                default=float,
            )
        )
        if directory.exists():
            import shutil

            shutil.rmtree(directory)
        tmp.rename(directory)

    def _resume(self, directory: Path, opt: torch.optim.Optimizer, sched) -> dict:
        saved = json.loads((directory / "trainer_state.json").read_text())
        weights = load_saved(directory).state_dict()
        self.model.load_state_dict(weights)
        tensors = load_file(str(directory / "optimizer.safetensors"))
        per_param: dict[int, dict] = {}
        for key, value in tensors.items():
            idx, name = key.split(".", 1)
            per_param.setdefault(int(idx), {})[name] = value.to(self.device)
        for key, value in saved.pop("optimizer_meta").items():
            idx, name = key.split(".", 1)
            per_param.setdefault(int(idx), {})[name] = value
        opt.load_state_dict({"state": per_param, "param_groups": saved.pop("param_groups")})
        sched.load_state_dict(saved.pop("scheduler"))
        return saved
