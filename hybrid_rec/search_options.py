"""What every hyper-parameter search shares (`compare` and `train`): how it runs (`SearchOptions`) and
what a range is (`SearchRange`). Core, so that both the pipeline (`train`'s ``[search]``) and
`hybrid_rec.evaluate.search` (which runs searches) read them without importing each other.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from hybrid_rec.config import StrictModel

__all__ = ["RANGE_KEYS", "SearchOptions", "SearchRange", "dotted_paths"]

RANGE_KEYS = {"low", "high", "log", "step"}  # the keys of a range table


class SearchOptions(StrictModel):
    """How a hyper-parameter search runs (`compare` and `train` share these): the grid of list values,
    or Optuna's seeded sampler with a trial budget (the `tune` extra)."""

    kind: Literal["grid", "optuna"] = Field(
        "grid", description="'grid' (every combination of list values) or 'optuna' (a sampler with a trial budget)."
    )
    trials: int = Field(
        20, gt=0, description="optuna: how many trials (compare: per method, unless method_trials names it)."
    )
    timeout: float | None = Field(
        None, gt=0, description="optuna: seconds after which no new trial starts (compare: per method)."
    )
    seed: int = Field(0, description="optuna: the sampler's seed (the same seed gives the same trials).")
    sampler: Literal["tpe", "random"] = Field("tpe", description="optuna: 'tpe' (default) or 'random'.")
    pruning: bool = Field(
        True, description="optuna: stop LM trials whose per-epoch validation NDCG@10 falls below the median."
    )
    startup_trials: int = Field(
        5, ge=0, description="optuna: trials sampled at random (and never pruned) before TPE and pruning start."
    )
    pruning_warmup: int = Field(
        2,
        ge=0,
        description="optuna: epochs a trial runs before it may be pruned (a low learning rate starts slower "
        "and can end best).",
    )

    def trials_for(self, name: str) -> int:
        """The trial budget of the search called `name` (in `compare`: a method)."""
        return self.trials


class SearchRange(StrictModel):
    """A range Optuna samples: integers when `low` and `high` are both integers, floats otherwise."""

    low: int | float = Field(description="The smallest value.")
    high: int | float = Field(description="The largest value.")
    log: bool = Field(False, description="Sample on a log scale (needs low > 0).")
    step: int | float | None = Field(None, gt=0, description="Optional: only values low + k * step.")

    @model_validator(mode="after")
    def _check(self) -> SearchRange:
        if self.high < self.low:
            raise ValueError(f"low {self.low} is above high {self.high}")
        if self.log and self.low <= 0:
            raise ValueError("log = true needs low > 0")
        if self.log and self.step is not None:
            raise ValueError("step and log = true do not combine; drop one")
        return self


def dotted_paths(space: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested tables that are not ranges as dotted paths: ``{candidates: {als: {factors: [8]}}}`` is
    ``{"candidates.als.factors": [8]}`` (TOML reads an unquoted dotted key as nested tables)."""
    out: dict[str, Any] = {}
    for key, value in space.items():
        if isinstance(value, dict) and value and not set(value) <= RANGE_KEYS:
            out.update(dotted_paths(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out
