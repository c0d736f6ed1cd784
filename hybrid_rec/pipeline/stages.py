"""Fitting the two stages: the first stage (ALS trained here or factors from elsewhere) and the LM
instruction-tuned on top of it (item tokens started from ALS factors, hard negatives from its lists,
tokens of items without interactions predicted from their text)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from pydantic import Field

from hybrid_rec.candidates.als import ALSModel, read_factors
from hybrid_rec.candidates.generator import CandidateGenerator, CandidatesConfig
from hybrid_rec.config import StrictModel
from hybrid_rec.data.catalog import ItemCatalog
from hybrid_rec.data.interactions import Interactions
from hybrid_rec.data.splits import sample_user_rows
from hybrid_rec.pipeline.config import LMStageConfig
from hybrid_rec.rerank.reranker import GPT2Reranker

__all__ = ["ExternalFactors", "ExternalFactorsConfig", "fit_generator", "train_reranker"]


@dataclass(frozen=True, eq=False)
class ExternalFactors:
    """CF factors trained elsewhere (e.g. Spark ALS), used instead of training ALS here."""

    user_ids: np.ndarray
    user_factors: np.ndarray
    item_ids: np.ndarray
    item_factors: np.ndarray

    def als_for(self, interactions: Interactions, config: CandidatesConfig) -> ALSModel:
        return ALSModel.from_factors(
            interactions, self.user_ids, self.user_factors, self.item_ids, self.item_factors, config.als
        )


class ExternalFactorsConfig(StrictModel):
    """CF factors trained elsewhere, as Spark ML's ALS writes them (Parquet: an id column and an
    array-of-floats column), used instead of training ALS here (data beyond one machine)."""

    users: str = Field(description="Parquet file or directory of user factors (Spark: `model.userFactors`).")
    items: str = Field(description="Parquet file or directory of item factors (Spark: `model.itemFactors`).")
    id_column: str = Field("id", description="The id column (Spark: 'id').")
    features_column: str = Field("features", description="The factor-array column (Spark: 'features').")

    def load(self) -> ExternalFactors:
        cols = {"id_column": self.id_column, "features_column": self.features_column}
        user_ids, user_factors = read_factors(self.users, **cols)
        item_ids, item_factors = read_factors(self.items, **cols)
        return ExternalFactors(user_ids, user_factors, item_ids, item_factors)


def fit_generator(
    config: CandidatesConfig, rows: Interactions, external: ExternalFactors | None, catalog: ItemCatalog | None = None
) -> CandidateGenerator:
    """The first stage on `rows`, with ALS trained here or taken from `external` factors; with a
    `catalog`, items without interactions get vectors predicted from their text."""
    als = external.als_for(rows, config) if external is not None else None
    return CandidateGenerator(config).fit(rows, als=als, catalog=catalog)


def train_reranker(
    config: LMStageConfig,
    generator: CandidateGenerator,
    train: Interactions,
    catalog: ItemCatalog | None,
    valid: Interactions | None,
    progress: bool = False,
    on_epoch: Callable[[int, float], None] | None = None,
) -> GPT2Reranker:
    """Instruction-tune the LM on `train` (early stopping on `valid`, or its `validation_users` sample),
    its item embeddings started from the fitted first stage's ALS factors and its hard negatives
    taken from that stage's candidates."""
    if valid is not None:
        valid = sample_user_rows(valid, config.validation_users, config.reranker.trainer.seed)
    negatives = None
    if config.hard_negatives_from and config.reranker.trainer.hard_negative_weight > 0:
        users = np.arange(len(train.users))
        items = generator.generate(users, config.hard_negatives_from).items
        negatives = {int(u): row[row >= 0] for u, row in zip(users, items, strict=True)}
    reranker = GPT2Reranker(config.reranker).fit(
        train,
        catalog,
        valid=valid,
        item_factors=generator.item_vectors.factors,
        hard_negatives=negatives,
        progress=progress,
        on_epoch=on_epoch,
    )
    cold_map = generator.fitted.cold_map
    if cold_map is not None and catalog is not None:  # items without interactions: id rows from their features
        features, _ = cold_map.featurizer.transform(catalog, generator.items.ids)
        learned = generator.als.item_support() > 0
        reranker.predict_item_tokens(features, learned, config.candidates.cold_start.regularization)
    return reranker
