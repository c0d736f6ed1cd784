"""`CandidateGenerator`: ALS + FAISS retrieval, item-to-item neighbours and popularity, blended.

Works in internal ids (`generate`) and at the API boundary in external ids
(`generate_for`, with an ``on_unknown`` policy). `update` absorbs new events without a full
retrain: ALS re-solves the touched users and items, their vectors are replaced in both indexes,
the recent histories and popularity counts are extended.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import scipy.sparse as sp
from pydantic import Field, field_validator

from hybrid_rec.candidates.als import ALSConfig, ALSModel
from hybrid_rec.candidates.index import IndexConfig, ItemIndex
from hybrid_rec.candidates.sources import (
    ALSRetrieval,
    BlendConfig,
    Candidates,
    ItemKNN,
    ItemKNNConfig,
    PopularitySource,
    RecentHistory,
    blend,
)
from hybrid_rec.config import StrictModel
from hybrid_rec.data.ids import IdMap, as_id_array
from hybrid_rec.data.interactions import Interactions
from hybrid_rec.errors import ConfigError, DataError, NotFittedError
from hybrid_rec.topk import TopK

SOURCES = ("als", "item_knn", "popularity")
OnUnknownUser = Literal["raise", "popularity", "skip"]


class CandidatesConfig(StrictModel):
    """The first stage: which sources, their models and indexes, and how lists are blended."""

    sources: list[Literal["als", "item_knn", "popularity"]] = Field(default_factory=lambda: list(SOURCES))
    n: int = Field(200, gt=0)
    als: ALSConfig = Field(default_factory=ALSConfig)
    index: IndexConfig = Field(default_factory=IndexConfig)
    item_knn: ItemKNNConfig = Field(default_factory=ItemKNNConfig)
    blend: BlendConfig = Field(default_factory=BlendConfig)

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


class CandidateGenerator:
    """Fit once on interactions; generate blended candidates per user; update with new events."""

    def __init__(self, config: CandidatesConfig | None = None) -> None:
        self.config = config or CandidatesConfig()
        self.als = ALSModel(self.config.als)
        self._mips: ItemIndex | None = None
        self._knn: ItemIndex | None = None
        self._history: RecentHistory | None = None
        self._popularity: PopularitySource | None = None

    # ------------------------------------------------------------------ fitting
    def fit(self, interactions: Interactions, als: ALSModel | None = None) -> CandidateGenerator:
        """Fit on `interactions`; a given fitted `als` (e.g. `ALSModel.from_factors`) replaces ALS training."""
        if als is None:
            self.als.fit(interactions)
        else:
            if not als.is_fitted or als.users != interactions.users or als.items != interactions.items:
                raise ConfigError(
                    "CandidateGenerator.fit: the given ALS model must be fitted on these interactions' id maps"
                )
            self.als = als
        self._build_indexes()
        self._history = RecentHistory(interactions, self.config.item_knn.history)
        self._popularity = PopularitySource(self.als.item_support())
        return self

    def _build_indexes(self) -> None:
        self._mips = ALSRetrieval.build(self.als, self.config.index).index
        factors = self.als.item_factors
        supported = self._mips.ids
        if "item_knn" in self.config.sources:
            knn_cfg = self.config.index.model_copy(update={"metric": "cosine"})
            self._knn = ItemIndex(factors.shape[1], knn_cfg)
            nonzero = supported[np.linalg.norm(factors[supported], axis=1) > 0]
            self._knn.add(nonzero, factors[nonzero])

    def _check(self) -> None:
        if self._mips is None:
            raise NotFittedError("CandidateGenerator is not fitted; call fit(interactions) first")

    @property
    def users(self) -> IdMap:
        self._check()
        return self.als.users  # type: ignore[return-value]

    @property
    def items(self) -> IdMap:
        self._check()
        return self.als.items  # type: ignore[return-value]

    def recent_items(self, user: int) -> np.ndarray:
        """The user's most recent items (internal ids, newest first, at most ``item_knn.history``)."""
        self._check()
        return self._history.of(int(user))  # type: ignore[union-attr]

    def popular(self, n: int, exclude: sp.csr_matrix) -> TopK:
        """The `n` most popular items per row of `exclude`, skipping its items (for users the model lacks)."""
        self._check()
        return self._popularity.generate(np.zeros(exclude.shape[0], np.int64), n, sp.csr_matrix(exclude))  # type: ignore[union-attr]

    @property
    def popularity_counts(self) -> np.ndarray:
        """Users per item in the fitted data (what the popularity source ranks by)."""
        self._check()
        return self._popularity.counts  # type: ignore[union-attr]

    # ------------------------------------------------------------------ generation
    def sources(self) -> dict[str, object]:
        self._check()
        out: dict[str, object] = {}
        for name in self.config.sources:
            if name == "als":
                out[name] = ALSRetrieval(self.als, self._mips)  # type: ignore[arg-type]
            elif name == "item_knn":
                out[name] = ItemKNN(self._knn, self._history, self.config.item_knn, len(self.items))  # type: ignore[arg-type]
            else:
                out[name] = self._popularity
        return out

    def seen(self, users: np.ndarray) -> sp.csr_matrix:
        """The fitted items of `users` (the default exclusion)."""
        return self.als.user_items[np.asarray(users)]

    def source_lists(self, users: np.ndarray, n: int, exclude: sp.csr_matrix | None = None) -> dict[str, TopK]:
        """Each source's own top-`n` per user; users without history get only popularity."""
        self._check()
        users = np.asarray(users, dtype=np.int64)
        exclude = self.seen(users) if exclude is None else sp.csr_matrix(exclude)
        cold = self._history.lengths(users) == 0  # type: ignore[union-attr]
        warm = np.flatnonzero(~cold)
        out: dict[str, TopK] = {}
        for name, source in self.sources().items():
            items = np.full((len(users), n), -1, np.int64)
            scores = np.full((len(users), n), np.nan, np.float32)
            rows = np.arange(len(users)) if name == "popularity" else warm
            if len(rows):
                top = source.generate(users[rows], n, exclude[rows])  # type: ignore[attr-defined]
                items[rows], scores[rows] = top.items, top.scores
            out[name] = TopK(items, scores)
        if cold.any() and "popularity" not in out:
            pop = self._popularity.generate(users[cold], n, exclude[cold])  # type: ignore[union-attr]
            items = np.full((len(users), n), -1, np.int64)
            scores = np.full((len(users), n), np.nan, np.float32)
            items[cold], scores[cold] = pop.items, pop.scores
            out["popularity"] = TopK(items, scores)
        return out

    def generate(self, users: np.ndarray, n: int | None = None, exclude: sp.csr_matrix | None = None) -> Candidates:
        """Blended candidates for internal user ids (by default excluding each user's fitted items)."""
        n = n or self.config.n
        lists = self.source_lists(users, n, exclude)
        weights = dict(self.config.blend.weights)
        if "popularity" in lists and "popularity" not in self.config.sources:
            weights["popularity"] = 1.0  # cold users' only source
        return blend(lists, n, self.config.blend.model_copy(update={"weights": weights}))

    def generate_for(
        self, user_ids: list[object] | np.ndarray, n: int | None = None, on_unknown: OnUnknownUser = "raise"
    ) -> list[UserCandidates]:
        """Candidates for external user ids. Unknown users: ``raise`` (`UnknownIdError`),
        ``popularity`` (popular items, marked ``cold``) or ``skip`` (left out of the result)."""
        self._check()
        if on_unknown not in ("raise", "popularity", "skip"):
            raise ValueError(f"on_unknown must be 'raise', 'popularity' or 'skip', not {on_unknown!r}")
        ids = as_id_array(user_ids)
        internal = self.users.to_internal(ids, on_unknown="raise" if on_unknown == "raise" else "mask")
        n = n or self.config.n
        known = internal >= 0
        result: dict[int, UserCandidates] = {}
        if known.any():
            cands = self.generate(internal[known], n)
            cold = self._history.lengths(internal[known]) == 0  # type: ignore[union-attr]
            for row, pos in enumerate(np.flatnonzero(known)):
                result[pos] = self._external(ids[pos], cands, row, bool(cold[row]))
        if on_unknown == "popularity" and (~known).any():
            unknown = np.flatnonzero(~known)
            empty = sp.csr_matrix((len(unknown), len(self.items)))
            pop = self._popularity.generate(np.zeros(len(unknown), np.int64), n, empty)  # type: ignore[union-attr]
            scores = {
                name: np.full(pop.items.shape, np.nan) for name in self.config.sources
            }  # same keys as known users
            scores["popularity"] = pop.scores.astype(np.float64)
            cands = Candidates(pop.items, pop.scores.astype(np.float64), scores)
            for row, pos in enumerate(unknown):
                result[pos] = self._external(ids[pos], cands, row, True)
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
        self._check()
        users, items = self.als.update(events)
        factors = self.als.item_factors
        support = self.als.item_support()
        for index in (self._mips, self._knn):
            if index is None:
                continue
            ok = items[(support[items] > 0) & (np.linalg.norm(factors[items], axis=1) > 0)]
            present = np.isin(ok, index.ids)
            if present.any():
                index.update(ok[present], factors[ok[present]])
            if (~present).any():
                index.add(ok[~present], factors[ok[~present]])
        ext_u = events.users.to_external(events.user)
        ext_i = events.items.to_external(events.item)
        self._history.add(  # type: ignore[union-attr]
            self.users.to_internal(ext_u), self.items.to_internal(ext_i), events.timestamp, len(self.users)
        )
        self._popularity.set_counts(support)  # type: ignore[union-attr]
        return users, items

    # ------------------------------------------------------------------ persistence
    def save(self, directory: str | Path) -> None:
        """``candidates.json`` + the ALS model + both indexes + histories (npz); no pickle."""
        self._check()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "candidates.json").write_text(self.config.model_dump_json(indent=2))
        self.als.save(directory / "als")
        self._mips.save(directory / "mips")  # type: ignore[union-attr]
        if self._knn is not None:
            self._knn.save(directory / "knn")
        h = self._history
        np.savez(directory / "history.npz", user=h._user, item=h._item, ts=h._ts)  # type: ignore[union-attr]

    @classmethod
    def load(cls, directory: str | Path) -> CandidateGenerator:
        directory = Path(directory)
        if not (directory / "candidates.json").is_file():
            raise DataError(f"{directory}: missing candidates.json; not a saved CandidateGenerator")
        config = CandidatesConfig.from_dict(
            json.loads((directory / "candidates.json").read_text()), source=str(directory / "candidates.json")
        )
        self = cls(config)
        self.als = ALSModel.load(directory / "als")
        self._mips = ItemIndex.load(directory / "mips")
        if (directory / "knn").is_dir():
            self._knn = ItemIndex.load(directory / "knn")
        with np.load(directory / "history.npz", allow_pickle=False) as z:
            history = RecentHistory.__new__(RecentHistory)
            history.length = config.item_knn.history
            history._build(z["user"], z["item"], z["ts"], len(self.users))
        self._history = history
        self._popularity = PopularitySource(self.als.item_support())
        return self
