"""`CandidateGenerator`: ALS + FAISS retrieval, item-to-item neighbours and popularity, blended.

Works in internal ids (`generate`) and at the API boundary in external ids
(`generate_for`, with an ``on_unknown`` policy). `update` absorbs new events without a full
retrain: ALS re-solves the touched users and items, their vectors are replaced in both indexes,
the recent histories and popularity counts are extended.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np
import scipy.sparse as sp
from pydantic import Field, field_validator

from hybrid_rec.candidates.als import ALSConfig, ALSModel
from hybrid_rec.candidates.cold import ColdItemMap, ColdStartConfig
from hybrid_rec.candidates.index import IndexConfig, ItemIndex
from hybrid_rec.candidates.sources import (
    ALSRetrieval,
    BlendConfig,
    Candidates,
    CandidateSource,
    ItemKNN,
    ItemKNNConfig,
    ItemVectors,
    PopularitySource,
    RecentHistory,
    blend,
)
from hybrid_rec.candidates.transitions import Transitions, TransitionsConfig
from hybrid_rec.config import StrictModel
from hybrid_rec.data.catalog import ItemCatalog
from hybrid_rec.data.ids import IdMap, as_id_array
from hybrid_rec.data.interactions import Interactions
from hybrid_rec.errors import ConfigError, require_fitted
from hybrid_rec.persist import load_arrays, load_config, save_arrays, save_config
from hybrid_rec.policy import OnUnknown, check_on_unknown
from hybrid_rec.topk import TopK

SourceName = Literal["als", "item_knn", "transitions", "popularity"]
SOURCES: tuple[SourceName, ...] = ("als", "item_knn", "transitions", "popularity")


class CandidatesConfig(StrictModel):
    """The first stage: which sources, their models and indexes, and how lists are blended."""

    sources: list[SourceName] = Field(
        default_factory=lambda: list(SOURCES),
        description="Candidate sources to run and blend: 'als', 'item_knn', 'transitions' (what people chose "
        "right after the user's recent items), 'popularity' (no repeats). Every source scores any item for "
        "fusion, proposing or not.",
    )
    n: int = Field(200, gt=0, description="Candidates per user after blending (the default for generate).")
    als: ALSConfig = Field(default_factory=ALSConfig, description="The ALS model (its item vectors also feed item_knn).")
    index: IndexConfig = Field(
        default_factory=IndexConfig,
        description="The FAISS index over ALS item vectors (item_knn uses the same kind with metric 'cosine').",
    )
    item_knn: ItemKNNConfig = Field(default_factory=ItemKNNConfig, description="The item-to-item source.")
    transitions: TransitionsConfig = Field(
        default_factory=TransitionsConfig, description="The 'chosen right after' source (order in the histories)."
    )
    blend: BlendConfig = Field(default_factory=BlendConfig, description="How the sources' lists are merged.")
    cold_start: ColdStartConfig = Field(
        default_factory=ColdStartConfig,
        description="CF vectors predicted from catalog text for items without interactions (fit with a catalog).",
    )

    @field_validator("sources")
    @classmethod
    def _non_empty(cls, v: list[str]) -> list[str]:
        if not v or len(set(v)) != len(v):
            raise ValueError("sources must be a non-empty list without repeats")
        return v


@dataclass(frozen=True)
class UserCandidates:
    """One user's candidates in external ids, with the blended and per-source scores."""

    user_id: object
    item_ids: np.ndarray
    scores: np.ndarray
    source_scores: dict[str, np.ndarray]
    labels: list[tuple[str, ...]]
    cold: bool


@dataclass(frozen=True)
class _Fitted:
    """What `fit` builds: the retrieval index, the neighbour index (if ``item_knn`` is a source),
    the recent histories, the popularity source, the item vectors behind the indexes and, with a
    catalog, the text -> vector map and its predictions for items without interactions (NaN rows:
    none)."""

    mips: ItemIndex
    knn: ItemIndex | None
    history: RecentHistory
    popularity: PopularitySource
    vectors: ItemVectors
    cold_map: ColdItemMap | None = None
    predicted: np.ndarray | None = None
    transitions: Transitions | None = None


