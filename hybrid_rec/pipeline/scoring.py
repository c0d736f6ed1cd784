"""The one scoring path, whatever proposed the candidates.

A call is resolved once into a `Query`: internal users (-1: a user the model does not know), the
requests the LM reads, their intents, the session and one instruction per user. Candidates come
from the first stage (`FittedPipeline.first_stage`) or from a caller; `FittedPipeline.score` gives
every candidate the same features either way (each CF source's own score for it, the LM's, the
request's match) and `FittedPipeline.rank` fuses them on scales fitted once. No feature depends on
the other candidates of a list, so reranking what the first stage proposed returns the same order
and scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from hybrid_rec.candidates.generator import CandidateGenerator
from hybrid_rec.candidates.requests import RequestStage
from hybrid_rec.data.ids import IdMap
from hybrid_rec.errors import ConfigError
from hybrid_rec.explain import Evidence, Explainer, RequestReading
from hybrid_rec.pipeline.session_features import SESSION_FEATURES, SessionVectors
from hybrid_rec.rerank.fusion import FusionConfig, LinearFusion, mmr, rank
from hybrid_rec.rerank.ranker import LightGBMRanker
from hybrid_rec.rerank.reranker import GPT2Reranker
from hybrid_rec.session import Session
from hybrid_rec.text.intent import Intent
from hybrid_rec.text.normalize import normalize
from hybrid_rec.topk import TopK, topk_from_scores
from hybrid_rec.verbalize.verbalizer import Instruction

__all__ = ["FittedPipeline", "Query", "RankOptions", "Scored", "SessionIds", "masked"]


def _known(items: IdMap, item_ids: Sequence[object]) -> np.ndarray:
    """Internal ids of the external `item_ids` the model knows (text ids coerced; others skipped)."""
    return items.to_internal(items.coerce(list(item_ids)), on_unknown="skip")


@dataclass(frozen=True)
class SessionIds:
    """A session resolved against the model's item map (unknown ids dropped)."""

    recent: np.ndarray  # internal ids, oldest first (read by the LM after the history; liked)
    banned: np.ndarray  # recent + excluded + passed over: never recommended
    more_like: tuple[object, ...]  # external ids the model knows
    less_like: tuple[object, ...]
    liked: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))  # recent + more like (internal)
    passed: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))  # shown and passed over
    disliked: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))  # less like

    @classmethod
    def of(cls, items: IdMap, session: Session | None) -> SessionIds:
        if session is None:
            empty = np.empty(0, np.int64)
            return cls(empty, empty, (), ())
        recent, more, less = _known(items, session.recent), _known(items, session.more_like), _known(items, session.less_like)
        passed = _known(items, session.passed)
        banned = np.union1d(np.union1d(recent, _known(items, session.exclude)), passed)
        return cls(recent, banned, tuple(items.ids[more]), tuple(items.ids[less]), np.union1d(recent, more),
                   passed, less)  # fmt: skip

    @property
    def reactions(self) -> dict[str, np.ndarray]:
        """The reactions the session features read (`session_features.KINDS`)."""
        return {"liked": self.liked, "passed": self.passed, "disliked": self.disliked}

    @property
    def prompt_reactions(self) -> dict[str, np.ndarray]:
        """What the LM's prompt says of the session beyond its recent (clicked) items: passed over,
        "more like" (liked but not clicked), "less like"."""
        return {"passed": self.passed, "liked": np.setdiff1d(self.liked, self.recent), "disliked": self.disliked}

    @property
    def reacted(self) -> bool:
        """True when the session holds reactions (liked, passed over or disliked items)."""
        return bool(len(self.liked) or len(self.passed) or len(self.disliked))


def exclusion(base: sp.csr_matrix, sessions: Sequence[SessionIds]) -> sp.csr_matrix:
    """`base` (rows = users) with each row's session-banned items added."""
    counts = [len(s.banned) for s in sessions]
    if not sum(counts):
        return base
    rows = np.repeat(np.arange(len(sessions)), counts)
    cols = np.concatenate([s.banned for s in sessions])
    more = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=base.shape)
    return sp.csr_matrix(((base + more) > 0).astype(np.float32))


