"""Hyper-parameter search for `compare` and `train`: the grid (default) or Optuna (TPE, pruning).

Parameters are fixed values, lists (grid axes; Optuna choices) or ranges ``{low, high, log, step}``
(Optuna only). With ``[search] kind = "optuna"`` each search (in `compare`: each method) gets
``trials`` (or ``method_trials[name]``) trials of a seeded sampler; searches that train an LM report
their validation NDCG@10 after every epoch, and a median pruner stops trials that fall behind (after
``pruning_warmup`` epochs). A point the sampler repeats reuses the first trial's result (training
is seeded), so a trial budget over a few choices does not train the same model twice.
Optuna is an optional extra (``pip install hybrid_rec[tune]``): the grid needs nothing. The options
shared with `train`'s ``[search]`` (`SearchOptions`) are in the core module `hybrid_rec.search_options`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field

from hybrid_rec._extras import require
from hybrid_rec.errors import ConfigError
from hybrid_rec.search_options import RANGE_KEYS, SearchOptions

__all__ = [
    "Objective",
    "SearchConfig",
    "SearchOptions",
    "SearchResult",
    "Trial",
    "grid_points",
    "grid_search",
    "is_range",
    "optuna_search",
    "plot_history",
]


class SearchConfig(SearchOptions):
    """How each method's parameters are searched on validation."""

    method_trials: dict[str, int] = Field(
        default_factory=dict, description="optuna: trials for particular methods, e.g. {gpt2 = 10}."
    )

    def trials_for(self, name: str) -> int:
        return self.method_trials.get(name, self.trials)


def is_range(value: object) -> bool:
    """A ``{low, high[, log, step]}`` table: a range to sample, not a nested config."""
    return isinstance(value, dict) and {"low", "high"} <= set(value) <= RANGE_KEYS


def grid_points(name: str, params: dict[str, Any], *, where: str | None = None) -> list[dict[str, Any]]:
    """Every combination of the list values (the grid); ranges are an error here. `where` names the
    config table in messages (default ``methods.<name>``)."""
    where = where or f"methods.{name}"
    ranged = [k for k, v in params.items() if is_range(v)]
    if ranged:
        raise ConfigError(f"{where}: {ranged} are ranges; they need [search] kind = 'optuna'")
    axes = {k: v if isinstance(v, list) else [v] for k, v in params.items()}
    if any(len(v) == 0 for v in axes.values()):
        raise ConfigError(f"{where}: an empty list gives an empty grid")
    return [dict(zip(axes, values, strict=True)) for values in itertools.product(*axes.values())]


@dataclass
class Trial:
    """One searched point: its parameters, its validation metric (None when pruned or failed) and state."""

    number: int
    params: dict[str, Any]
    value: float | None
    state: str
    repeat_of: int | None = None  # the earlier trial with the same point, whose result this one reuses


@dataclass
class SearchResult:
    best_params: dict[str, Any]
    best_value: float
    trials: list[Trial] = field(default_factory=list)

    def summary(self, kind: str) -> dict[str, Any]:
        return {
            "kind": kind,
            "trials": [t.__dict__ for t in self.trials],
            "pruned": sum(t.state == "PRUNED" for t in self.trials),
            "repeats": sum(t.repeat_of is not None for t in self.trials),
            "best_value": self.best_value,
            "best_params": self.best_params,
        }


# objective(params, report) -> the validation metric; `report(epoch, value)` may raise to prune.
Objective = Callable[[dict[str, Any], Callable[[int, float], None] | None], float]


def grid_search(params: dict[str, Any], objective: Objective, *, where: str) -> SearchResult:
    """Maximise `objective` over every grid point of `params` (the first of equal values wins); the
    history records every point, as an Optuna search's does."""
    history = [Trial(i, point, float(objective(point, None)), "COMPLETE")
               for i, point in enumerate(grid_points("", params, where=where))]  # fmt: skip
    best = max(history, key=lambda t: t.value if t.value is not None else float("-inf"))
    return SearchResult(best.params, float(best.value or 0.0), history)