def _grown(predicted: np.ndarray | None, rows: int) -> np.ndarray | None:
    """A copy of the predicted vectors with NaN rows up to `rows` (new items have no prediction yet)."""
    if predicted is None:
        return None
    out = np.full((rows, predicted.shape[1]), np.nan, np.float32)
    out[: len(predicted)] = predicted
    return out


class CandidateGenerator:
    """Fit once on interactions; generate blended candidates per user; update with new events."""

    def __init__(self, config: CandidatesConfig | None = None) -> None:
        self.config = config or CandidatesConfig()
        self.als = ALSModel(self.config.als)
        self._state: _Fitted | None = None

    # ------------------------------------------------------------------ fitting
    def fit(
        self, interactions: Interactions, als: ALSModel | None = None, catalog: ItemCatalog | None = None
    ) -> CandidateGenerator:
        """Fit on `interactions`; a given fitted `als` (e.g. `ALSModel.from_factors`) replaces ALS training.
        With a `catalog`, items of the id map without interactions get vectors predicted from their text
        (``config.cold_start``), so that they are retrieved and scored like the others."""
        if als is None:
            self.als.fit(interactions)
        else:
            if not als.is_fitted or als.users != interactions.users or als.items != interactions.items:
                raise ConfigError(
                    "CandidateGenerator.fit: the given ALS model must be fitted on these interactions' id maps"
                )
            self.als = als
        history = RecentHistory(interactions, self.history_length)
        cold_map, predicted = self._fit_cold_map(catalog)
        transitions = Transitions.fit(interactions, history, self.config.transitions)
        self._state = self._build(history, cold_map, predicted, transitions)
        return self

    @property
    def history_length(self) -> int:
        """Recent items kept per user: what item_knn and transitions read."""
        t = self.config.transitions
        return max(self.config.item_knn.history, t.history, t.window)

    def _fit_cold_map(self, catalog: ItemCatalog | None) -> tuple[ColdItemMap | None, np.ndarray | None]:
        """The text -> ALS factor map and its predictions for the items without interactions."""
        if catalog is None or not self.config.cold_start.enabled:
            return None, None
        ids, warm = self.als.items.ids, self.als.item_support() > 0
        cold_map = ColdItemMap.fit(catalog, ids, self.als.item_factors, warm, self.config.cold_start)
        predicted = np.full(self.als.item_factors.shape, np.nan, np.float32)
        if (~warm).any():
            predicted[~warm] = cold_map.predict(catalog, ids[~warm])[0]
        return cold_map, predicted

    def _build(
        self,
        history: RecentHistory,
        cold_map: ColdItemMap | None,
        predicted: np.ndarray | None,
        transitions: Transitions | None,
    ) -> _Fitted:
        """Indexes and popularity from the fitted ALS model (and the predicted vectors of cold items)."""
        vectors = ItemVectors.of(self.als, predicted)
        mips = ALSRetrieval.build(self.als, self.config.index, vectors).index
        knn = None
        if "item_knn" in self.config.sources:
            factors = vectors.factors
            knn = ItemIndex(factors.shape[1], self.config.index.model_copy(update={"metric": "cosine"}))
            nonzero = mips.ids[np.linalg.norm(factors[mips.ids], axis=1) > 0]
            knn.add(nonzero, factors[nonzero])
        popularity = PopularitySource(self.als.item_support())
        return _Fitted(mips, knn, history, popularity, vectors, cold_map, predicted, transitions)

    @property
    def fitted(self) -> _Fitted:
        """The fitted parts, or `NotFittedError`."""
        return require_fitted(self._state, "CandidateGenerator", "call fit(interactions) first")

    @property
    def is_fitted(self) -> bool:
        return self._state is not None

    @property
    def users(self) -> IdMap:
        self.fitted  # noqa: B018  (raises when not fitted)
        return self.als.users

    @property
    def items(self) -> IdMap:
        self.fitted  # noqa: B018
        return self.als.items

    def recent_items(self, user: int) -> np.ndarray:
        """The user's most recent items (internal ids, newest first, at most ``item_knn.history``)."""
        return self.fitted.history.of(int(user))

    def popular(self, n: int, exclude: sp.csr_matrix) -> TopK:
        """The `n` most popular items per row of `exclude`, skipping its items (for users the model lacks)."""
        return self.fitted.popularity.generate(np.zeros(exclude.shape[0], np.int64), n, sp.csr_matrix(exclude))

    @property
    def item_vectors(self) -> ItemVectors:
        """The vectors behind the indexes: ALS factors, predicted ones for items without interactions."""
        return self.fitted.vectors

    @property
    def popularity_counts(self) -> np.ndarray:
        """Users per item in the fitted data (what the popularity source ranks by)."""
        return self.fitted.popularity.counts

    # ------------------------------------------------------------------ generation
    def sources(self) -> dict[str, CandidateSource]:
        """The configured sources, by name, over the fitted state."""
        state = self.fitted
        out: dict[str, CandidateSource] = {}
        for name in self.config.sources:
            if name == "als":
                out[name] = ALSRetrieval(self.als, state.mips, state.vectors)
            elif name == "item_knn" and state.knn is not None:
                out[name] = ItemKNN(state.knn, state.history, self.config.item_knn, self.als, state.vectors)
            elif name == "transitions" and state.transitions is not None:
                out[name] = state.transitions
            elif name == "popularity":
                out[name] = state.popularity
        return out

    def follows(self, item: int, history: np.ndarray) -> int | None:
        """The item of `history` (internal ids) that `item` was most often chosen right after (None: none)."""
        transitions = self.fitted.transitions
        return None if transitions is None else transitions.follows(item, history)

    def score_items(self, users: np.ndarray | int, items: np.ndarray) -> dict[str, np.ndarray]:
        """Every source's own score for any `items` of internal `users` (-1: a user the model does
        not know): `items` [rows, N] (-1 padding) or, with one user, [N]; float64 [rows, N] per
        source in `SOURCES`, NaN where a source cannot score (padding, no vector, no history).
        An item's score never depends on the other items given: the one scoring path reads these
        for the first stage's candidates and for a caller's alike."""
        state = self.fitted
        users = np.atleast_1d(np.asarray(users, dtype=np.int64))
        items = np.asarray(items, dtype=np.int64).reshape(len(users), -1)
        sources: dict[str, CandidateSource] = {
            "als": ALSRetrieval(self.als, state.mips, state.vectors),
            "item_knn": ItemKNN(state.knn, state.history, self.config.item_knn, self.als, state.vectors),
            "popularity": state.popularity,
        }
        if state.transitions is not None:
            sources["transitions"] = state.transitions
        valid = items >= 0
        out = {name: np.full(items.shape, np.nan) for name in sources}
        for r, user in enumerate(users):
            row = items[r, valid[r]]
            for name, src in sources.items():
                out[name][r, valid[r]] = src.score(int(user), row)
        return out

    def seen(self, users: np.ndarray) -> sp.csr_matrix:
        """The fitted items of `users` (the default exclusion)."""
        return self.als.user_items[np.asarray(users)]

    def source_lists(self, users: np.ndarray, n: int, exclude: sp.csr_matrix | None = None) -> dict[str, TopK]:
        """Each source's own top-`n` per user; users without history get only popularity."""
        state = self.fitted
        users = np.asarray(users, dtype=np.int64)
        exclude = self.seen(users) if exclude is None else sp.csr_matrix(exclude)
        cold = state.history.lengths(users) == 0
        warm = np.flatnonzero(~cold)
        out: dict[str, TopK] = {}
        for name, source in self.sources().items():
            items = np.full((len(users), n), -1, np.int64)
            scores = np.full((len(users), n), np.nan, np.float32)
            rows = np.arange(len(users)) if name == "popularity" else warm
            if len(rows):
                top = source.generate(users[rows], n, exclude[rows])
                items[rows], scores[rows] = top.items, top.scores
            out[name] = TopK(items, scores)
        if cold.any() and "popularity" not in out:
            pop = state.popularity.generate(users[cold], n, exclude[cold])
            items = np.full((len(users), n), -1, np.int64)
            scores = np.full((len(users), n), np.nan, np.float32)
            items[cold], scores[cold] = pop.items, pop.scores
            out["popularity"] = TopK(items, scores)
        return out

    def generate(
        self,
        users: np.ndarray,
        n: int | None = None,
        exclude: sp.csr_matrix | None = None,
        extra: dict[str, tuple[TopK, float]] | None = None,
    ) -> Candidates:
        """Blended candidates for internal user ids (by default excluding each user's fitted items).
        `extra` = more lists to blend in, by name, with their blend weights (e.g. a request's matches)."""
        n = n or self.config.n
        lists = self.source_lists(users, n, exclude)
        weights = dict(self.config.blend.weights)
        if "popularity" in lists and "popularity" not in self.config.sources:
            weights["popularity"] = 1.0  # cold users' only source
        for name, (top, weight) in (extra or {}).items():
            lists[name], weights[name] = top, weight
        return blend(lists, n, self.config.blend.model_copy(update={"weights": weights}))

    def generate_for(
        self, user_ids: list[object] | np.ndarray, n: int | None = None, on_unknown: OnUnknown = "raise"
    ) -> list[UserCandidates]:
        """Candidates for external user ids. Unknown users: ``raise`` (`UnknownIdError`),
        ``fallback`` (popular items, marked ``cold``) or ``skip`` (left out of the result)."""
        state = self.fitted
        on_unknown = check_on_unknown(on_unknown)
        ids = as_id_array(user_ids)
        internal = self.users.to_internal(ids, on_unknown="raise" if on_unknown == "raise" else "fallback")
        n = n or self.config.n
        known = internal >= 0
        result: dict[int, UserCandidates] = {}
        if known.any():
            cands = self.generate(internal[known], n)
            cold = state.history.lengths(internal[known]) == 0
            for row, pos in enumerate(np.flatnonzero(known)):
                result[int(pos)] = self._external(ids[pos], cands, row, bool(cold[row]))
        if on_unknown == "fallback" and (~known).any():
            unknown = np.flatnonzero(~known)
            pop = self.popular(n, sp.csr_matrix((len(unknown), len(self.items))))
            scores: dict[str, np.ndarray] = {
                name: np.full(pop.items.shape, np.nan) for name in self.config.sources
            }  # same keys as known users
            scores["popularity"] = pop.scores.astype(np.float64)
            cands = Candidates(pop.items, pop.scores.astype(np.float64), scores)
            for row, pos in enumerate(unknown):
                result[int(pos)] = self._external(ids[pos], cands, row, True)
        return [result[p] for p in sorted(result)]

    def _external(self, user_id: object, cands: Candidates, row: int, cold: bool) -> UserCandidates:
        valid = cands.items[row] >= 0
        return UserCandidates(
            user_id=user_id,
            item_ids=self.items.to_external(cands.items[row][valid]),
            scores=cands.scores[row][valid],
            source_scores={k: v[row][valid] for k, v in cands.source_scores.items()},
            labels=cands.labels(row),
            cold=cold,
        )

    # ------------------------------------------------------------------ updates
    def update(self, events: Interactions) -> tuple[np.ndarray, np.ndarray]:
        """Absorb new events: ALS re-solves touched users and items, their index vectors are replaced,
        histories and popularity are extended. Returns the touched (users, items) internal ids."""
        state = self.fitted
        users, items = self.als.update(events)
        self._refresh(state, items, _grown(state.predicted, len(self.items)))
        ext_u = events.users.to_external(events.user)
        ext_i = events.items.to_external(events.item)
        internal_u, internal_i = self.users.to_internal(ext_u), self.items.to_internal(ext_i)
        if self.fitted.transitions is not None:  # before the history: new events follow the recent items
            self.fitted.transitions.update(internal_u, internal_i, events.timestamp, len(self.items))
        state.history.add(internal_u, internal_i, events.timestamp, len(self.users))
        return users, items

    def _refresh(self, state: _Fitted, items: np.ndarray, predicted: np.ndarray | None) -> None:
        """After `items` changed (new factors, new predictions, new ids): their index vectors, the
        popularity counts and the state's vectors follow."""
        vectors = ItemVectors.of(self.als, predicted)
        for index in (state.mips, state.knn):
            if index is None:
                continue
            ok = items[vectors.scorable[items] & (np.linalg.norm(vectors.factors[items], axis=1) > 0)]
            present = np.isin(ok, index.ids)
            if present.any():
                index.update(ok[present], vectors.factors[ok[present]])
            if (~present).any():
                index.add(ok[~present], vectors.factors[ok[~present]])
        state.popularity.set_counts(self.als.item_support())
        self._state = replace(state, vectors=vectors, predicted=predicted)

    def add_items(self, item_ids: list[object] | np.ndarray, catalog: ItemCatalog) -> np.ndarray:
        """Make catalog items recommendable before anyone has used them: new ids join the item map
        (without interactions) and every given item still without interactions gets the vector its
        `catalog` row predicts (re-described items are predicted again). Returns their internal ids."""
        state = self.fitted
        internal = self.als.add_items(as_id_array(item_ids))
        if state.transitions is not None:
            state.transitions.grow(len(self.items))
        predicted = _grown(state.predicted, len(self.items))
        if state.cold_map is not None and predicted is not None:
            cold = internal[self.als.item_support()[internal] == 0]
            predicted[cold] = state.cold_map.predict(catalog, self.items.to_external(cold))[0]
        self._refresh(state, internal, predicted)
        return internal

    # ------------------------------------------------------------------ persistence
    def save(self, directory: str | Path) -> None:
        """``candidates.json`` + the ALS model + both indexes + histories (npz); no pickle."""
        state = self.fitted
        directory = save_config(directory, self.config, "candidates.json")
        self.als.save(directory / "als")
        state.mips.save(directory / "mips")
        if state.knn is not None:
            state.knn.save(directory / "knn")
        save_arrays(directory / "history.npz", **state.history.arrays())
        if state.transitions is not None:
            state.transitions.save(directory / "transitions.npz")
        if state.cold_map is not None and state.predicted is not None:
            state.cold_map.save(directory / "cold_map")
            save_arrays(directory / "cold_map" / "predicted.npz", predicted=state.predicted)

    @staticmethod
    def load_user_ids(directory: str | Path) -> IdMap:
        """The user ids of a saved generator (cheap: reads no index)."""
        return ALSModel.load_user_ids(Path(directory) / "als")

    @classmethod
    def load(cls, directory: str | Path) -> CandidateGenerator:
        config = load_config(directory, CandidatesConfig, "candidates.json", what="CandidateGenerator")
        directory = Path(directory)
        self = cls(config)
        self.als = ALSModel.load(directory / "als")
        history = RecentHistory.from_arrays(
            load_arrays(directory / "history.npz"), self.history_length, len(self.als.users)
        )
        transitions = None  # a model saved before the transitions source has none
        if (directory / "transitions.npz").is_file():
            transitions = Transitions.load(directory / "transitions.npz", history, config.transitions)
        knn = ItemIndex.load(directory / "knn") if (directory / "knn").is_dir() else None
        mips = ItemIndex.load(directory / "mips")
        cold_map, predicted = None, None
        if (directory / "cold_map").is_dir():
            cold_map = ColdItemMap.load(directory / "cold_map")
            predicted = load_arrays(directory / "cold_map" / "predicted.npz")["predicted"]
        vectors = ItemVectors.of(self.als, predicted)
        popularity = PopularitySource(self.als.item_support())
        self._state = _Fitted(mips, knn, history, popularity, vectors, cold_map, predicted, transitions)
        return self