@dataclass(frozen=True)
class Query:
    """One call, resolved once: who asks, what the LM reads, and each user's instruction."""

    users: np.ndarray  # internal ids; -1 = a user the model does not know (scored from the LM's prior)
    asked: list[str | None]  # the requests the LM reads (None where a request named nothing)
    intents: list[Intent | None]
    sessions: tuple[SessionIds, ...]  # one per row
    instructions: list[Instruction]

    def row(self, r: int) -> Query:
        """Row `r` alone (ranking one list of a batch)."""
        one = slice(r, r + 1)
        return Query(self.users[one], self.asked[one], self.intents[one], self.sessions[one], self.instructions[one])

    @property
    def reacted(self) -> np.ndarray:
        """Rows whose session holds reactions: they use the session fusion (when the model has one)."""
        return np.array([s.reacted for s in self.sessions], bool)

    @property
    def steered(self) -> np.ndarray:
        """Rows with a request or a session's "more / less like"."""
        return np.array([r is not None or i is not None for r, i in zip(self.asked, self.intents, strict=True)], bool)

    @property
    def understood(self) -> np.ndarray:
        """Rows whose request (or "more / less like") the intent parser read as something: with a parser,
        only these use the request fusion; a request it read as nothing ("surprise me") is still read by
        the LM, under the weights of a list without a request."""
        return np.array([i is not None for i in self.intents], bool)


@dataclass(frozen=True)
class Scored:
    """Candidates [rows, N] (internal ids, -1 padding), their features (each CF source's score,
    ``"lm"`` and, for rows with a request, ``"request"``), what a request or the session excludes,
    and which first-stage lists proposed each (their own scores, NaN: did not; None: a caller's list)."""

    items: np.ndarray
    features: dict[str, np.ndarray]
    excluded: np.ndarray
    proposed: dict[str, np.ndarray] | None = None

    def row(self, r: int) -> Scored:
        """Row `r` alone (for explanations)."""
        one = slice(r, r + 1)
        proposed = None if self.proposed is None else {k: v[one] for k, v in self.proposed.items()}
        return Scored(self.items[one], {k: v[one] for k, v in self.features.items()}, self.excluded[one], proposed)


@dataclass(frozen=True)
class RankOptions:
    """How scored candidates become a top k (`FittedPipeline.rank`): by fused score, or by MMR over the ALS item
    factors with `mmr_lambda`; `new_slots` of the first `new_within` places for new items (`with_new_items`); with
    `outside`, rows without a request use the fusion fitted on outside lists (when the model has one)."""

    mmr_lambda: float | None = None
    new_slots: int = 0
    new_within: int = 10
    outside: bool = False

    @classmethod
    def of(cls, fusion: FusionConfig, outside: bool = False) -> RankOptions:
        """The options a model's fusion config sets."""
        return cls(fusion.mmr_lambda, fusion.new_item_slots, fusion.new_item_within, outside)


BY_SCORE = RankOptions()  # the top k by fused score, nothing else


def masked(values: np.ndarray, excluded: np.ndarray) -> np.ndarray:
    """`values` with the excluded entries set to NaN (cannot be recommended)."""
    return np.where(excluded, np.nan, values) if excluded.any() else values


