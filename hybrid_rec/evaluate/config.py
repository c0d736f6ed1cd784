"""`compare`'s config: the data, the split, the evaluation protocol, the methods and their grids or
search spaces (validated at load, before any data is read)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from hybrid_rec.candidates.generator import CandidatesConfig
from hybrid_rec.config import StrictModel
from hybrid_rec.data.config import DatasetConfig, SplitConfig
from hybrid_rec.errors import ConfigError
from hybrid_rec.evaluate.methods import METHODS
from hybrid_rec.evaluate.rerank_task import RerankTaskConfig
from hybrid_rec.evaluate.rounds_task import RoundsTaskConfig
from hybrid_rec.evaluate.search import SearchConfig, grid_points, is_range

__all__ = ["CompareConfig", "EvaluationConfig", "expand_grid", "first_point", "method_type"]


class EvaluationConfig(StrictModel):
    """Cut-offs, the tuning metric, the bootstrap and which pairs of methods to compare."""

    k: int = Field(
        10, gt=0, description="Headline cut-off: CIs, comparisons, diversity and popularity buckets (added to cutoffs)."
    )
    cutoffs: list[int] = Field(
        default_factory=lambda: [10, 20, 50], description="Cut-offs at which HR, NDCG, Recall and MRR are reported."
    )
    tune_metric: str = Field("ndcg@10", description="Validation metric that picks each method's grid point.")
    bootstrap: int = Field(
        1000, gt=0, le=100_000, description="Bootstrap resamples over users for the 95% CIs and comparisons (<= 1e5)."
    )
    seed: int = Field(0, description="Seed of the bootstrap and of the reference model behind the diversity measure.")
    batch_users: int = Field(
        2048, gt=0, description="Users scored per batch (bounds memory: batch_users x items scores)."
    )
    max_users: int | None = Field(
        None,
        gt=0,
        description="Score validation and test on a seeded sample of this many users each (all when unset): "
        "bounds scoring cost on big data; the fits still read every row. The CIs are over the sampled users.",
    )
    comparisons: list[str] = Field(
        default_factory=list, description="Method pairs '<a>_vs_<b>' compared with a paired bootstrap over users."
    )
    candidate_sizes: list[int] = Field(
        default_factory=lambda: [20, 50, 100, 200],
        description="List sizes N of the candidate recall@N report (with a [candidates] table).",
    )
    intention_task: bool = Field(
        False,
        description="Also score every method on InstructRec's intention task: each test user asks for a genre of "
        "their held-out item; methods that cannot read a request score as without one.",
    )
    intention_noun: str | None = Field(
        None,
        min_length=1,
        description="What an item is called in the intention task's requests; unset: the catalog's noun (what "
        "prompts say), else 'item'.",
    )
    rounds: RoundsTaskConfig | None = Field(
        None,
        description="Optional: the multi-round task: simulated test users with a hidden target react to each "
        "round's list (paging, clicks, 'more / less like', a stated category); hit rate by round per kind.",
    )
    sample_users: int = Field(
        20,
        ge=0,
        le=1000,
        description="Test users report.html shows one by one (seeded draw): recent history, held-out item and "
        "each method's top k with the hits marked; kept in report.json as user_sample. 0: none.",
    )
    ranked_items: Literal["all", "cold"] = Field(
        "all",
        description="What test lists rank: 'all' items (minus the user's fit items), or 'cold': only the items "
        "without interactions in the fit (the item cold-start protocol of DropoutNet and CLCRec; cold_items split).",
    )

    @field_validator("cutoffs")
    @classmethod
    def _positive(cls, v: list[int]) -> list[int]:
        if not v or min(v) <= 0:
            raise ValueError("cutoffs must be a non-empty list of positive integers")
        return sorted(set(v))

    @model_validator(mode="after")
    def _k_in_cutoffs(self) -> EvaluationConfig:
        if self.k not in self.cutoffs:
            self.cutoffs = sorted({*self.cutoffs, self.k})
        return self


class CompareConfig(StrictModel):
    """A whole comparison: dataset, split, evaluation and the methods (TOML tables under ``methods``).

    Each ``[methods.<name>]`` table holds that method's parameters; a list value is a grid axis.
    ``type`` picks the registered method when the table name is not one (e.g. two ALS variants).
    With a ``[candidates]`` table, the recall@N of each candidate source and of the blend is
    measured on test (the ceiling of any reranker).
    """

    dataset: DatasetConfig = Field(default_factory=DatasetConfig, description="Where the interactions come from.")
    split: SplitConfig = Field(default_factory=SplitConfig, description="How train, validation and test are cut.")
    evaluation: EvaluationConfig = Field(
        default_factory=EvaluationConfig, description="Cut-offs, tuning metric, bootstrap and comparisons."
    )
    methods: dict[str, dict[str, Any]] = Field(
        default_factory=lambda: dict[str, dict[str, Any]]({"popularity": {}, "als": {}}),
        description="Methods compared: name -> parameters (a list value is a grid axis; `type` names the "
        "registered method when the name is not one). Parameters are the method's config fields.",
    )
    candidates: CandidatesConfig | None = Field(
        None, description="Optional: also report the recall@N of each candidate source and of the blend on test."
    )
    search: SearchConfig = Field(
        default_factory=SearchConfig,
        description="How parameters are searched on validation: the grid of list values, or Optuna (ranges too).",
    )
    rerank: RerankTaskConfig | None = Field(
        None,
        description="Optional: the rerank task: an outside retriever's lists per test user, reordered by every "
        "method (or `rerank.methods`), against the input order, a random order and the lists' recall ceiling.",
    )

    @model_validator(mode="after")
    def _check_methods(self) -> CompareConfig:
        if not self.methods:
            raise ValueError("methods: name at least one method")
        for name, params in self.methods.items():
            if self.search.kind == "grid":
                expand_grid(name, params)  # raises on unknown types or bad parameters
            else:
                first_point(name, params)
        if self.evaluation.ranked_items == "cold" and self.split.kind != "cold_items":
            raise ValueError("evaluation.ranked_items = 'cold' needs split.kind = 'cold_items'")
        unknown = [m for m in (self.rerank.methods or []) if m not in self.methods] if self.rerank else []
        if unknown:
            raise ValueError(f"rerank.methods: {unknown} are not among the methods {list(self.methods)}")
        for pair in self.evaluation.comparisons:
            a, sep, b = pair.partition("_vs_")
            if not sep or a not in self.methods or b not in self.methods:
                raise ValueError(f"evaluation.comparisons: {pair!r} must be '<a>_vs_<b>' with a and b in methods")
        return self


def method_type(name: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    params = dict(params)
    mtype = params.pop("type", name)
    if mtype not in METHODS:
        raise ConfigError(f"methods.{name}: unknown method type {mtype!r}; known: {sorted(METHODS)}")
    return mtype, params


def expand_grid(name: str, params: dict[str, Any]) -> tuple[str, list[StrictModel]]:
    """The method type and the validated config of every grid point (list values are axes)."""
    mtype, params = method_type(name, params)
    spec = METHODS[mtype]
    return mtype, [spec.config.from_dict(p, source=f"methods.{name}") for p in grid_points(name, params)]


def first_point(name: str, params: dict[str, Any]) -> tuple[str, StrictModel]:
    """The method type and its config at the first choice / low end of every axis (validates an
    Optuna search space before any work)."""
    mtype, params = method_type(name, params)
    point = {k: (v["low"] if is_range(v) else v[0] if isinstance(v, list) and v else v) for k, v in params.items()}
    return mtype, METHODS[mtype].config.from_dict(point, source=f"methods.{name}")
