"""`HybridPipeline`: first-stage candidates -> GPT-2 reranking -> score fusion, end to end.

A thin composition of components that each own one job, its config and its files: the
`CandidateGenerator` (whose sources score their own features), the `GPT2Reranker`, `LinearFusion`
(plain, and fitted on validation intentions for requests) and the `Explainer` (external ids and
explanations). ``fit(train, catalog, valid)`` fits the candidate stage on `train`, instruction-tunes
the LM with early stopping on `valid` and fits the fusion weights on `valid`; ``refit(rows)`` then
refits the candidate stage on more rows and lets the LM read the longer histories, keeping its
weights and the fusion weights.
"""

from __future__ import annotations

import difflib
import time
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypedDict

import numpy as np
import pandas as pd
import scipy.sparse as sp
from pydantic import BaseModel, Field, field_validator, model_validator

from hybrid_rec.candidates.als import ALSModel, read_factors
from hybrid_rec.candidates.generator import CandidateGenerator, CandidatesConfig
from hybrid_rec.candidates.requests import RequestsConfig, RequestStage
from hybrid_rec.config import StrictModel
from hybrid_rec.data.catalog import ItemCatalog
from hybrid_rec.data.config import DatasetConfig, build_dataset
from hybrid_rec.data.datasets import Dataset
from hybrid_rec.data.ids import as_id_array
from hybrid_rec.data.interactions import Interactions
from hybrid_rec.data.splits import leave_last_out, sample_user_rows
from hybrid_rec.errors import ConfigError, DataError, NotFittedError, require_fitted
from hybrid_rec.explain import Explainer, Recommendation
from hybrid_rec.persist import load_config, save_config, verify_checksums, write_checksums
from hybrid_rec.policy import OnUnknown, check_on_unknown
from hybrid_rec.rerank.fusion import FusionConfig, LinearFusion, mmr, rank
from hybrid_rec.rerank.reranker import GPT2Reranker, RerankerConfig
from hybrid_rec.search_options import RANGE_KEYS, SearchOptions, SearchRange
from hybrid_rec.session import Session
from hybrid_rec.text.intent import Intent
from hybrid_rec.topk import TopK

__all__ = [
    "ExternalFactors",
    "ExternalFactorsConfig",
    "GPT2Config",
    "HybridConfig",
    "HybridPipeline",
    "RecommendOptions",
    "Recommendation",
    "RerankOptions",
    "SearchOptions",
    "SearchRange",
    "TrainConfig",
    "TrainSearchConfig",
    "check_hybrid_path",
    "fit_generator",
    "hybrid_at",
    "train_pipeline",
    "train_reranker",
]


class GPT2Config(StrictModel):
    """The LM reranker and the first stage that gives it item-embedding initialisation and hard negatives."""

    reranker: RerankerConfig = Field(default_factory=RerankerConfig, description="The GPT-2 reranker.")
    candidates: CandidatesConfig = Field(
        default_factory=CandidatesConfig, description="The first stage (its ALS item factors seed the item tokens)."
    )
    hard_negatives_from: int = Field(
        100, ge=0, description="Top first-stage candidates per user used as training hard negatives (0 = none)."
    )
    validation_users: int | None = Field(
        None,
        gt=0,
        description="Early stopping (and the hybrid's fusion weights) read a seeded sample of this many validation users "
        "(all when unset): on big data each epoch's full-ranking validation would otherwise score every user.",
    )


class HybridConfig(GPT2Config):
    """First-stage candidates (``n_candidates`` per user), reranked by the LM, fused with the CF scores."""

    n_candidates: int = Field(100, gt=0, description="First-stage candidates per user that the LM reranks.")
    fusion: FusionConfig = Field(
        default_factory=FusionConfig, description="How LM and CF scores are blended (weights fitted on validation)."
    )
    requests: RequestsConfig = Field(
        default_factory=RequestsConfig,
        description="How explicit requests act: matching candidates, the 'request' fusion feature, exclusions.",
    )


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


