"""`hybrid-rec train`'s config (the data, the hybrid, optional outside factors and a ``[search]``)
and `train_pipeline`, which trains one fixed hybrid on all of a dataset."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator, model_validator

from hybrid_rec.config import StrictModel
from hybrid_rec.data.config import DatasetConfig, build_dataset
from hybrid_rec.data.datasets import Dataset
from hybrid_rec.data.splits import leave_last_out
from hybrid_rec.errors import ConfigError, DataError, NotFittedError
from hybrid_rec.pipeline.config import HybridConfig
from hybrid_rec.pipeline.hybrid import HybridPipeline
from hybrid_rec.pipeline.stages import ExternalFactors, ExternalFactorsConfig
from hybrid_rec.search_options import RANGE_KEYS, SearchOptions, SearchRange, dotted_paths

__all__ = ["TrainConfig", "TrainSearchConfig", "train_pipeline"]

_SPACE_EXAMPLE = (
    'e.g. "candidates.als.factors" = [32, 64] or "reranker.trainer.lr" = {low = 3e-4, high = 3e-3, log = true}'
)


class TrainSearchConfig(SearchOptions):
    """`hybrid-rec train`'s ``[search]``: which hybrid parameters to search (``space``) and how.

    Each trial fits on all rows but each user's last two, stops the LM early and fits the fusion
    weights on the second last, and is scored by the whole pipeline's NDCG@10 on the last (rows it
    never fitted on); the best point is then trained as without a search.
    """

    space: dict[str, list[Any] | SearchRange] = Field(
        description="Dotted paths inside [hybrid] -> a list of choices (a grid axis) or a range "
        "{low, high, log, step} (optuna only), " + _SPACE_EXAMPLE + "."
    )

    @field_validator("space", mode="before")
    @classmethod
    def _check_space(cls, space: Any) -> Any:
        if not isinstance(space, dict) or not space:
            raise ValueError(f"name at least one parameter to search, {_SPACE_EXAMPLE}")
        space = dotted_paths(space)  # TOML reads an unquoted dotted key as nested tables: the same paths
        for path, value in space.items():
            HybridConfig.check_path(path, root="[hybrid]")
            if isinstance(value, list):
                if not value:
                    raise ValueError(f"{path!r}: an empty list has nothing to choose from")
            elif not isinstance(value, SearchRange) and not (
                isinstance(value, dict) and {"low", "high"} <= set(value) <= RANGE_KEYS
            ):
                raise ValueError(
                    f"{path!r}: give a list of choices or a range {{low, high[, log, step]}} "
                    f"(got {value!r}); a fixed value belongs in [hybrid]"
                )
        return space

    @model_validator(mode="after")
    def _ranges_need_optuna(self) -> TrainSearchConfig:
        ranged = [path for path, value in self.space.items() if isinstance(value, SearchRange)]
        if ranged and self.kind == "grid":
            raise ValueError(f"space: {ranged} are ranges; they need [search] kind = 'optuna' (or give lists)")
        return self

    def params(self) -> dict[str, Any]:
        """The space as the search reads it: lists, and ranges as ``{low, high[, log, step]}`` tables."""
        return {
            path: value.model_dump(exclude_none=True) if isinstance(value, SearchRange) else value
            for path, value in self.space.items()
        }


class TrainConfig(StrictModel):
    """`hybrid-rec train`: which data, and the hybrid pipeline to train on all of it (optionally the
    best point of a ``[search]`` over its parameters)."""

    dataset: DatasetConfig = Field(default_factory=DatasetConfig, description="Where the interactions come from.")
    hybrid: HybridConfig = Field(default_factory=HybridConfig, description="The pipeline trained on all of it.")
    external_factors: ExternalFactorsConfig | None = Field(
        None, description="Optional: CF factors trained elsewhere (e.g. Spark ALS) instead of training ALS here."
    )
    search: TrainSearchConfig | None = Field(
        None,
        description="Optional: search these [hybrid] parameters first (scored on each user's last interaction, "
        "never fitted on), then train the best point.",
    )

    @model_validator(mode="after")
    def _check_search_values(self) -> TrainConfig:
        """Every choice (and each range's ends and middle) gives a valid hybrid config: a typo fails
        here, not after hours of trials."""
        if self.search is None:
            return self
        for path, value in self.search.space.items():
            if isinstance(value, list):
                values = value
            else:
                middle = (value.low + value.high) / 2
                values = [value.low, value.high, *([middle] if isinstance(middle, float) else [])]
            for v in values:
                try:
                    self.hybrid.with_params({path: v}, source=f"search.space[{path!r}] = {v!r}")
                except ConfigError as exc:
                    raise ValueError(str(exc)) from None
        return self


def train_pipeline(
    config: TrainConfig,
    *,
    home: str | Path | None = None,
    progress: bool = False,
    dataset: Dataset | None = None,
    external: ExternalFactors | None = None,
) -> tuple[HybridPipeline, str]:
    """Train on all data (`dataset`: already loaded, instead of ``config.dataset``; `external`: CF
    factors given in memory, instead of ``config.external_factors``).

    Each user's last interaction is held out for early stopping and the fusion weights; the first
    stage is then refitted on all rows and the LM reads the full histories. A ``[search]`` runs in
    `hybrid_rec.evaluate.train_search.train_with_search` (as ``hybrid-rec train`` does), which ends here.
    """
    if config.search is not None:
        raise ConfigError(
            "train_pipeline trains one fixed [hybrid]; a [search] runs through "
            "hybrid_rec.evaluate.train_search.train_with_search (as `hybrid-rec train` does)"
        )
    dataset = dataset if dataset is not None else build_dataset(config.dataset, home)
    split = leave_last_out(dataset.interactions)
    if len(split.test) == 0:
        raise DataError(f"{dataset.name}: no user has 3 or more interactions; nothing to hold out for early stopping")
    start = time.perf_counter()
    if external is None and config.external_factors is not None:
        external = config.external_factors.load()
    pipeline = HybridPipeline(config.hybrid, external).fit(
        split.train_valid, dataset.catalog, valid=split.test, progress=progress
    )
    pipeline.refit(dataset.interactions)
    seconds = time.perf_counter() - start
    result = pipeline.reranker.train_result
    if result is None:  # fit always trains the LM; narrows the type
        raise NotFittedError("train: the reranker has no training result")
    info = (
        f"{dataset.name}: {len(dataset.interactions)} interactions, trained in {seconds:.0f}s, "
        f"held-out NDCG@10 of the LM {result.best_metric:.4f} (epoch {result.best_epoch}), "
        f"fusion weights {pipeline.fusion.weights}, with a request "
        f"{pipeline.request_fusion.weights if pipeline.request_fusion is not None else '-'}"
    )
    return pipeline, info
