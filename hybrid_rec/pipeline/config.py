"""The pipeline's configs: the LM stage (`LMStageConfig`) and the whole hybrid (`HybridConfig`).

`HybridConfig` is not an `LMStageConfig`: it holds the same LM-stage fields (so a TOML ``[hybrid]``
table keeps one flat spelling) and hands them to the LM stage through `lm_stage`; the field
definitions are written once (the `_reranker` ... `_validation_users` fields) and shared.
"""

from __future__ import annotations

from typing import Any, TypedDict

from pydantic import Field

from hybrid_rec.candidates.generator import CandidatesConfig
from hybrid_rec.candidates.outside import RetrieverConfig
from hybrid_rec.candidates.requests import RequestsConfig
from hybrid_rec.config import StrictModel
from hybrid_rec.pipeline.rounds import Policy, policy_field
from hybrid_rec.policy import OnUnknown
from hybrid_rec.rerank.fusion import FusionConfig
from hybrid_rec.rerank.ranker import LinearRankerConfig, RankerConfig
from hybrid_rec.rerank.reranker_config import RerankerConfig
from hybrid_rec.session import Session

__all__ = ["HybridConfig", "LMStageConfig", "RecommendOptions", "RerankOptions"]

def _reranker() -> Any:
    return Field(default_factory=RerankerConfig, description="The GPT-2 reranker.")


def _candidates() -> Any:
    return Field(
        default_factory=CandidatesConfig, description="The first stage (its ALS item factors seed the item tokens)."
    )


def _hard_negatives() -> Any:
    return Field(100, ge=0, description="Top first-stage candidates per user used as training hard negatives (0 = none).")


def _validation_users() -> Any:
    return Field(
        None,
        gt=0,
        description="Early stopping (and the hybrid's fusion weights) read a seeded sample of this many validation "
        "users (all when unset): on big data each epoch's full-ranking validation would otherwise score every user.",
    )


class LMStageConfig(StrictModel):
    """The LM reranker and the first stage that gives it item-embedding initialisation and hard negatives
    (the ``gpt2`` method alone, and the LM stage of the hybrid)."""

    reranker: RerankerConfig = _reranker()
    candidates: CandidatesConfig = _candidates()
    hard_negatives_from: int = _hard_negatives()
    validation_users: int | None = _validation_users()

    @property
    def lm_stage(self) -> LMStageConfig:
        return self


class SessionFitConfig(StrictModel):
    """Fitting the session fusion on simulated validation rounds: each sampled validation user is
    shown `k` items per round; a simulated user with the held-out item as its hidden target clicks
    (or says "more / less like") the shown item most (least) like it by `policy`; the weights of the
    session features (a term added to the fused score) are fitted on the lists of rounds 2..`rounds`,
    so how much a reaction moves the next list is learned, not fixed."""

    enabled: bool = Field(True, description="Fit the session fusion (False: reactions only ban items).")
    users: int = Field(300, gt=0, description="Validation users simulated (a seeded sample).")
    rounds: int = Field(3, ge=2, description="Rounds per user (features are collected from round 2 on).")
    k: int = Field(10, gt=0, description="Items shown per round.")
    policy: Policy = policy_field()
    seed: int = Field(0, description="Seed of the user sample and of the stated requests.")


class HybridConfig(StrictModel):
    """First-stage candidates (``n_candidates`` per user), reranked by the LM, fused with the CF scores."""

    reranker: RerankerConfig = _reranker()
    candidates: CandidatesConfig = _candidates()
    hard_negatives_from: int = _hard_negatives()
    validation_users: int | None = _validation_users()
    n_candidates: int = Field(100, gt=0, description="First-stage candidates per user that the LM reranks.")
    fusion: FusionConfig = Field(
        default_factory=FusionConfig, description="How LM and CF scores are blended (weights fitted on validation)."
    )
    ranker: RankerConfig = Field(
        default_factory=LinearRankerConfig,
        description="The second stage's ranker: kind 'linear' (the blends of `fusion`, one per situation) or "
        "'lightgbm' (LambdaMART boosted from those blends' scores over every candidate feature and context, one "
        "correction for plain lists and lists with a request; needs LightGBM).",
    )
    requests: RequestsConfig = Field(
        default_factory=RequestsConfig,
        description="How explicit requests act: matching candidates, the 'request' fusion feature, exclusions.",
    )
    session_fit: SessionFitConfig = Field(
        default_factory=SessionFitConfig,
        description="The session fusion: weights for lists after reactions (clicks, 'more like', passed over), "
        "fitted on simulated validation rounds (needs a catalog).",
    )
    outside: RetrieverConfig | None = Field(
        None,
        description="Candidates come from another system too: a second fusion is fitted on validation users' "
        "lists of this stand-in retriever (kind 'popularity' | 'bpr' | 'item_item' | 'first_stage' | 'file' with valid_path), "
        "where the LM and every source score items no source of ours proposed; `rerank` ranks a caller's "
        "lists with it (`fusion='first_stage'` for recommend's weights). Unset: one fusion for both.",
    )

    @property
    def lm_stage(self) -> LMStageConfig:
        """The LM stage's part of this config."""
        return LMStageConfig.model_validate(self.model_dump(include=set(LMStageConfig.model_fields)))


class RecommendOptions(TypedDict, total=False):
    """The keyword options of `HybridPipeline.recommend`, declared once for the APIs that forward them."""

    request: str | None
    session: Session | None
    on_unknown: OnUnknown


class RerankOptions(TypedDict, total=False):
    """The keyword options of `HybridPipeline.rerank`, declared once for the APIs that forward them."""

    request: str | None
    session: Session | None
    on_unknown_items: OnUnknown
    exclude_seen: bool
