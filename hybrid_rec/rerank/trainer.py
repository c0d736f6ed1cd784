"""Instruction tuning of the reranker LM on verbalized training histories.

Each training example is an instruction whose history is a window of a user's items (oldest
first; the windows are `hybrid_rec.rerank.examples`). Losses: a causal-LM loss on the instruction's text tokens, a softmax over the text
vocabulary (``lm_weight``); a listwise loss at every item position, a softmax over all item tokens
for the true next item (``listwise_weight``); and at each window's last position a softmax of the
true next item against that user's hard negatives from the first stage (``hard_negative_weight``).
Intention windows (``intentions_per_user`` per user, at random points of the history) use the
request template with a request written from the catalog for the target
(`hybrid_rec.verbalize.intentions`: its categories, an earlier title like it, its decade, or a
category it is not, rejected), teaching the model explicit intentions; a request that rejects a
category takes that category's items as the window's hard negatives. Early stopping on validation NDCG@10 (full ranking through
the item-token distribution). The losses are `hybrid_rec.rerank.losses`: the vocabulary head is
applied only where a loss reads it. Deterministic for a seed; resumable from ``checkpoint-last``
(`TrainState`). Data-parallel (DDP) inside a `torch.distributed` process group (`Trainer`).
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from tqdm.auto import tqdm
from transformers import GPT2LMHeadModel

from hybrid_rec.errors import ConfigError, DataError
from hybrid_rec.rerank import distributed
from hybrid_rec.rerank.examples import Example
from hybrid_rec.rerank.losses import batch_loss as _batch_loss  # the name the tests patch and call
from hybrid_rec.rerank.losses import sampling_distribution
from hybrid_rec.rerank.model import load_saved, save_pretrained
from hybrid_rec.rerank.tokenizer import RecTokenizer
from hybrid_rec.rerank.trainer_config import TrainerConfig

log = logging.getLogger(__name__)


@dataclass
class TrainResult:
    """What `Trainer.train` hands back: the best epoch (its weights are the model's) and the run's record."""

    best_metric: float
    best_epoch: int
    epochs_run: int
    seconds: float
    history: list[dict[str, float]]
    step_losses: list[float] = field(default_factory=list)  # each optimizer step's batch loss, this call's steps


@dataclass
class TrainState:
    """Where a run stands after its last finished epoch: what ``checkpoint-last/trainer_state.json``
    holds (with the optimizer's and the scheduler's state) and what a resumed run goes on from."""

    epoch: int = 0  # epochs finished
    best_metric: float = -1.0  # the best validation metric so far
    best_epoch: int = -1  # its epoch (1-based; -1: none yet)
    bad_epochs: int = 0  # epochs since the last improvement (early stopping: `patience`)
    history: list[dict[str, float]] = field(default_factory=list)  # per epoch: epoch, loss, valid
    seconds: float = 0.0  # training time so far, carried over a resume (the `max_minutes` budget)

    @classmethod
    def from_saved(cls, saved: dict[str, Any]) -> TrainState:
        """The state of a ``trainer_state.json`` (its optimizer and scheduler entries removed)."""
        names = {f.name for f in fields(cls)}
        if missing := names - saved.keys():
            raise DataError(f"trainer_state.json lacks {sorted(missing)}; the checkpoint is incomplete")
        return cls(**{k: v for k, v in saved.items() if k in names})


@dataclass(eq=False)
class _Run:
    """One `Trainer.train` call's working objects, rebuilt by every call (a resume reloads their state)."""

    model: GPT2LMHeadModel
    opt: torch.optim.Optimizer
    sched: torch.optim.lr_scheduler.LambdaLR
    out: Path | None  # where checkpoints go (None: nowhere)
    per_epoch: int  # windows trained per epoch
    steps: int  # optimizer steps per epoch
    ddp: torch.nn.Module | None = None  # the DDP-wrapped `_ShareLoss`; None outside a process group
    best_weights: dict[str, torch.Tensor] = field(default_factory=dict)  # the best epoch's, handed back at the end
    start: float = 0.0  # `time.perf_counter()` at the start, less the seconds of the resumed run
    step_losses: list[float] = field(default_factory=list)


def _snapshot(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A detached copy of the model's weights."""
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


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

    def _scheduler(self, opt: torch.optim.Optimizer, total: int) -> torch.optim.lr_scheduler.LambdaLR:
        """Linear warm-up over ``warmup_steps``, then linear decay to 5% of the peak at `total` steps."""
        warmup = max(self.config.warmup_steps, 1)
        return torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: min(1.0, (s + 1) / warmup) * max(0.05, 1 - s / max(total, 1))
        )

    def train(
        self,
        examples: list[Example],
        evaluate: Callable[[], float] | None,
        out_dir: str | Path | None = None,
        on_epoch: Callable[[int, float], None] | None = None,
    ) -> TrainResult:
        """Train with early stopping on `evaluate()`; `on_epoch(epoch, metric)` after each evaluated
        epoch (a hyper-parameter search reports it; raising there stops training). Goes on from
        ``out_dir/checkpoint-last`` when there is one; hands back the model with the best epoch's weights."""
        run, state = self._start(len(examples), Path(out_dir) if out_dir else None)
        for epoch in range(state.epoch, self.config.epochs):
            if self._should_stop(run, state):
                break
            loss_avg = self._train_epoch(run, examples, epoch)
            metric = self._evaluate(evaluate, on_epoch, epoch, loss_avg)
            better = self._record_epoch(run, state, epoch, loss_avg, metric)
            if better:
                run.best_weights = _snapshot(run.model)
            self._save_epoch(run, state, better)
        run.model.load_state_dict(run.best_weights)
        run.model.eval()
        elapsed = time.perf_counter() - run.start
        return TrainResult(state.best_metric, state.best_epoch, state.epoch, elapsed, state.history, run.step_losses)

    # ------------------------------------------------------------------ the steps of `train`
    def _start(self, n_examples: int, out: Path | None) -> tuple[_Run, TrainState]:
        """The run's model (on this rank's device), optimizer, schedule and DDP wrapper, and its state:
        fresh, or resumed from ``out/checkpoint-last`` (with ``checkpoint-best``'s weights as the best)."""
        cfg = self.config
        if distributed.is_distributed():
            self.device = distributed.training_device(self.device)
        model = self.model.to(self.device)  # type: ignore[arg-type]  # transformers types .to via functools.wraps
        opt = self._optimizer()
        per_epoch = min(n_examples, cfg.windows_per_epoch or n_examples)
        steps = math.ceil(per_epoch / cfg.batch_size)
        run = _Run(model, opt, self._scheduler(opt, steps * cfg.epochs), out, per_epoch, steps)
        state = self._initial_state(run)
        if distributed.is_distributed():
            run.ddp = distributed.wrap(_ShareLoss(model, self), self.device)
        run.best_weights = _snapshot(model)
        if out and (out / "checkpoint-best").is_dir() and state.best_epoch >= 0:
            run.best_weights = {k: v.clone() for k, v in load_saved(out / "checkpoint-best").state_dict().items()}
        run.start = time.perf_counter() - state.seconds
        return run, state

    def _initial_state(self, run: _Run) -> TrainState:
        """A fresh state, or the one of ``checkpoint-last`` (loaded into the model, optimizer and
        schedule) when `run.out` holds one; every rank must start from the same epoch."""
        state = TrainState()
        if run.out and (run.out / "checkpoint-last" / "trainer_state.json").is_file():
            state = self._resume(run.out / "checkpoint-last", run.opt, run.sched)
            if distributed.rank() == 0:
                log.info("resuming from epoch %d", state.epoch)
        if not distributed.agree(state.epoch):
            raise ConfigError(
                f"{run.out}: the ranks resumed from different epochs; out_dir must be shared by every rank"
            )
        return state

    def _should_stop(self, run: _Run, state: TrainState) -> bool:
        """Whether no further epoch starts: `patience` epochs without improvement, or `max_minutes`
        spent (under DDP rank 0's clock decides, since the ranks' clocks differ)."""
        cfg = self.config
        if state.bad_epochs >= cfg.patience:
            return True
        over = bool(cfg.max_minutes) and (time.perf_counter() - run.start) / 60 > cast(float, cfg.max_minutes)
        if cfg.max_minutes and run.ddp is not None:
            over = bool(distributed.from_rank0([over])[0])
        if over and distributed.rank() == 0:
            log.info("stopping: max_minutes=%s reached", cfg.max_minutes)
        return over

    def _train_epoch(self, run: _Run, examples: list[Example], epoch: int) -> float:
        """One epoch's optimizer steps over a seeded order of the windows; the mean batch loss."""
        cfg = self.config
        rng = np.random.default_rng([cfg.seed, epoch])  # the same on every rank: one epoch order
        torch.manual_seed(cfg.seed * 100_003 + epoch + 1_000_003 * distributed.rank())  # dropout: resumable
        order = rng.permutation(len(examples))[: run.per_epoch]  # windows_per_epoch: a fresh sample each epoch
        run.model.train()
        running = 0.0
        bar = tqdm(
            range(run.steps),
            desc=f"epoch {epoch + 1}/{cfg.epochs}",
            disable=not (self.progress and distributed.rank() == 0),
            leave=False,
        )
        for step in bar:
            batch = [examples[i] for i in order[step * cfg.batch_size : (step + 1) * cfg.batch_size]]
            running += self._step(run, batch, rng)
            bar.set_postfix(loss=f"{running / (step + 1):.3f}")
        run.model.eval()
        return running / max(run.steps, 1)

    def _step(self, run: _Run, batch: list[Example], rng: np.random.Generator) -> float:
        """One optimizer step on `batch` (this rank's share under DDP); the batch's loss, summed over the ranks."""
        if run.ddp is None:
            loss = _batch_loss(run.model, batch, self.tokenizer, self.config, rng, self.device, self.sampling)
        else:
            loss = run.ddp(batch, rng)  # this rank's share of the batch's loss
        run.opt.zero_grad(set_to_none=True)
        # DDP averages the ranks' gradients: x W sums them
        (loss * distributed.world_size() if run.ddp is not None else loss).backward()
        torch.nn.utils.clip_grad_norm_(run.model.parameters(), 1.0)
        run.opt.step()
        run.sched.step()
        run.step_losses.append(distributed.all_sum(float(loss.detach())))
        return run.step_losses[-1]

    def _evaluate(
        self,
        evaluate: Callable[[], float] | None,
        on_epoch: Callable[[int, float], None] | None,
        epoch: int,
        loss_avg: float,
    ) -> float:
        """The epoch's validation metric (`_evaluate_epoch`); under DDP rank 0's, on every rank."""
        if distributed.is_distributed():
            return self._evaluate_on_rank0(evaluate, on_epoch, epoch, loss_avg)
        return _evaluate_epoch(evaluate, on_epoch, epoch, loss_avg)

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

    @staticmethod
    def _record_epoch(run: _Run, state: TrainState, epoch: int, loss_avg: float, metric: float) -> bool:
        """The early-stopping bookkeeping of a finished epoch (history, best, epochs without improvement,
        time); whether its metric is a new best."""
        state.history.append({"epoch": epoch + 1, "loss": loss_avg, "valid": metric})
        better = metric > state.best_metric
        if better:
            state.best_metric, state.best_epoch, state.bad_epochs = metric, epoch + 1, 0
        else:
            state.bad_epochs += 1
        state.epoch = epoch + 1
        state.seconds = time.perf_counter() - run.start
        return better

    # ------------------------------------------------------------------ checkpoints (no pickle)
    def _save_epoch(self, run: _Run, state: TrainState, better: bool) -> None:
        """On rank 0 with an `out_dir`: ``checkpoint-best`` after a `better` epoch, ``checkpoint-last`` always."""
        if run.out is None or distributed.rank() != 0:
            return
        if better:
            save_pretrained(run.model, run.out / "checkpoint-best")
        self._checkpoint(run.out / "checkpoint-last", run.opt, run.sched, state)

    def _checkpoint(
        self, directory: Path, opt: torch.optim.Optimizer, sched: torch.optim.lr_scheduler.LambdaLR, state: TrainState
    ) -> None:
        """The model, the optimizer's tensors (safetensors) and the rest of the state (JSON) in
        `directory`, written to a temporary sibling first and renamed (an interrupted write leaves the
        previous checkpoint)."""
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
        saved = {
            **asdict(state),
            "optimizer_meta": meta,
            "param_groups": opt.state_dict()["param_groups"],
            "scheduler": sched.state_dict(),
        }
        (tmp / "trainer_state.json").write_text(json.dumps(saved, default=float))
        if directory.exists():
            shutil.rmtree(directory)
        tmp.rename(directory)

    def _resume(
        self, directory: Path, opt: torch.optim.Optimizer, sched: torch.optim.lr_scheduler.LambdaLR
    ) -> TrainState:
        """Load a `_checkpoint` into the model, `opt` and `sched`; its `TrainState`."""
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
        return TrainState.from_saved(saved)
