"""`HybridPipeline`: first-stage candidates -> GPT-2 reranking -> score fusion, end to end.

A thin composition: the stages are fitted in `stages`, the fusion in `fitting`, every list is scored
by the one path in `scoring`, ids are mapped once in `ids`. ``recommend`` = the first stage's
candidates + that path; ``rerank`` = a caller's candidates + the same path, so reranking what
``recommend`` proposed gives the same order and scores (with the same fusion weights: a model also
fitted for outside lists, `HybridConfig.outside`, ranks a caller's lists with those by default).
``refit(rows)`` refits the first stage on more rows and lets the LM read the longer histories,
keeping its weights and the fusion weights.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from hybrid_rec.candidates.generator import CandidateGenerator
from hybrid_rec.data.catalog import ItemCatalog
from hybrid_rec.data.interactions import Interactions
from hybrid_rec.data.splits import sample_user_rows
from hybrid_rec.errors import ConfigError, require_fitted
from hybrid_rec.explain import Recommendation, RequestReading
from hybrid_rec.pipeline.config import HybridConfig
from hybrid_rec.pipeline.fitting import fit_fusions
from hybrid_rec.pipeline.growth import absorb_events, add_catalog_items
from hybrid_rec.pipeline.ids import IdBoundary, check_k
from hybrid_rec.pipeline.persistence import load_fitted, save_fitted
from hybrid_rec.pipeline.scoring import FittedPipeline, RankOptions, SessionIds
from hybrid_rec.pipeline.stages import ExternalFactors, fit_generator, train_reranker
from hybrid_rec.policy import OnUnknown
from hybrid_rec.rerank.fusion import LinearFusion
from hybrid_rec.rerank.reranker import GPT2Reranker
from hybrid_rec.session import Session
from hybrid_rec.topk import TopK

__all__ = ["HybridPipeline"]


FusionChoice = Literal["auto", "first_stage", "outside"]


class HybridPipeline:
    """Candidates -> LM reranking -> fusion, in internal ids (`recommend_internal`) or external ids
    (`recommend` and `rerank`, with explanations and an ``on_unknown`` policy)."""

    def __init__(self, config: HybridConfig | None = None, external: ExternalFactors | None = None) -> None:
        self.config = config or HybridConfig()
        self.external = external
        self._state: FittedPipeline | None = None

    @property
    def fitted(self) -> FittedPipeline:
        """The fitted components and the scoring path over them, or `NotFittedError`."""
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

    @property
    def ids(self) -> IdBoundary:
        """The one mapping of external ids for every interface (API, REST, CLI)."""
        return IdBoundary(self.generator.users, self.generator.items)

    # ------------------------------------------------------------------ fitting and growing
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
            lm = train_reranker(self.config.lm_stage, generator, train, catalog, valid, progress, on_epoch)
            stages = generator, lm
        self._state = fit_fusions(self.config, *stages, train, valid)
        return self

    def refit(self, interactions: Interactions) -> HybridPipeline:
        """Refit the first stage on `interactions`; the LM reads them as histories; weights stay."""
        state = self.fitted
        state.reranker.set_histories(interactions)
        generator = fit_generator(self.config.candidates, interactions, self.external, state.reranker.catalog)
        self._state = replace(state, generator=generator)
        return self

    def update(self, events: Interactions) -> tuple[np.ndarray, np.ndarray]:
        """Absorb new events (no retraining); returns the touched (users, items) internal ids."""
        self._state, users, items = absorb_events(self.fitted, events, self.config.candidates)
        return users, items

    def add_items(self, rows: pd.DataFrame) -> np.ndarray:
        """Add or re-describe catalog items (`rows`: indexed by item id, the catalog's fields),
        recommendable at once from their text; returns the external ids new to the model."""
        self._state, new = add_catalog_items(self.fitted, rows, self.config.candidates)
        return new

    # ------------------------------------------------------------------ scoring
    def recommend_internal(
        self,
        users: np.ndarray,
        k: int,
        exclude: sp.csr_matrix | None = None,
        requests: Sequence[str | None] | None = None,
        session: Session | Sequence[Session | None] | None = None,
        n_candidates: int | None = None,
    ) -> TopK:
        """Top-k internal items per internal user (-1: unknown), `requests` one per user or None,
        `session` one for all or one per user; `n_candidates` first-stage candidates (the config's when unset: the
        evaluation's path; batch scoring asks for at least k, so a k beyond them is filled, not capped)."""
        state = self.fitted
        k = check_k(k, len(state.generator.items))
        query = state.query(np.asarray(users, np.int64), requests, session)
        n = self.config.n_candidates if n_candidates is None else n_candidates
        return state.recommend(query, n, k, exclude, RankOptions.of(self.config.fusion))[0]

    def rerank_internal(
        self,
        users: np.ndarray,
        items: np.ndarray,
        k: int,
        requests: Sequence[str | None] | None = None,
        session: Session | None = None,
        fusion: FusionChoice = "auto",
    ) -> TopK:
        """Top-k of candidate `items` [rows, N] (internal ids, -1 padding) per internal user (-1:
        unknown): `rerank_many` without the id mapping and explanations (the evaluation's path)."""
        state, options = self.fitted, RankOptions.of(self.config.fusion, self._outside(fusion))
        items = np.asarray(items, np.int64)
        query = state.query(np.asarray(users, np.int64), requests, session)
        return state.rank(query, state.score(query, items), k, options)[0]

    def _outside(self, fusion: object) -> bool:
        """Whether a caller's lists are ranked with the fusion fitted on outside lists (`FusionChoice`)."""
        if fusion not in ("auto", "first_stage", "outside"):
            raise ConfigError(f"fusion must be 'auto', 'first_stage' or 'outside', got {fusion!r}")
        has = self.fitted.outside_fusion is not None
        if fusion == "outside" and not has:
            raise ConfigError("fusion='outside': this model has no fusion fitted on outside lists; train it with "
                              "[hybrid] outside = { kind = ... } (or pass fusion='auto')")  # fmt: skip
        return has and fusion != "first_stage"

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
        (`UnknownIdError`), ``"skip"`` (left out of the result) or ``"fallback"`` (the first stage's
        popular and request-matching items, scored by the LM from the request alone).
        """
        state = self.fitted
        external, users = self.ids.users(user_ids, on_unknown)
        k = check_k(k, len(state.generator.items))
        if not len(users):
            return []
        query = state.query(users, [request] * len(users), session)
        # k beyond the first stage's n_candidates: as many candidates as asked for, never a silent cap at n_candidates
        top, scored, fused = state.recommend(query, max(self.config.n_candidates, k), k, None,
                                             RankOptions.of(self.config.fusion))  # fmt: skip
        out = []
        for r, user_id in enumerate(external):
            one = scored.row(r)
            text = state.instruction_text(query, r)
            out.append(state.explainer.ranked(user_id, top.items[r], one.items, one.features, fused[r : r + 1],
                                              text, one.proposed, state.evidence(query, r)))  # fmt: skip
        return out

    def rerank(
        self,
        user_id: object,
        item_ids: Sequence[object],
        k: int | None = None,
        *,
        request: str | None = None,
        session: Session | None = None,
        on_unknown_items: OnUnknown = "skip",
        fusion: FusionChoice = "auto",
        exclude_seen: bool = True,
    ) -> list[Recommendation]:
        """Rerank candidates from another system for one user, best first, with explanations, through
        the same scoring path as `recommend`. A `session`'s recent and excluded items are dropped, and with
        `exclude_seen` (the default, as in `recommend` and implicit's ``filter_already_liked_items``) the items the
        user already has in the model; `left_out` names what was dropped and why.
        fusion: ``"auto"`` (the fusion fitted on outside lists when the model has one, `HybridConfig.
        outside`; else recommend's), ``"first_stage"`` (recommend's weights: reranking recommend's own
        list then gives back recommend's order) or ``"outside"`` (required).

        on_unknown_items (items the model does not know): ``"skip"`` (dropped, the default),
        ``"raise"`` (`UnknownIdError`) or ``"fallback"`` (kept after the scored ones, score NaN). A
        user the model does not know is scored from the LM's prior and popularity alone.
        """
        return self.rerank_many([(user_id, item_ids)], k, request=request, session=session,
                                on_unknown_items=on_unknown_items, fusion=fusion, exclude_seen=exclude_seen)[0]  # fmt: skip

    def left_out(
        self,
        user_id: object,
        item_ids: Sequence[object],
        *,
        session: Session | None = None,
        on_unknown_items: OnUnknown = "skip",
        exclude_seen: bool = True,
    ) -> list[tuple[object, str]]:
        """The candidates `rerank` (called with the same arguments) leaves out, in their order, each with why:
        ``"unknown"`` (the model does not know it; ``on_unknown_items="skip"``), ``"seen"`` (the user already has
        it; `exclude_seen`) or ``"session"`` (the session's recent, excluded or passed-over items). Ids as the
        model spells them."""
        external, internal = self.ids.items(item_ids, "fallback")
        if on_unknown_items not in ("skip", "fallback"):  # 'raise' (or a bad policy): as rerank would
            self.ids.items(item_ids, on_unknown_items)
        _, users = self.ids.users([user_id], "fallback")
        seen = self.fitted.seen(users)[0].indices if exclude_seen else np.empty(0, np.int64)
        banned = SessionIds.of(self.generator.items, session).banned
        why = [("unknown" if on_unknown_items == "skip" else None) if i < 0 else "seen" if i in seen
               else "session" if i in banned else None for i in internal]  # fmt: skip
        return [(e, w) for e, w in zip(external.tolist(), why, strict=True) if w is not None]

    def rerank_many(
        self,
        lists: Sequence[tuple[object, Sequence[object]]],
        k: int | None = None,
        *,
        request: str | Sequence[str | None] | None = None,
        session: Session | None = None,
        on_unknown_items: OnUnknown = "skip",
        batch_users: int = 256,
        fusion: FusionChoice = "auto",
        exclude_seen: bool = True,
    ) -> list[list[Recommendation]]:
        """`rerank` for many users' candidate lists at once, `lists` = (user id, item ids) pairs, in
        their order; `request`: one for every list, or one per list; `batch_users` rows are scored
        together (one LM pass per row, one padded candidate matrix), each list then ranked on its own,
        as `rerank` ranks one. Unknown users are
        scored from the LM's prior; unknown items follow `on_unknown_items` (``"skip"``, ``"raise"``
        or ``"fallback"``: kept last, score NaN); `fusion` and `exclude_seen` as in `rerank`."""
        if isinstance(batch_users, bool) or not isinstance(batch_users, int) or batch_users < 1:
            raise ConfigError(f"batch_users must be a positive integer, got {batch_users!r}")
        state, options = self.fitted, RankOptions.of(self.config.fusion, self._outside(fusion))
        asked = [request] * len(lists) if request is None or isinstance(request, str) else list(request)
        if len(asked) != len(lists):
            raise ConfigError(f"rerank_many: {len(asked)} requests for {len(lists)} lists; give one, or one per list")
        out: list[list[Recommendation]] = []
        for start in range(0, len(lists), batch_users):
            part = lists[start : start + batch_users]
            mapped = [self.ids.items(items, on_unknown_items) for _, items in part]
            if k is not None:
                check_k(k, max(len(external) for external, _ in mapped))
            user_ext, users = self.ids.users([u for u, _ in part], "fallback")
            known = [internal[internal >= 0] for _, internal in mapped]
            if exclude_seen:  # what each user already has (an unknown user: nothing)
                seen = state.seen(users)
                known = [row[~np.isin(row, seen[r].indices)] for r, row in enumerate(known)]
            items = np.full((len(part), max([len(x) for x in known] + [1])), -1, np.int64)
            for r, row in enumerate(known):
                items[r, : len(row)] = row
            query = state.query(users, asked[start : start + batch_users], session)
            scored = state.score(query, items) if any(len(x) for x in known) else None  # the LM: the costly part
            for r, (external, internal) in enumerate(mapped):
                text = state.instruction_text(query, r)
                recs: list[Recommendation] = []
                if scored is not None and len(known[r]):  # nothing to score when no candidate is known
                    one = scored.row(r)
                    n = len(known[r]) if k is None else min(k, len(known[r]))
                    top, fused = state.rank(query.row(r), one, n, options)
                    recs = state.explainer.ranked(user_ext[r], top.items[0], one.items, one.features, fused, text,
                                                  None, state.evidence(query, r))  # fmt: skip
                if on_unknown_items == "fallback":
                    left = len(external) if k is None else max(k - len(recs), 0)
                    recs += state.explainer.unscored(user_ext[r], list(external[internal < 0][:left]), len(recs), text)
                out.append(recs)
        return out

    def warm_up(self) -> HybridPipeline:
        """Build what the first call would otherwise build on the request path (the LM scorer, the
        request parser and its category descriptions, the sentence encoder, the session features' item
        vectors): one recommendation for a known user and one request read. The server calls it before a loaded version is served."""
        users = self.generator.users.ids
        if len(users):
            self.recommend([users[0]], 1, request="something good")
        if self.fitted.session_fusion is not None:
            self.fitted.session_vectors  # noqa: B018  (the item vectors the first call with reactions would build)
        return self

    def read_request(self, request: str | None) -> RequestReading | None:
        """How this model reads `request` (what it asks for and excludes, or that nothing was
        understood); None without a request. `recommend` and `rerank` act on this reading."""
        return self.fitted.read(request)

    # ------------------------------------------------------------------ persistence
    def save(self, directory: str | Path) -> None:
        """The config, the components' directories, the fusions and the catalog, checksummed."""
        save_fitted(directory, self.config, self.fitted)

    @staticmethod
    def load_user_ids(directory: str | Path) -> np.ndarray:
        """The external ids of the users a saved pipeline knows (cheap: loads no model)."""
        return CandidateGenerator.load_user_ids(Path(directory) / "candidates").ids

    @classmethod
    def load(cls, directory: str | Path) -> HybridPipeline:
        config, state = load_fitted(directory)
        self = cls(config)
        self._state = state
        return self