def optuna_search(
    name: str, params: dict[str, Any], objective: Objective, config: SearchOptions, *, where: str | None = None
) -> SearchResult:
    """Maximise `objective` over `params` (fixed values, choices, ranges) with Optuna (`where`: the
    config table named in messages, default ``methods.<name>``)."""
    optuna = require("optuna", "tune", "[search] kind = 'optuna'")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if config.sampler == "tpe":
        sampler = optuna.samplers.TPESampler(seed=config.seed, n_startup_trials=config.startup_trials)
    else:
        sampler = optuna.samplers.RandomSampler(seed=config.seed)
    pruner = (
        optuna.pruners.MedianPruner(n_startup_trials=config.startup_trials, n_warmup_steps=config.pruning_warmup)
        if config.pruning
        else optuna.pruners.NopPruner()
    )
    study = optuna.create_study(direction="maximize", sampler=sampler, pruner=pruner)
    finished: dict[str, tuple[int, float | None]] = {}  # a point's key -> (first trial, value; None: pruned)

    def run(trial: Any) -> float:
        point = {key: _suggest(trial, key, value) for key, value in params.items()}
        trial.set_user_attr("params", point)
        key = repr(sorted(trial.params.items()))
        if key in finished:  # the sampler repeated a point (common with choices): training is seeded,
            first, value = finished[key]  # so its result is known; reuse it instead of training again
            trial.set_user_attr("repeat_of", first)
            if value is None:
                raise optuna.TrialPruned()
            return value

        def report(step: int, value: float) -> None:
            trial.report(value, step)
            if trial.should_prune():
                raise optuna.TrialPruned()

        try:
            value = float(objective(point, report))
        except optuna.TrialPruned:
            finished[key] = (trial.number, None)
            raise
        finished[key] = (trial.number, value)
        return value

    study.optimize(run, n_trials=config.trials_for(name), timeout=config.timeout, catch=())
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not done:
        raise ConfigError(
            f"{where or f'methods.{name}'}: no Optuna trial completed (all pruned or timed out); raise trials"
        )
    best = max(done, key=lambda t: t.value)
    history = [
        Trial(t.number, t.user_attrs.get("params", {}), t.value if t.state.name == "COMPLETE" else None, t.state.name,
              t.user_attrs.get("repeat_of"))
        for t in study.trials
    ]  # fmt: skip
    return SearchResult(best.user_attrs["params"], float(best.value), history)


def _suggest(trial: Any, key: str, value: Any) -> Any:
    if is_range(value):
        low, high = value["low"], value["high"]
        log, step = bool(value.get("log", False)), value.get("step")
        if isinstance(low, int) and isinstance(high, int) and not isinstance(low, bool):
            return trial.suggest_int(key, low, high, log=log, step=int(step or 1))
        return trial.suggest_float(key, float(low), float(high), log=log, step=step)
    if isinstance(value, list):
        if all(isinstance(v, str | int | float | bool) or v is None for v in value):
            return trial.suggest_categorical(key, value)
        return value[trial.suggest_categorical(key, list(range(len(value))))]  # tables: chosen by position
    return value


def plot_history(searches: dict[str, dict[str, Any]], ylabel: str, path: Path) -> None:
    """Per search (name -> `SearchResult.summary`) with more than one trial: each trial's metric
    (pruned trials at the bottom, hollow) and the best so far, against the trial number."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    searches = {name: search for name, search in searches.items() if len(search["trials"]) > 1} or searches

    fig, axes = plt.subplots(1, len(searches), figsize=(4.5 * len(searches), 3.4), squeeze=False)
    for ax, (name, search) in zip(axes[0], searches.items(), strict=True):
        done = [
            (t["number"], t["value"]) for t in search["trials"] if t["value"] is not None and t["state"] == "COMPLETE"
        ]
        pruned = [t["number"] for t in search["trials"] if t["state"] == "PRUNED"]
        if done:
            xs, ys = zip(*done, strict=True)
            ax.scatter(xs, ys, s=14, label="trial")
            best = [max(ys[: i + 1]) for i in range(len(ys))]
            ax.step(xs, best, where="post", color="C3", label="best so far")
            if pruned:
                ax.scatter(pruned, [min(ys)] * len(pruned), s=14, facecolors="none", edgecolors="C7", label="pruned")
        ax.set_title(name)
        ax.set_xlabel("trial")
        ax.set_ylabel(ylabel)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
