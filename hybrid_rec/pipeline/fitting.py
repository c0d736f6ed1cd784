"""Fitting the fusion on validation: the same scoring path as serving, on validation users' first-stage
candidates, once plainly and once with a request per user naming a genre of their held-out item (as
InstructRec's intention tasks), so that both fusions are fitted on the features they will rank."""

from __future__ import annotations

import logging

import numpy as np
import scipy.sparse as sp

from hybrid_rec.candidates.generator import CandidateGenerator
from hybrid_rec.candidates.outside import FileRetrieverConfig, make_retriever
from hybrid_rec.candidates.requests import RequestStage
from hybrid_rec.data.interactions import Interactions
from hybrid_rec.pipeline.config import HybridConfig
from hybrid_rec.pipeline.scoring import FittedPipeline, masked
from hybrid_rec.rerank.fusion import LinearFusion
from hybrid_rec.rerank.reranker import GPT2Reranker

__all__ = ["fit_fusions", "validation_intentions"]

log = logging.getLogger(__name__)


def validation_intentions(reranker: GPT2Reranker, target: sp.csr_matrix, seed: int) -> list[str | None] | None:
    """One request per validation user naming a category of their held-out item ("a comedy movie");
    None without a catalog category field."""
    catalog = reranker.catalog
    if catalog is None or catalog.category_field(reranker.verbalizer.config.category_field) is None:
        return None
    rng = np.random.default_rng(seed)
    first = target.indices[target.indptr[:-1]]
    return [reranker.verbalizer.genre_request(int(item), rng) for item in first]


def fit_fusions(
    config: HybridConfig, generator: CandidateGenerator, reranker: GPT2Reranker, train: Interactions, valid: Interactions
) -> FittedPipeline:
    """The fitted pipeline: the stages as given, the fusion weights and scales fitted on `valid`."""
    stage = RequestStage(config.requests, reranker.catalog)
    unfitted = FittedPipeline(generator, reranker, LinearFusion(config.fusion), None, stage)
    users = np.unique(valid.user)
    seen, target = train.to_csr()[users], valid.to_csr()[users]

    def features(
        requests: list[str | None] | None, items: np.ndarray | None = None
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """The scored features of `items` (None: the first stage's candidates) for the validation users."""
        query = unfitted.query(users, requests)
        if items is None:
            items, _ = unfitted.first_stage(query, config.n_candidates, seen)
        scored = unfitted.score(query, items)
        return {k: masked(v, scored.excluded) for k, v in scored.features.items()}, items

    fusion = LinearFusion(config.fusion).fit(*features(None), target)
    request_fusion = None
    requests = validation_intentions(reranker, target, config.reranker.trainer.seed)
    if requests is not None:
        request_fusion = LinearFusion(config.fusion).fit(*features(requests), target)
    outside = None
    if (given := _outside_lists(config, train, users, seen)) is not None:  # the same fit on a stand-in's lists
        outside = LinearFusion(config.fusion).fit(*features(None, given[0]), target)
        outside.fitted_on = given[1]
    return FittedPipeline(generator, reranker, fusion, request_fusion, stage, outside)


def _outside_lists(
    config: HybridConfig, train: Interactions, users: np.ndarray, seen: sp.csr_matrix
) -> tuple[np.ndarray, str] | None:
    """The validation users' lists of ``config.outside``'s retriever fitted on `train` (a file: its
    ``valid_path`` lists) and the retriever's kind; None when unset (or a file without validation lists)."""
    retriever_config = config.outside
    if retriever_config is None:
        return None
    if isinstance(retriever_config, FileRetrieverConfig):
        if retriever_config.valid_path is None:
            log.warning("outside: a file retriever without valid_path: outside lists use the first stage's fusion")
            return None
        retriever_config = retriever_config.model_copy(update={"path": retriever_config.valid_path})
    items = make_retriever(retriever_config).fit(train).retrieve(users, config.n_candidates, seen).items
    return items, retriever_config.kind
