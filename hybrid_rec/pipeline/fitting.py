"""Fitting the second stage on validation: the same scoring path as serving, on validation users' first-stage
candidates, once plainly and once with a request per user naming a genre of their held-out item (as
InstructRec's intention tasks), so that the ranker is fitted on the features it will rank: the linear kind
fits one blend on each, the learned kind (`HybridConfig.ranker`) one model on both, a list per group."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import scipy.sparse as sp

from hybrid_rec.candidates.generator import CandidateGenerator
from hybrid_rec.candidates.outside import FileRetrieverConfig, make_retriever
from hybrid_rec.candidates.requests import RequestStage
from hybrid_rec.data.interactions import Interactions
from hybrid_rec.data.simulated_user import SimulatedUsers, category_vectors
from hybrid_rec.pipeline.config import HybridConfig
from hybrid_rec.pipeline.rounds import Recommend, RoundState, play_rounds
from hybrid_rec.pipeline.scoring import FittedPipeline, masked
from hybrid_rec.pipeline.session_features import SESSION_FEATURES
from hybrid_rec.rerank.fusion import LinearFusion
from hybrid_rec.rerank.ranker import LightGBMRanker, LightGBMRankerConfig
from hybrid_rec.rerank.reranker import GPT2Reranker
from hybrid_rec.topk import TopK

__all__ = ["fit_fusions", "fit_session_fusion", "validation_intentions"]

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

    plain = features(None)
    fusion = LinearFusion(config.fusion).fit(*plain, target)
    request_fusion, asked = None, None
    requests = validation_intentions(reranker, target, config.reranker.trainer.seed)
    if requests is not None:
        asked = features(requests)
        request_fusion = LinearFusion(config.fusion).fit(*asked, target)
    ranker = None
    if isinstance(config.ranker, LightGBMRankerConfig):  # one correction of both blends, boosted from their scores
        lists = [(*plain, fusion)] + ([(*asked, request_fusion)] if asked is not None and request_fusion else [])
        feats, items, _ = zip(*lists, strict=True)
        bases = [blend.transform(f, i) for f, i, blend in lists]
        ranker = LightGBMRanker(config.ranker).fit(list(feats), list(items), [target] * len(lists), bases)
    outside = None
    if (given := _outside_lists(config, train, users, seen)) is not None:  # the same fit on a stand-in's lists
        outside = LinearFusion(config.fusion).fit(*features(None, given[0]), target)
        outside.fitted_on = given[1]
    fitted = FittedPipeline(generator, reranker, fusion, request_fusion, stage, outside, ranker=ranker)
    session = fit_session_fusion(config, fitted, users, target)
    return replace(fitted, session_fusion=session) if session is not None else fitted


def fit_session_fusion(
    config: HybridConfig, state: FittedPipeline, users: np.ndarray, target: sp.csr_matrix
) -> LinearFusion | None:
    """The session fusion, fitted on simulated rounds of validation `users` (rows of `target`: their
    held-out items): a quarter of them click, a quarter say "more like", a quarter "less like" (the
    shown item least like their target), a quarter click and state a category of their target. The
    session term (weights of the session features, added to the plain or request fusion's score) is
    refitted after every reacted round on all reacted rounds so far; the next round is ranked with it. None without a
    catalog or when `session_fit.enabled` is off."""
    fit = config.session_fit
    catalog = state.reranker.catalog
    if not fit.enabled or catalog is None or not len(users):
        return None
    rng = np.random.default_rng(fit.seed)
    pick = np.sort(rng.choice(len(users), min(fit.users, len(users)), replace=False))
    targets = target.indices[target.indptr[pick]]  # each user's first held-out item
    vectors = category_vectors(catalog, state.generator.items) if fit.policy == "categories" else None
    matcher = state.requests.bind(state.generator.items).matcher
    if vectors is None and matcher is not None:
        vectors = matcher.text_vectors
    if vectors is None:
        return None
    requests = validation_intentions(state.reranker, target[pick], fit.seed) or [None] * len(pick)
    current = LinearFusion(config.fusion, {f: 0.0 for f in SESSION_FEATURES})
    current.fitted_on = "session_rounds"
    pooled: list[tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]] = []
    items_map = state.generator.items

    def recommend(group: np.ndarray) -> Recommend:
        def one(rows: np.ndarray, states: Sequence[RoundState], asked: Sequence[str | None] | None) -> TopK:
            nonlocal current
            who = group[rows]
            live = replace(state, session_fusion=current)
            query = live.query(users[pick[who]], asked, [s.session(items_map) for s in states])
            items, _ = live.first_stage(query, config.n_candidates, None)
            scored = live.score(query, items)
            top, _ = live.rank(query, scored, fit.k)
            if (reacted := query.reacted).any():
                base = replace(live, session_fusion=None).rank(query, scored, fit.k)[1]  # without the term
                feats = {k: v[reacted] for k, v in scored.features.items() if k in SESSION_FEATURES}
                pooled.append((feats, items[reacted], base[reacted], targets[who][reacted]))
                current = _refit(config, pooled, len(items_map))
            return top

        return one

    kinds = ("click", "more_like", "less_like", "click+request")
    for group, kind in zip(np.array_split(rng.permutation(len(pick)), len(kinds)), kinds, strict=True):
        if len(group):
            play_rounds(recommend(group), SimulatedUsers(vectors, targets[group]), fit.rounds, kind,
                        [requests[g] for g in group])  # fmt: skip
    if not pooled:
        return None
    log.info("session fusion: %s on %d validation rows of simulated rounds (valid ndcg@%d %.4f)", current.weights,
             sum(len(p[1]) for p in pooled), config.fusion.metric_k, getattr(current, "valid_ndcg", float("nan")))  # fmt: skip
    return current


def _refit(
    config: HybridConfig, pooled: list[tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]], n_items: int
) -> LinearFusion:
    """The session term fitted on every pooled round (features, candidates, the fused scores without
    the term, targets; rows padded to one width)."""
    width = max(items.shape[1] for _, items, _, _ in pooled)
    pad = lambda a, fill: np.pad(a, ((0, 0), (0, width - a.shape[1])), constant_values=fill)  # noqa: E731
    items = np.concatenate([pad(i, -1) for _, i, _, _ in pooled])
    offset = np.concatenate([pad(b, np.nan) for _, _, b, _ in pooled])
    features = {n: np.concatenate([pad(f[n], np.nan) for f, _, _, _ in pooled]) for n in SESSION_FEATURES}
    tgt = np.concatenate([t for _, _, _, t in pooled])
    targets = sp.csr_matrix((np.ones(len(tgt)), (np.arange(len(tgt)), tgt)), shape=(len(tgt), n_items))
    fusion = LinearFusion(config.fusion).fit_added(features, items, targets, offset, SESSION_FEATURES)
    fusion.fitted_on = "session_rounds"
    return fusion


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