def fit_generator(
    config: CandidatesConfig, rows: Interactions, external: ExternalFactors | None, catalog: ItemCatalog | None = None
) -> CandidateGenerator:
    """The first stage on `rows`, with ALS trained here or taken from `external` factors; with a
    `catalog`, items without interactions get vectors predicted from their text."""
    als = external.als_for(rows, config) if external is not None else None
    return CandidateGenerator(config).fit(rows, als=als, catalog=catalog)


def train_reranker(
    config: GPT2Config,
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
    if cold_map is not None and catalog is not None:  # items without interactions: their tokens from their text
        features, _ = cold_map.featurizer.transform(catalog, generator.items.ids)
        learned = generator.als.item_support() > 0
        reranker.predict_item_tokens(features, learned, config.candidates.cold_start.regularization)
    return reranker


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


@dataclass(frozen=True)
class FittedPipeline:
    """The fitted components; ``request_fusion`` is None without catalog genres to fit it on."""

    generator: CandidateGenerator
    reranker: GPT2Reranker
    fusion: LinearFusion
    request_fusion: LinearFusion | None
    requests: RequestStage

    @property
    def explainer(self) -> Explainer:
        return Explainer(self.generator.items, self.reranker.verbalizer.text_of)


@dataclass(frozen=True)
class ScoredCandidates:
    """Candidates [rows, N] (internal ids, -1 padding), their features (each source's score, ``"lm"``
    and, for rows with a request, ``"request"``), what a request excludes, and the requests the LM
    read (None where a request named nothing: it acts as no request)."""

    items: np.ndarray
    features: dict[str, np.ndarray]
    excluded: np.ndarray
    requests: list[str | None]
    steered: np.ndarray  # rows with a request or a session's "more / less like": request fusion weights
    recent: np.ndarray | None = None  # the session's recent items the LM read (internal ids)


def read_requests(
    stage: RequestStage,
    generator: CandidateGenerator,
    requests: Sequence[str | None] | None,
    n: int,
    session: _SessionIds | None = None,
) -> tuple[list[str | None], list[Intent | None]]:
    """The requests the LM reads and their intents, one per row: a request that names nothing the
    catalog knows acts as no request (when requests are read at all); a session's known "more / less
    like" items join every row's intent."""
    asked: list[str | None] = list(requests) if requests is not None else [None] * n
    intents = stage.bind(generator.items).intents(asked, n)
    if stage.matcher is not None:
        asked = [r if i is not None else None for r, i in zip(asked, intents, strict=True)]
        if session is not None and (session.more_like or session.less_like):
            intents = [
                replace(i or Intent(""), like=(*(i.like if i else ()), *session.more_like),
                        unlike=(*(i.unlike if i else ()), *session.less_like))
                for i in intents
            ]  # fmt: skip
    return asked, intents


def _known(generator: CandidateGenerator, item_ids: Sequence[object]) -> np.ndarray:
    """Internal ids of the external `item_ids` the first stage knows (text ids coerced; others skipped)."""
    return generator.items.to_internal(generator.items.coerce(list(item_ids)), on_unknown="skip")


@dataclass(frozen=True)
class _SessionIds:
    """A session resolved against the first stage's item map (unknown ids dropped)."""

    recent: np.ndarray  # internal ids, oldest first
    banned: np.ndarray  # recent + excluded: never recommended
    more_like: tuple[object, ...]  # external ids the model knows
    less_like: tuple[object, ...]

    @classmethod
    def of(cls, generator: CandidateGenerator, session: Session | None) -> _SessionIds:
        if session is None:
            empty = np.empty(0, np.int64)
            return cls(empty, empty, (), ())
        recent = _known(generator, session.recent)
        banned = np.union1d(recent, _known(generator, session.exclude))
        ids = generator.items.ids
        return cls(recent, banned, tuple(ids[_known(generator, session.more_like)]),
                   tuple(ids[_known(generator, session.less_like)]))  # fmt: skip

    def exclusion(self, base: sp.csr_matrix) -> sp.csr_matrix:
        """`base` (rows = users) with the banned items added to every row."""
        if not len(self.banned):
            return base
        rows = np.repeat(np.arange(base.shape[0]), len(self.banned))
        more = sp.csr_matrix((np.ones(len(rows)), (rows, np.tile(self.banned, base.shape[0]))), shape=base.shape)
        return sp.csr_matrix(((base + more) > 0).astype(np.float32))


def _check_k(k: object, limit: int) -> int:
    """`k` as a list length: a positive integer (`ConfigError` otherwise), at most `limit` (more could
    never be filled: asking for 10**12 must not allocate for it)."""
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ConfigError(f"k must be a positive integer, got {k!r}")
    return int(min(k, max(limit, 1)))


def _masked(values: np.ndarray, excluded: np.ndarray) -> np.ndarray:
    """`values` with the excluded entries set to NaN (cannot be recommended)."""
    return np.where(excluded, np.nan, values) if excluded.any() else values


def score_candidates(
    generator: CandidateGenerator,
    reranker: GPT2Reranker,
    stage: RequestStage,
    users: np.ndarray,
    n: int,
    exclude: sp.csr_matrix | None = None,
    requests: Sequence[str | None] | None = None,
    session: Session | None = None,
) -> ScoredCandidates:
    """`n` first-stage candidates per user (plus a request's matching items) and their features.
    A `session` adds its recent items to the prompts and its recent and excluded items to `exclude`."""
    ids = _SessionIds.of(generator, session)
    asked, intents = read_requests(stage, generator, requests, len(users), ids)
    recent = [ids.recent] * len(users) if len(ids.recent) else None
    if len(ids.banned):
        exclude = ids.exclusion(generator.seen(users) if exclude is None else sp.csr_matrix(exclude))
    extra = None
    if any(i is not None for i in intents):
        seen = generator.seen(users) if exclude is None else exclude
        top = stage.candidates(generator.als, generator.popularity_counts, users, intents, seen)
        extra = {"intent": (top, stage.config.weight)} if top is not None else None
    cands = generator.generate(users, n, exclude, extra)
    features = {k: v for k, v in cands.source_scores.items() if k != "intent"}
    features["lm"] = reranker.score(users, cands.items, asked, recent)
    match, excluded = stage.features(intents, cands.items)
    if match is not None:
        features["request"] = match
    steered = [r is not None or i is not None for r, i in zip(asked, intents, strict=True)]
    return ScoredCandidates(cands.items, features, excluded, asked, np.asarray(steered, bool), ids.recent)


class HybridPipeline:
    """Candidates -> LM reranking -> fusion, in internal ids (`recommend_internal`) or external ids
    (`recommend` and `rerank`, with explanations and an ``on_unknown`` policy)."""

    def __init__(self, config: HybridConfig | None = None, external: ExternalFactors | None = None) -> None:
        self.config = config or HybridConfig()
        self.external = external
        self._state: FittedPipeline | None = None

    # ------------------------------------------------------------------ fitted state
    @property
    def fitted(self) -> FittedPipeline:
        """The fitted components, or `NotFittedError`."""
        return require_fitted(self._state, "HybridPipeline")

    @property
    def generator(self) -> CandidateGenerator:
        return self.fitted.generator

    @property
    def reranker(self) -> GPT2Reranker:
        return self.fitted.reranker

    @property
    def fusion(self) -> LinearFusion:
        return self.fitted.fusion

    @property
    def request_fusion(self) -> LinearFusion | None:
        return self.fitted.request_fusion

    # ------------------------------------------------------------------ fitting
    def fit(
        self,
        train: Interactions,
        catalog: ItemCatalog | None = None,
        *,
        valid: Interactions | None = None,
        progress: bool = False,
        stages: tuple[CandidateGenerator, GPT2Reranker] | None = None,
        on_epoch: Callable[[int, float], None] | None = None,
    ) -> HybridPipeline:
        """Fit on `train`, with early stopping and fusion weights on `valid`. `stages` = a first stage
        and LM already fitted on this `train` (the evaluation harness shares one LM between methods).
        `on_epoch(epoch, valid_ndcg)` after each LM epoch (a search's pruning; it may raise)."""
        if valid is None or len(valid) == 0:
            raise ConfigError("hybrid: early stopping and fusion weights need validation rows; pass valid=")
        valid = sample_user_rows(valid, self.config.validation_users, self.config.reranker.trainer.seed)
        if stages is None:
            generator = fit_generator(self.config.candidates, train, self.external, catalog)
            stages = generator, train_reranker(self.config, generator, train, catalog, valid, progress, on_epoch)
        generator, reranker = stages
        stage = RequestStage(self.config.requests, reranker.catalog)
        users = np.unique(valid.user)
        seen, target = train.to_csr()[users], valid.to_csr()[users]
        n = self.config.n_candidates
        plain = score_candidates(generator, reranker, stage, users, n, seen)
        fusion = LinearFusion(self.config.fusion).fit(plain.features, plain.items, target)
        request_fusion = None
        requests = self._validation_intentions(reranker, target)
        if requests is not None:
            asked = score_candidates(generator, reranker, stage, users, n, seen, requests)
            features = {k: _masked(v, asked.excluded) for k, v in asked.features.items()}
            request_fusion = LinearFusion(self.config.fusion).fit(features, asked.items, target)
        self._state = FittedPipeline(generator, reranker, fusion, request_fusion, stage)
        return self

    def _validation_intentions(self, reranker: GPT2Reranker, target: sp.csr_matrix) -> list[str | None] | None:
        """One request per validation user naming a genre of their held-out item ("a comedy movie"),
        as in InstructRec's intention tasks; None without catalog genres."""
        catalog = reranker.catalog
        if catalog is None or "genres" not in catalog.fields:
            return None
        rng = np.random.default_rng(self.config.reranker.trainer.seed)
        first = target.indices[target.indptr[:-1]]
        return [reranker.verbalizer.genre_request(int(item), rng) for item in first]

    def refit(self, interactions: Interactions) -> HybridPipeline:
        """Refit the first stage on `interactions`; the LM reads them as histories; weights stay."""
        state = self.fitted
        state.reranker.set_histories(interactions)
        generator = fit_generator(self.config.candidates, interactions, self.external, state.reranker.catalog)
        self._state = replace(state, generator=generator)
        return self

    def update(self, events: Interactions) -> tuple[np.ndarray, np.ndarray]:
        """Absorb new events: the first stage updates incrementally, the LM reads the longer histories,
        and items new to the model get item tokens predicted from their catalog text."""
        gen, rr = self.generator, self.reranker
        users, items = gen.update(events)
        u = gen.users.to_internal(events.users.to_external(events.user))
        i = gen.items.to_internal(events.items.to_external(events.item))
        rr.append_history(u, i, events.timestamp)
        rr.users = gen.users
        self._grow_items(rr.catalog)
        return users, items

    def add_items(self, rows: pd.DataFrame) -> np.ndarray:
        """Add or re-describe catalog items (`rows`: indexed by item id, the catalog's fields) and make
        them recommendable at once, before anyone has used them: the first stage predicts their CF
        vectors from their text and the LM gets item tokens whose embeddings their text predicts.
        Returns the external ids that are new to the model."""
        state = self.fitted
        catalog = state.reranker.catalog
        if catalog is None:
            raise ConfigError("add_items: the model was trained without a catalog; item text has nowhere to go")
        catalog = catalog.merged(rows)
        before = len(state.generator.items)
        state.generator.add_items(state.generator.items.coerce(rows.index.to_numpy()), catalog)
        self._grow_items(catalog)
        return state.generator.items.ids[before:]

    def _grow_items(self, catalog: ItemCatalog | None) -> None:
        """The LM and the request stage follow the first stage's (possibly grown) item map."""
        state = self.fitted
        gen, rr = state.generator, state.reranker
        cold_map, grows = gen.fitted.cold_map, len(gen.items) > rr.tokenizer.n_items
        features = None
        if grows and cold_map is not None and catalog is not None:
            features = cold_map.featurizer.transform(catalog, gen.items.ids)[0]
        learned = gen.als.item_support() > 0
        rr.add_items(gen.items, catalog, features, learned, self.config.candidates.cold_start.regularization)
        if catalog is not state.requests.catalog:
            self._state = replace(state, requests=RequestStage(self.config.requests, catalog))

    # ------------------------------------------------------------------ scoring
    def score_candidates(
        self,
        users: np.ndarray,
        exclude: sp.csr_matrix | None = None,
        requests: Sequence[str | None] | None = None,
        session: Session | None = None,
    ) -> ScoredCandidates:
        """Candidates of internal `users` (a request's matches included) and every feature behind them."""
        state = self.fitted
        n = self.config.n_candidates
        return score_candidates(state.generator, state.reranker, state.requests, users, n, exclude, requests, session)

    def features(
        self, users: np.ndarray, exclude: sp.csr_matrix | None = None, requests: Sequence[str | None] | None = None
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Candidates of `users` and their features: per-source CF scores, ``"lm"`` and ``"request"``."""
        scored = self.score_candidates(users, exclude, requests)
        return scored.features, scored.items

    def _rank(self, scored: ScoredCandidates, k: int) -> tuple[TopK, np.ndarray]:
        """Fuse (rows with a request use the request weights), drop what a request excludes, rank."""
        state = self.fitted
        items, features = scored.items, scored.features
        fused = state.fusion.transform(features, items)
        asked = np.flatnonzero(scored.steered)
        if len(asked) and state.request_fusion is not None:
            rows = {name: v[asked] for name, v in features.items()}
            rows.setdefault("request", np.full(items[asked].shape, np.nan))  # requests read by the LM only
            fused[asked] = state.request_fusion.transform(rows, items[asked])
        fused = _masked(fused, scored.excluded)
        lam = self.config.fusion.mmr_lambda
        top = rank(items, fused, k) if lam is None else mmr(items, fused, state.generator.als.item_factors, k, lam)
        return top, fused

    def _instruction_text(self, user: int, request: str | None, recent: np.ndarray | None = None) -> str:
        rr = self.reranker
        return rr.verbalizer.render(rr.instruction(user, request, recent=recent))

    def recommend_internal(
        self,
        users: np.ndarray,
        k: int,
        exclude: sp.csr_matrix | None = None,
        requests: Sequence[str | None] | None = None,
    ) -> TopK:
        """Top-k internal items per internal user (`requests`: one per user, or None)."""
        k = _check_k(k, len(self.generator.items))
        return self._rank(self.score_candidates(users, exclude, requests), k)[0]

    def recommend(
        self,
        user_ids: Sequence[object],
        k: int = 10,
        *,
        request: str | None = None,
        session: Session | None = None,
        on_unknown: OnUnknown = "raise",
    ) -> list[list[Recommendation]]:
        """Top-k unseen items with explanations for external user ids, in their order.

        request: what the user asks for, in words. session: this visit's recent / excluded items and
        "more / less like" items (`Session`). on_unknown (users the model does not know): ``"raise"``
        (`UnknownIdError`), ``"skip"`` (left out of the result) or ``"fallback"`` (popular items, no
        LM score).
        """
        state = self.fitted
        on_unknown = check_on_unknown(on_unknown)
        k = _check_k(k, len(state.generator.items))
        gen, explainer = state.generator, state.explainer
        ids = as_id_array(list(user_ids))
        internal = gen.users.to_internal(ids, on_unknown="raise" if on_unknown == "raise" else "fallback")
        out: dict[int, list[Recommendation]] = {}
        known = np.flatnonzero(internal >= 0)
        if len(known):
            users = internal[known]
            scored = self.score_candidates(users, requests=[request] * len(users), session=session)
            top, fused = self._rank(scored, k)
            for row, pos in enumerate(known):
                own = {name: v[row : row + 1] for name, v in scored.features.items()}
                text = self._instruction_text(int(users[row]), scored.requests[row], scored.recent)
                items = scored.items[row]
                out[int(pos)] = explainer.ranked(ids[pos], top.items[row], items, own, fused[row : row + 1], text)
        unknown = np.flatnonzero(internal < 0)
        if on_unknown == "fallback" and len(unknown):
            items = self._popular_fallback(k, request, session)
            scores = gen.popularity_counts[np.maximum(items, 0)]
            for pos in unknown:
                out[int(pos)] = explainer.popular(ids[pos], items, scores)
        return [out[p] for p in sorted(out)]

    def _popular_fallback(self, k: int, request: str | None, session: Session | None) -> np.ndarray:
        """Top-k internal items for a user the model does not know: what the request asks for (by
        popularity), then popular items; never a session's recent / excluded items or an excluded genre."""
        state = self.fitted
        gen = state.generator
        ids = _SessionIds.of(gen, session)
        exclude = ids.exclusion(sp.csr_matrix((1, len(gen.items))))
        _, intents = read_requests(state.requests, gen, [request], 1, ids)
        asked = state.requests.candidates(gen.als, gen.popularity_counts, np.array([-1]), intents, exclude)
        first = asked.items[0][asked.items[0] >= 0] if asked is not None else np.empty(0, np.int64)
        if intents[0] is not None and state.requests.matcher is not None:
            banned = np.flatnonzero(state.requests.matcher.match(intents[0])[1])
            exclude = ids.exclusion(sp.csr_matrix((np.ones(len(banned)), (np.zeros(len(banned), int), banned)),
                                                  shape=exclude.shape))  # fmt: skip
        fill = gen.popular(k + len(first), exclude).items[0]
        merged = np.concatenate([first, fill[(fill >= 0) & ~np.isin(fill, first)]])[:k]
        return np.concatenate([merged, np.full(k - len(merged), -1, np.int64)])

    def rerank(
        self,
        user_id: object,
        item_ids: Sequence[object],
        k: int | None = None,
        *,
        request: str | None = None,
        session: Session | None = None,
        on_unknown_items: OnUnknown = "skip",
    ) -> list[Recommendation]:
        """Rerank candidates from another system for one user, best first, with explanations. A
        `session`'s recent and excluded items are dropped from the candidates.

        on_unknown_items (items the model does not know): ``"skip"`` (dropped, the default),
        ``"raise"`` (`UnknownIdError`) or ``"fallback"`` (kept after the scored ones, score NaN). A
        user the model does not know is scored from the LM's prior and popularity alone.
        """
        state = self.fitted
        policy = check_on_unknown(on_unknown_items, "on_unknown_items")
        k = None if k is None else _check_k(k, len(item_ids))
        gen, rr = state.generator, state.reranker
        ids = as_id_array(list(item_ids))
        internal = gen.items.to_internal(ids, on_unknown="raise" if policy == "raise" else "fallback")
        known = internal >= 0
        items = internal[known]
        if len(np.unique(items)) != len(items):
            raise DataError("rerank: candidate item ids must be unique")
        user = int(gen.users.to_internal([user_id], on_unknown="fallback")[0])
        sids = _SessionIds.of(gen, session)
        asked, intents = read_requests(state.requests, gen, [request], 1, sids)
        text = self._instruction_text(user, asked[0], sids.recent)
        items = items[~np.isin(items, sids.banned)]
        recs: list[Recommendation] = []
        if len(items):  # nothing to score when no candidate is known
            features = gen.score_items(user, items)
            features["lm"] = rr.score(np.array([user]), items[None, :], asked, [sids.recent])
            match, excluded = state.requests.features(intents, items[None, :])
            if match is not None:
                features["request"] = match
            n = len(items) if k is None else min(k, len(items))
            steered = np.array([asked[0] is not None or intents[0] is not None])
            top, fused = self._rank(ScoredCandidates(items[None, :], features, excluded, asked, steered), n)
            recs = state.explainer.ranked(user_id, top.items[0], items, features, fused, text)
        if policy == "fallback":
            room = len(ids) if k is None else max(k - len(recs), 0)
            recs += state.explainer.unscored(user_id, list(ids[~known][:room]), len(recs), text)
        return recs

    # ------------------------------------------------------------------ persistence
    def save(self, directory: str | Path) -> None:
        """``pipeline.json``, ``candidates/``, ``reranker/``, ``fusion.json`` (+ ``fusion_request.json``)
        and the catalog as Parquet."""
        state = self.fitted
        directory = save_config(directory, self.config, "pipeline.json")
        state.generator.save(directory / "candidates")
        state.reranker.save(directory / "reranker")
        state.fusion.save(directory / "fusion.json")
        if state.request_fusion is not None:
            state.request_fusion.save(directory / "fusion_request.json")
        if state.reranker.catalog is not None:
            state.reranker.catalog.save(directory)
        write_checksums(directory)  # last: a directory with a valid manifest is complete

    @staticmethod
    def load_user_ids(directory: str | Path) -> np.ndarray:
        """The external ids of the users a saved pipeline knows (cheap: loads no model)."""
        return CandidateGenerator.load_user_ids(Path(directory) / "candidates").ids

    @classmethod
    def load(cls, directory: str | Path) -> HybridPipeline:
        what = "HybridPipeline (see `hybrid-rec train`)"
        verify_checksums(directory, what="HybridPipeline")  # before reading anything: damage is named, not parsed
        self = cls(load_config(directory, HybridConfig, "pipeline.json", what=what))
        directory = Path(directory)
        request = directory / "fusion_request.json"
        catalog = ItemCatalog.load(directory)
        self._state = FittedPipeline(
            CandidateGenerator.load(directory / "candidates"),
            GPT2Reranker.load(directory / "reranker", catalog),
            LinearFusion.load(directory / "fusion.json"),
            LinearFusion.load(request) if request.is_file() else None,
            RequestStage(self.config.requests, catalog),
        )
        return self


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


_SPACE_EXAMPLE = (
    'e.g. "candidates.als.factors" = [32, 64] or "reranker.trainer.lr" = {low = 3e-4, high = 3e-3, log = true}'
)


def _plain(annotation: Any) -> Any:
    """`annotation` without ``| None``."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        rest = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(rest) == 1:
            return rest[0]
    return annotation


def check_hybrid_path(path: str) -> None:
    """`path` names a field inside `HybridConfig` (``candidates.als.factors``, or a key of a table
    field such as ``candidates.blend.weights.als``); a `ValueError` says what is wrong and the fix."""
    node: Any = HybridConfig
    parts = path.split(".")
    for i, key in enumerate(parts):
        where = ".".join(parts[:i]) or "[hybrid]"
        node = _plain(node)
        if isinstance(node, type) and issubclass(node, BaseModel):
            fields = list(node.model_fields)
            if key not in fields:
                close = difflib.get_close_matches(key, fields, n=1)
                fix = f"did you mean {'.'.join([*parts[:i], close[0]])!r}? " if close else ""
                raise ValueError(
                    f"{path!r}: {where} has no field {key!r}; {fix}a key is a dotted path inside [hybrid] "
                    f"({where} has: {', '.join(fields)})"
                )
            node = node.model_fields[key].annotation
        elif typing.get_origin(node) is dict:
            node = typing.get_args(node)[1]
        else:
            raise ValueError(f"{path!r}: {where} is a single value, not a table; search {where!r} itself")


def hybrid_at(base: HybridConfig, point: dict[str, Any], *, source: str = "search") -> HybridConfig:
    """`base` with each dotted path of `point` set (a table value is merged into a table field); a
    `ConfigError` naming `source` when the result is not a valid hybrid config."""
    data = base.model_dump()
    for path, value in point.items():
        *parents, leaf = path.split(".")
        node = data
        for key in parents:
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node = node[key]
        node[leaf] = _merged(node.get(leaf), value)
    return HybridConfig.from_dict(data, source=source)


def _dotted(space: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested tables that are not ranges as dotted paths: ``{candidates: {als: {factors: [8]}}}`` is
    ``{"candidates.als.factors": [8]}``."""
    out: dict[str, Any] = {}
    for key, value in space.items():
        if isinstance(value, dict) and value and not set(value) <= RANGE_KEYS:
            out.update(_dotted(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _merged(old: Any, new: Any) -> Any:
    if isinstance(old, dict) and isinstance(new, dict):
        return {**old, **{k: _merged(old.get(k), v) for k, v in new.items()}}
    return new


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
        space = _dotted(space)  # TOML reads an unquoted dotted key as nested tables: the same paths
        for path, value in space.items():
            check_hybrid_path(path)
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
                    hybrid_at(self.hybrid, {path: v}, source=f"search.space[{path!r}] = {v!r}")
                except ConfigError as exc:
                    raise ValueError(str(exc)) from None
        return self


def train_pipeline(
    config: TrainConfig, *, home: str | Path | None = None, progress: bool = False, dataset: Dataset | None = None
) -> tuple[HybridPipeline, str]:
    """Train on all data (`dataset`: already loaded from ``config.dataset``).

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
        raise DataError("train: no user has 3 or more interactions; nothing to hold out for early stopping")
    start = time.perf_counter()
    external = config.external_factors.load() if config.external_factors is not None else None
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