@dataclass(frozen=True)
class FittedPipeline:
    """The fitted components and the one scoring path over them; ``request_fusion`` is None without
    catalog genres to fit it on."""

    generator: CandidateGenerator
    reranker: GPT2Reranker
    fusion: LinearFusion
    request_fusion: LinearFusion | None
    requests: RequestStage
    outside_fusion: LinearFusion | None = None  # fitted on a stand-in retriever's lists (`HybridConfig.outside`)
    session_fusion: LinearFusion | None = None  # fitted on simulated validation rounds (`HybridConfig.session_fit`)
    ranker: LightGBMRanker | None = None  # a learned correction added to the blends (`HybridConfig.ranker`)

    @cached_property
    def session_vectors(self) -> SessionVectors:
        """The item vectors the session features compare in: ALS factors, and the request matcher's
        text vectors and category membership (built once per item map there)."""
        matcher = self.requests.bind(self.generator.items).matcher
        if matcher is None:
            return SessionVectors.of(self.generator.als.item_factors, None)
        return SessionVectors.of(self.generator.als.item_factors, matcher.text_vectors, matcher.category_vectors)

    @property
    def explainer(self) -> Explainer:
        return Explainer(self.generator.items, self.reranker.verbalizer.text_of, frozenset(SESSION_FEATURES))

    def evidence(self, query: Query, row: int) -> Evidence:
        """What the reasons in words of `query`'s row read: the user's history (and session), the
        intent, the catalog's categories and years, the ALS item factors."""
        user = int(query.users[row])
        history = self.reranker.histories.get(user, np.empty(0, np.int64)) if user >= 0 else np.empty(0, np.int64)
        if len(query.sessions[row].recent):
            history = np.concatenate([history, query.sessions[row].recent])
        matcher = self.requests.bind(self.generator.items).matcher
        counts = self.generator.popularity_counts
        new = lambda item: bool(0 <= item < len(counts) and counts[item] <= 0)  # noqa: E731
        recent = history[::-1][: self.generator.config.transitions.history]  # newest first
        after = lambda item: self.generator.follows(item, recent)  # noqa: E731
        head = self._popular_head
        popular = lambda item: bool(0 <= item < len(counts) and counts[item] >= head)  # noqa: E731
        if matcher is None:
            return Evidence(history, query.intents[row], item_vectors=self.generator.als.item_factors, is_new=new,
                            after=after, is_popular=popular)  # fmt: skip
        return Evidence(history, query.intents[row], matcher.values_of_item, self.generator.als.item_factors,
                        matcher.year_of, new, after, popular)  # fmt: skip

    @cached_property
    def _popular_head(self) -> float:
        """The fewest interactions of an item in the top tenth by interactions (of the items anyone used): "popular
        with everyone" is said only of those."""
        counts = np.asarray(self.generator.popularity_counts, np.float64)
        used = counts[counts > 0]
        return float(np.quantile(used, 0.9)) if len(used) else np.inf

    def instruction_text(self, query: Query, row: int) -> str:
        return self.reranker.verbalizer.render(query.instructions[row])

    def read(self, request: str | None) -> RequestReading | None:
        """How `request` is read (None without a request or for a blank one)."""
        text = " ".join(str(request or "").split())
        if not text:
            return None
        matcher = self.requests.bind(self.generator.items).matcher
        intent = matcher.parse(text) if matcher is not None else None
        return RequestReading.of(text, intent, matcher is not None)

    def query(
        self,
        users: np.ndarray,
        requests: Sequence[str | None] | None = None,
        session: Session | Sequence[Session | None] | None = None,
    ) -> Query:
        """Resolve a call: a request that names nothing the catalog knows acts as no request, for every
        reader and the LM (when requests are read at all), so a neutral request ("surprise me") or one
        about what the catalog does not hold leaves the list as it was. `session`: one for every row, or one per row;
        its recent items are read by the LM after each history; its reactions are session features
        (with a session fusion; a model without one reads "more / less like" into the row's intent)."""
        users = np.asarray(users, dtype=np.int64)
        per_row = list(session) if isinstance(session, Sequence) else [session] * len(users)
        if len(per_row) != len(users):
            raise ConfigError(f"{len(per_row)} sessions for {len(users)} users; give one, or one per user")
        ids = tuple(SessionIds.of(self.generator.items, s) for s in per_row)
        asked: list[str | None] = [None] * len(users)
        if requests is not None:  # in the one form every reader sees (typos corrected); a blank request is no request
            matcher = self.requests.bind(self.generator.items).matcher
            form = matcher.parser.canonical if matcher is not None else normalize
            asked = [form(r) or None if r is not None else None for r in requests]
        intents = self.requests.bind(self.generator.items).intents(asked, len(users))
        if self.requests.matcher is not None:  # a request read as nothing acts as no request, for the LM too
            asked = [r if i is not None else None for r, i in zip(asked, intents, strict=True)]
            if self.session_fusion is None:  # a model fitted before session rounds: "more like" as a request
                intents = [
                    replace(i or Intent(""), like=(*(i.like if i else ()), *s.more_like),
                            unlike=(*(i.unlike if i else ()), *s.less_like)) if s.more_like or s.less_like else i
                    for i, s in zip(intents, ids, strict=True)
                ]  # fmt: skip
        recent = [s.recent if len(s.recent) else None for s in ids]
        said = [s.prompt_reactions if s.reacted else None for s in ids]  # written for an LM trained on rounds
        return Query(users, asked, intents, ids, self.reranker.instructions(users, asked, recent, said))

    def seen(self, users: np.ndarray) -> sp.csr_matrix:
        """The fitted items of each user (the default exclusion); an empty row for an unknown user."""
        users = np.asarray(users, dtype=np.int64)
        known = np.flatnonzero(users >= 0)
        pick = sp.csr_matrix((np.ones(len(known)), (known, users[known])), shape=(len(users), len(self.generator.users)))
        return sp.csr_matrix(pick @ self.generator.als.user_items)

    def first_stage(
        self, query: Query, n: int, exclude: sp.csr_matrix | None = None, new_slots: int = 0
    ) -> tuple[np.ndarray, dict]:
        """`n` blended first-stage candidates per row (and a request's matching items, and with
        `new_slots` the user's best new items), never a seen, excluded or session-banned item; with
        the lists' own scores (which list proposed what)."""
        gen = self.generator
        exclude = exclusion(self.seen(query.users) if exclude is None else sp.csr_matrix(exclude), query.sessions)
        extra: dict[str, tuple[TopK, float]] = {}
        if any(i is not None for i in query.intents):
            top = self.requests.candidates(gen.als, gen.popularity_counts, query.users, query.intents, exclude)
            if top is not None:
                extra["intent"] = (top, self.requests.config.weight)
        if self.session_fusion is not None and query.reacted.any():  # items like what the session liked
            liked = [s.liked for s in query.sessions]
            if (top := self.session_vectors.candidates(liked, exclude, self.requests.config.candidates)) is not None:
                extra["session"] = (top, 1.0)
        if new_slots > 0 and (fresh := self._new_items(query.users, exclude, 10 * new_slots)) is not None:
            extra["new"] = (fresh, 1.0)
        cands = gen.generate(query.users, n, exclude, extra or None)
        return cands.items, cands.source_scores

    def _new_items(self, users: np.ndarray, exclude: sp.csr_matrix, n: int) -> TopK | None:
        """Up to `n` items without interactions in the fit (new or cold: scored by their predicted ALS
        vectors) per row, best for the user first; None when the catalog has none."""
        new = np.flatnonzero(self.generator.popularity_counts[: len(self.generator.items)] <= 0)
        if not len(new):
            return None
        als = self.generator.als
        known = np.clip(users, 0, None)
        scores = (als.user_factors[known] @ als.item_factors[new].T).astype(np.float64)  # [rows, new items] only
        scores[users < 0] = 0.0  # a user the model does not know: every new item alike (ties: catalog order)
        top = topk_from_scores(scores, min(n, len(new)), sp.csr_matrix(exclude)[:, new])
        return TopK(np.where(top.items >= 0, new[np.clip(top.items, 0, None)], -1), top.scores)

    def score(self, query: Query, items: np.ndarray, proposed: dict[str, np.ndarray] | None = None) -> Scored:
        """The features of candidate `items` [rows, N] of `query`'s rows, the same whoever proposed them."""
        items = np.asarray(items, dtype=np.int64)
        features = self.generator.score_items(query.users, items)
        features["lm"] = self.reranker.score_instructions(query.instructions, items).astype(np.float64)
        match, excluded = self.requests.features(query.intents, items)
        if match is not None:
            features["request"] = match
        features.update(self.context(query, items))
        for r, s in enumerate(query.sessions):
            if len(s.banned):
                excluded[r] |= (items[r] >= 0) & np.isin(items[r], s.banned)
        if self.session_fusion is not None and query.reacted.any():
            features.update(self.session_vectors.features([s.reactions for s in query.sessions], items))
        return Scored(items, features, excluded, proposed)

    def context(self, query: Query, items: np.ndarray) -> dict[str, np.ndarray]:
        """The candidates' context features (`ranker.CONTEXT_FEATURES`), each of the row or the item alone:
        the user's history length (with the session's recent items), whether the item has interactions in the
        fit, whether the row holds a request the reader understood."""
        valid = items >= 0
        counts = self.generator.popularity_counts
        history = np.array([len(self.reranker.histories.get(int(u), ())) if u >= 0 else 0 for u in query.users])
        history = history + np.array([len(s.recent) for s in query.sessions], dtype=history.dtype)
        has = np.zeros(items.shape)
        has[valid] = counts[np.clip(items[valid], 0, len(counts) - 1)] > 0
        asked = (query.steered if self.requests.matcher is None else query.understood).astype(np.float64)
        out = {"history_length": np.broadcast_to(history[:, None], items.shape).astype(np.float64), "has_interactions": has,
               "asked": np.broadcast_to(asked[:, None], items.shape).copy()}  # fmt: skip
        return {k: np.where(valid, v, np.nan) for k, v in out.items()}

    def rank(
        self,
        query: Query,
        scored: Scored,
        k: int,
        options: RankOptions = BY_SCORE,
    ) -> tuple[TopK, np.ndarray]:
        """Fuse (rows with a request the parser read, or any request without a parser, use the request
        weights; with `options.outside`, rows without one use the fusion fitted on outside lists when the model
        has one; a learned ranker adds its correction to the first stage's blends; rows after reactions add the
        session term), drop what is excluded, keep the top k as `options` say (`RankOptions`)."""
        items, features = scored.items, scored.features
        plain = self.outside_fusion if options.outside and self.outside_fusion is not None else self.fusion
        fused = plain.transform(features, items)
        asked = np.flatnonzero(query.steered if self.requests.matcher is None else query.understood)
        if len(asked) and self.request_fusion is not None:
            rows = {name: v[asked] for name, v in features.items()}
            rows.setdefault("request", np.full(items[asked].shape, np.nan))  # requests read by the LM only
            fused[asked] = self.request_fusion.transform(rows, items[asked])
        if self.ranker is not None and plain is self.fusion:  # the learned correction of the blends' scores
            fused = fused + self.ranker.transform(features, items)
        reacted = np.flatnonzero(query.reacted)
        if len(reacted) and self.session_fusion is not None:  # after reactions: a term fitted on rounds
            fused[reacted] += self.session_fusion.added({n: v[reacted] for n, v in features.items()}, items[reacted])
        fused = masked(fused, scored.excluded)
        lam, slots = options.mmr_lambda, options.new_slots
        top = rank(items, fused, k) if lam is None else mmr(items, fused, self.generator.als.item_factors, k, lam)
        if slots > 0:
            top = with_new_items(top, items, fused, self.generator.popularity_counts <= 0, slots, options.new_within)
        return top, fused

    def recommend(
        self,
        query: Query,
        n: int,
        k: int,
        exclude: sp.csr_matrix | None = None,
        options: RankOptions = BY_SCORE,
    ) -> tuple[TopK, Scored, np.ndarray]:
        """First stage (`n` candidates per row), then the one scoring path: the top k, the scored
        candidates and their fused scores."""
        items, proposed = self.first_stage(query, n, exclude, options.new_slots)
        scored = self.score(query, items, proposed)
        top, fused = self.rank(query, scored, k, options)
        return top, scored, fused


