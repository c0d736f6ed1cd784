"""Hyper-parameter search for `compare`: the grid (default) or Optuna (TPE, pruning).

A method's parameters in the config are fixed values, lists (grid axes; Optuna choices) or ranges
``{low, high, log, step}`` (Optuna only). With ``[search] kind = "optuna"`` each method gets
``trials`` (or ``method_trials[name]``) trials of a seeded sampler; methods that train an LM report
their validation NDCG@10 after every epoch, and a median pruner stops trials that fall behind.
Optuna is an optional extra (``pip install hybrid_rec[tune]``): the grid needs nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field

from hybrid_rec._extras import require
from hybrid_rec.config import StrictModel
from hybrid_rec.errors import ConfigError


class SearchConfig(StrictModel):
    """How each method's parameters are searched on validation."""

    kind: Literal["grid", "optuna"] = Field(
        "grid", description="'grid' (every combination of list values) or 'optuna' (a sampler with a trial budget)."
    )
    trials: int = Field(20, gt=0, description="optuna: trials per method (unless method_trials names it).")
    method_trials: dict[str, int] = Field(
        default_factory=dict, description="optuna: trials for particular methods, e.g. {gpt2 = 10}."
    )
    timeout: float | None = Field(None, gt=0, description="optuna: seconds per method after which no trial starts.")
    seed: int = Field(0, description="optuna: the sampler's seed (the same seed gives the same trials).")
    sampler: Literal["tpe", "random"] = Field("tpe", description="optuna: 'tpe' (default) or 'random'.")
    pruning: bool = Field(
        True, description="optuna: stop LM trials whose per-epoch validation NDCG@10 falls below the median."
    )
    startup_trials: int = Field(
        5, ge=0, description="optuna: trials sampled at random (and never pruned) before TPE and pruning start."
    )


def is_range(value: object) -> bool:
    """A ``{low, high[, log, step]}`` table: a range to sample, not a nested config."""
    return isinstance(value, dict) and {"low", "high"} <= set(value) and set(value) <= {"low", "high", "log", "step"}


def grid_points(name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Every combination of the list values (the grid); ranges are an error here."""
    ranged = [k for k, v in params.items() if is_range(v)]
    if ranged:
        raise ConfigError(f"methods.{name}: {ranged} are ranges; they need [search] kind = 'optuna'")
    axes = {k: v if isinstance(v, list) else [v] for k, v in params.items()}
    if any(len(v) == 0 for v in axes.values()):
        raise ConfigError(f"methods.{name}: an empty list gives an empty grid")
    return [dict(zip(axes, values, strict=True)) for values in itertools.product(*axes.values())]


@dataclass
class Trial:
    """One searched point: its parameters, its validation metric (None when pruned or failed) and state."""

    number: int
    params: dict[str, Any]
    value: float | None
    state: str


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
            "best_value": self.best_value,
        }


# objective(params, report) -> the validation metric; `report(epoch, value)` may raise to prune.
Objective = Callable[[dict[str, Any], Callable[[int, float], None] | None], float]


def optuna_search(name: str, params: dict[str, Any], objective: Objective, config: SearchConfig) -> SearchResult:
    """Maximise `objective` over `params` (fixed values, choices, ranges) with Optuna."""
    optuna = require("optuna", "tune", "[search] kind = 'optuna'")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if config.sampler == "tpe":
        sampler = optuna.samplers.TPESampler(seed=config.seed, n_startup_trials=config.startup_trials)
    else:
        sampler = optuna.samplers.RandomSampler(seed=config.seed)
    pruner = (
        optuna.pruners.MedianPruner(n_startup_trials=config.startup_trials)
        if config.pruning
        else optuna.pruners.NopPruner()
    )
    study = optuna.create_study(direction="maximize", sampler=sampler, pruner=pruner)

    def run(trial: Any) -> float:
        point = {key: _suggest(trial, key, value) for key, value in params.items()}
        trial.set_user_attr("params", point)

        def report(step: int, value: float) -> None:
            trial.report(value, step)
            if trial.should_prune():
                raise optuna.TrialPruned()

        return objective(point, report)

    trials = config.method_trials.get(name, config.trials)
    study.optimize(run, n_trials=trials, timeout=config.timeout, catch=())
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not done:
        raise ConfigError(f"methods.{name}: no Optuna trial completed (all pruned or timed out); raise trials")
    best = max(done, key=lambda t: t.value)
    history = [
        Trial(t.number, t.user_attrs.get("params", {}), t.value if t.state.name == "COMPLETE" else None, t.state.name)
        for t in study.trials
    ]
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
