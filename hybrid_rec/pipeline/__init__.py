"""The pipeline layer: `HybridPipeline` (first stage -> one scoring path -> fusion) and its parts.

- `config`: `LMStageConfig`, `HybridConfig` and the options the APIs forward;
- `stages`: fitting the first stage and the LM (and CF factors from elsewhere);
- `scoring`: the one scoring path (`FittedPipeline`: query, first stage, score, rank);
- `fitting`: the fusion fitted on validation, with validation intentions;
- `ids`: external ids mapped once (`IdBoundary`), for the API, REST and the CLI;
- `growth`: new events and new items without retraining;
- `persistence`: a fitted pipeline on disk;
- `hybrid`: `HybridPipeline`, the composition;
- `train`: `hybrid-rec train`'s config and `train_pipeline`.
"""

from hybrid_rec.explain import Recommendation
from hybrid_rec.pipeline.config import HybridConfig, LMStageConfig, RecommendOptions, RerankOptions
from hybrid_rec.pipeline.hybrid import HybridPipeline
from hybrid_rec.pipeline.ids import IdBoundary
from hybrid_rec.pipeline.scoring import FittedPipeline, Query, Scored
from hybrid_rec.pipeline.stages import ExternalFactors, ExternalFactorsConfig, fit_generator, train_reranker
from hybrid_rec.pipeline.train import TrainConfig, TrainSearchConfig, train_pipeline
from hybrid_rec.search_options import SearchOptions, SearchRange

__all__ = [
    "ExternalFactors",
    "ExternalFactorsConfig",
    "FittedPipeline",
    "HybridConfig",
    "HybridPipeline",
    "IdBoundary",
    "LMStageConfig",
    "Query",
    "RecommendOptions",
    "Recommendation",
    "RerankOptions",
    "Scored",
    "SearchOptions",
    "SearchRange",
    "TrainConfig",
    "TrainSearchConfig",
    "fit_generator",
    "train_pipeline",
    "train_reranker",
]