def with_new_items(
    top: TopK, items: np.ndarray, fused: np.ndarray, new: np.ndarray, slots: int, within: int = 10
) -> TopK:
    """`top` (rows of k, -1 padded) with up to `slots` of the last of each row's first `within` places
    given to its best-fused new candidates (`new`: bool per internal item, True = no interactions),
    so new items are seen (exploration); a row whose first places already hold new items needs fewer.
    The items they displace move down one place each, the list keeps its length, nothing else
    changes order; the list is then not sorted by score there (what `FusionConfig.new_item_slots`
    documents)."""
    out_items, out_scores = top.items.copy(), np.array(top.scores, np.float64, copy=True)
    k = out_items.shape[1]
    within = min(within, k)
    slots = min(slots, within)
    is_new = lambda ids: (ids >= 0) & (ids < len(new)) & new[np.clip(ids, 0, len(new) - 1)]  # noqa: E731
    for r in range(len(items)):
        valid = out_items[r] >= 0
        held, held_scores = out_items[r][valid], out_scores[r][valid]
        head = held[:within]
        fresh = is_new(items[r]) & ~np.isnan(fused[r]) & ~np.isin(items[r], head)
        need = min(slots - int(is_new(head).sum()), int(fresh.sum()))
        if need <= 0:
            continue
        order = np.argsort(-fused[r][fresh], kind="stable")[:need]
        picks, pick_scores = items[r][fresh][order], fused[r][fresh][order]
        warm = np.flatnonzero(~is_new(head))
        moved = warm[len(warm) - max(0, len(head) + need - within) :] if len(head) + need > within else warm[:0]
        stay = np.setdiff1d(np.arange(len(head)), moved)
        rest = np.arange(len(head), len(held))
        rest = rest[~np.isin(held[rest], picks)]  # a pick that sat further down moves up, not twice
        row = np.concatenate([held[stay], picks, held[moved], held[rest]])[:k]
        row_scores = np.concatenate([held_scores[stay], pick_scores, held_scores[moved], held_scores[rest]])[:k]
        out_items[r], out_scores[r] = -1, np.nan
        out_items[r, : len(row)], out_scores[r, : len(row)] = row, row_scores
    return TopK(out_items, out_scores)
