"""Candidate sources and the blender that merges them.

Each source proposes, per user, a ranked list of items (internal ids) it can justify:
- `ALSRetrieval`: maximum inner product of the user's ALS factors against item factors (FAISS).
- `ItemKNN`: neighbours (cosine over item factors, FAISS) of the user's most recent items, each
  neighbour's similarity weighted by ``decay ** position`` (0 = most recent) and summed.
- `PopularitySource`: most interacted-with items, for cold users and as a filler.
- (`hybrid_rec.candidates.transitions.Transitions`: what was chosen right after the recent items.)
`blend` merges the lists by weighted reciprocal-rank fusion, keeping every source's own score.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import scipy.sparse as sp
from pydantic import Field

from hybrid_rec.candidates.als import ALSModel
from hybrid_rec.candidates.index import IndexConfig, ItemIndex
from hybrid_rec.config import StrictModel
from hybrid_rec.data.interactions import Interactions
from hybrid_rec.errors import ConfigError
from hybrid_rec.topk import TopK


class CandidateSource(Protocol):
    """Proposes up to `n` items per user, never one in that user's `exclude` row, and scores any
    given items for one user (its own feature for fusion; NaN where it cannot score)."""

    name: str

    def generate(self, users: np.ndarray, n: int, exclude: sp.csr_matrix) -> TopK: ...

    def score(self, user: int, items: np.ndarray) -> np.ndarray:
        """[len(items)] scores of internal `items` for internal `user` (-1: unknown user)."""
        ...


@dataclass(frozen=True, eq=False)
class Candidates:
    """Blended candidate lists for a batch of users (internal ids).

    ``items`` [n_users, N] (-1 = padding), ``scores`` the blended score, ``source_scores[name]``
    each source's own score for that item (NaN where the source did not propose it).
    """

    items: np.ndarray
    scores: np.ndarray
    source_scores: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(self.source_scores)

    def labels(self, row: int) -> list[tuple[str, ...]]:
        """For each candidate of `row`, the sources that proposed it."""
        return [
            tuple(s for s, v in self.source_scores.items() if not np.isnan(v[row, j]))
            for j in range(int((self.items[row] >= 0).sum()))
        ]

    def topk(self) -> TopK:
        return TopK(self.items, self.scores)


class RecentHistory:
    """Each user's most recent items, newest first (ties by later input row), at most `length` each."""

    def __init__(self, interactions: Interactions, length: int) -> None:
        self.length = length
        self._build(interactions.user, interactions.item, interactions.timestamp, interactions.n_users)

    def _build(self, user: np.ndarray, item: np.ndarray, ts: np.ndarray, n_users: int) -> None:
        order = np.lexsort((-np.arange(len(user)), -ts, user))  # by user, newest first, later row first
        u, i = user[order], item[order]
        counts = np.bincount(u, minlength=n_users)
        starts = np.concatenate([[0], np.cumsum(counts)])
        pos = np.arange(len(u)) - starts[u]
        keep = pos < self.length
        self._user, self._item, self._ts = u[keep], i[keep], ts[order][keep]
        kept = np.bincount(self._user, minlength=n_users)
        self.indptr = np.concatenate([[0], np.cumsum(kept)])

    def _events(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The kept events in input order (oldest first; of two at one time, the earlier row first): `_build`
        of them gives this history again. The kept order is newest first, so input order is its reverse; read
        in kept order instead, every rebuild would swap the events that share a timestamp (MovieLens has many)."""
        return self._user[::-1], self._item[::-1], self._ts[::-1]

    def arrays(self) -> dict[str, np.ndarray]:
        """The kept events as arrays (for saving), in input order; `from_arrays` reads them back."""
        user, item, ts = self._events()
        return {"user": user, "item": item, "ts": ts, "input_order": np.ones(1, bool)}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], length: int, n_users: int) -> RecentHistory:
        """The history `arrays` saved (files without ``input_order`` hold the kept, newest-first order)."""
        self = cls.__new__(cls)
        self.length = length
        flip = slice(None) if "input_order" in arrays else slice(None, None, -1)
        self._build(arrays["user"][flip], arrays["item"][flip], arrays["ts"][flip], n_users)
        return self

    def add(self, user: np.ndarray, item: np.ndarray, ts: np.ndarray, n_users: int) -> None:
        """Merge new events (internal ids; later rows than every kept one); `n_users` may have grown."""
        old_user, old_item, old_ts = self._events()
        self._build(
            np.concatenate([old_user, user]),
            np.concatenate([old_item, item]),
            np.concatenate([old_ts, ts]),
            n_users,
        )

    def of(self, user: int) -> np.ndarray:
        if user < 0 or user >= len(self.indptr) - 1:
            return np.empty(0, np.int64)
        return self._item[self.indptr[user] : self.indptr[user + 1]]

    def lengths(self, users: np.ndarray) -> np.ndarray:
        users = np.asarray(users)
        out = np.zeros(len(users), np.int64)
        known = (users >= 0) & (users < len(self.indptr) - 1)  # -1: a user the model does not know
        out[known] = self.indptr[users[known] + 1] - self.indptr[users[known]]
        return out


def topk_sparse(scores: sp.csr_matrix, n: int, exclude: sp.csr_matrix | None = None) -> TopK:
    """Top `n` stored entries per row of a sparse score matrix (ties: lower item id), excluding `exclude`."""
    scores = sp.csr_matrix(scores)
    rows = scores.shape[0]
    items = np.full((rows, n), -1, np.int64)
    out = np.full((rows, n), np.nan, np.float32)
    for r in range(rows):
        cols = scores.indices[scores.indptr[r] : scores.indptr[r + 1]]
        vals = scores.data[scores.indptr[r] : scores.indptr[r + 1]]
        if exclude is not None:
            ok = ~np.isin(cols, exclude.indices[exclude.indptr[r] : exclude.indptr[r + 1]])
            cols, vals = cols[ok], vals[ok]
        order = np.lexsort((cols, -vals))[:n]
        items[r, : len(order)] = cols[order]
        out[r, : len(order)] = vals[order]
    return TopK(items, out)


@dataclass(frozen=True, eq=False)
class ItemVectors:
    """The item vectors CF sources use: ALS factors for items with interactions, a predicted vector
    (`hybrid_rec.candidates.cold`) for items without; ``scorable`` marks the items that have either."""

    factors: np.ndarray  # [n_items, f]
    scorable: np.ndarray  # [n_items] bool

    @classmethod
    def of(cls, als: ALSModel, predicted: np.ndarray | None = None) -> ItemVectors:
        """ALS's factors, with `predicted` rows (NaN = none) for the items ALS has no interaction for."""
        warm = als.item_support() > 0
        if predicted is None:
            return cls(als.item_factors, warm)
        cold = ~warm & ~np.isnan(predicted[: len(warm)]).any(axis=1)
        factors = als.item_factors.copy()
        factors[cold] = predicted[: len(warm)][cold]
        return cls(factors, warm | cold)


class ALSRetrieval:
    """User factors searched against item vectors in an inner-product index."""

    name = "als"

    @classmethod
    def build(cls, als: ALSModel, config: IndexConfig | None = None, vectors: ItemVectors | None = None) -> ALSRetrieval:
        """Index the scorable items (those with interactions, and cold items with a predicted vector)."""
        vectors = vectors or ItemVectors.of(als)
        ids = np.flatnonzero(vectors.scorable)
        index = ItemIndex(vectors.factors.shape[1], (config or IndexConfig()).model_copy(update={"metric": "ip"}))
        index.add(ids, vectors.factors[ids])
        return cls(als, index, vectors)

    def __init__(self, als: ALSModel, index: ItemIndex, vectors: ItemVectors | None = None) -> None:
        self.als, self.index = als, index
        self.vectors = vectors or ItemVectors.of(als)

    def generate(self, users: np.ndarray, n: int, exclude: sp.csr_matrix) -> TopK:
        if len(users) == 0:
            return TopK(np.empty((0, n), np.int64), np.empty((0, n), np.float32))
        ids, scores = self.index.search(self.als.user_factors[users], n, exclude)
        return TopK(ids, scores)

    def score(self, user: int, items: np.ndarray) -> np.ndarray:
        """Factor dot product; NaN for items without a vector or a user the model lacks."""
        if user < 0:
            return np.full(len(items), np.nan)
        # elementwise, in float64: an item's score is bit-identical whatever other items are scored with it
        dot = (self.vectors.factors[items].astype(np.float64) * self.als.user_factors[user]).sum(axis=1)
        return np.where(self.vectors.scorable[items], dot, np.nan)


class ItemKNNConfig(StrictModel):
    """Item-to-item candidates: the last `history` items, `neighbors` each, weight ``decay ** position``."""

    history: int = Field(20, gt=0, description="How many of the user's most recent items seed the search.")
    neighbors: int = Field(50, gt=0, description="Nearest neighbours fetched per history item.")
    decay: float = Field(
        0.8, gt=0, le=1, description="Weight of a neighbour is decay ** position (0 = most recent item); in (0, 1]."
    )


def _unit(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


class ItemKNN:
    """Neighbours of the user's recent items in a cosine index over the ALS item vectors.

    `index` may be None when item-to-item is not a candidate source: `score` (cosine to the recent
    history, for fusion) still works, `generate` does not.
    """

    name = "item_knn"

    def __init__(
        self,
        index: ItemIndex | None,
        history: RecentHistory,
        config: ItemKNNConfig,
        als: ALSModel,
        vectors: ItemVectors | None = None,
    ) -> None:
        if index is not None and index.config.metric != "cosine":
            raise ConfigError("ItemKNN needs an index with metric='cosine'")
        self._index, self.history, self.config, self.als = index, history, config, als
        self.vectors = vectors or ItemVectors.of(als)
        self.n_items = len(als.items)

    @property
    def index(self) -> ItemIndex:
        if self._index is None:
            raise ConfigError("ItemKNN.generate needs a neighbour index; add 'item_knn' to candidates.sources")
        return self._index

    def score(self, user: int, items: np.ndarray) -> np.ndarray:
        """Decay-weighted cosine of each item to the user's recent history (the whole history window,
        not only the top neighbours); NaN for items without a vector or a user without history."""
        recent = self.history.of(user)[: self.config.history] if user >= 0 else np.empty(0, np.int64)
        if not len(recent):
            return np.full(len(items), np.nan)
        weights = self.config.decay ** np.arange(len(recent))
        factors = self.vectors.factors.astype(np.float64)
        profile = (_unit(factors[recent]) * weights[:, None]).sum(axis=0)  # cosine is linear in the item
        # elementwise: an item's score is bit-identical whatever other items are scored with it
        return np.where(self.vectors.scorable[items], (_unit(factors[items]) * profile).sum(axis=1), np.nan)

    def generate(self, users: np.ndarray, n: int, exclude: sp.csr_matrix) -> TopK:
        cfg = self.config
        rows, hist, pos = [], [], []
        for r, u in enumerate(users):
            h = self.history.of(int(u))[: cfg.history]
            rows.append(np.full(len(h), r))
            hist.append(h)
            pos.append(np.arange(len(h)))
        row, item, p = (np.concatenate(x) if x else np.empty(0, np.int64) for x in (rows, hist, pos))
        in_index = np.isin(item, self.index.ids)
        row, item, p = row[in_index], item[in_index], p[in_index]
        if len(item) == 0:
            return TopK(np.full((len(users), n), -1, np.int64), np.full((len(users), n), np.nan, np.float32))
        unique, inverse = np.unique(item, return_inverse=True)
        k = min(cfg.neighbors + 1, len(self.index))
        nb, sim = self.index.search(self.index.reconstruct(unique), k, [np.array([q]) for q in unique])
        nb, sim = nb[inverse], sim[inverse]  # [len(item), k]
        weight = cfg.decay ** p.astype(np.float64)
        valid = nb >= 0
        scores = sp.csr_matrix(
            ((sim * weight[:, None])[valid], (np.broadcast_to(row[:, None], nb.shape)[valid], nb[valid])),
            shape=(len(users), self.n_items),
        )
        scores.sum_duplicates()
        return topk_sparse(scores, n, exclude)


class PopularitySource:
    """The most popular items the user has not seen (ties: lower item id)."""

    name = "popularity"

    def __init__(self, counts: np.ndarray) -> None:
        self.set_counts(counts)

    def set_counts(self, counts: np.ndarray) -> None:
        self.counts = np.asarray(counts, dtype=np.float64)
        supported = np.flatnonzero(self.counts > 0)
        self.order = supported[np.lexsort((supported, -self.counts[supported]))]

    def generate(self, users: np.ndarray, n: int, exclude: sp.csr_matrix) -> TopK:
        items = np.full((len(users), n), -1, np.int64)
        scores = np.full((len(users), n), np.nan, np.float32)
        for r in range(len(users)):
            seen = exclude.indices[exclude.indptr[r] : exclude.indptr[r + 1]]
            head = self.order[: n + len(seen)]
            head = head[~np.isin(head, seen)][:n]
            items[r, : len(head)] = head
            scores[r, : len(head)] = self.counts[head]
        return TopK(items, scores)

    def score(self, user: int, items: np.ndarray) -> np.ndarray:
        """The item's count; NaN for items without interactions (the same for every user)."""
        counts = self.counts[items]
        return np.where(counts > 0, counts, np.nan)


class BlendConfig(StrictModel):
    """Weighted reciprocal-rank fusion: score = sum over sources of ``weight / (rrf_k + rank)``."""

    weights: dict[str, float] = Field(
        default_factory=lambda: {"als": 1.0, "item_knn": 1.0, "transitions": 1.0, "popularity": 0.1},
        description="Weight of each source in the fused score; a source without weight only fills the tail.",
    )
    rrf_k: float = Field(60.0, ge=0, description="Rank offset k of reciprocal-rank fusion (larger: flatter).")


def blend(lists: dict[str, TopK], n: int, config: BlendConfig) -> Candidates:
    """Merge per-source lists into `n` de-duplicated candidates per user, keeping each source's score.

    A source without a weight (or with weight 0) adds nothing to the fused score, so its items only
    fill the tail when the weighted sources propose fewer than `n`.
    """
    if not lists:
        raise ConfigError("blend: no candidate sources")
    n_rows = next(iter(lists.values())).items.shape[0]
    rows, items, contrib = [], [], []
    for name, top in lists.items():
        if top.items.shape[0] != n_rows:
            raise ValueError(f"blend: source {name!r} has {top.items.shape[0]} rows, expected {n_rows}")
        w = config.weights.get(name, 0.0)
        valid = top.items >= 0
        ranks = np.broadcast_to(np.arange(1, top.items.shape[1] + 1), top.items.shape)
        rows.append(np.broadcast_to(np.arange(n_rows)[:, None], top.items.shape)[valid])
        items.append(top.items[valid])
        contrib.append((w / (config.rrf_k + ranks))[valid])
    row, item, c = np.concatenate(rows), np.concatenate(items), np.concatenate(contrib)
    width = np.int64(max(int(item.max(initial=0)) + 1, 1))
    keys = row.astype(np.int64) * width + item
    ukeys, inverse = np.unique(keys, return_inverse=True)
    total = np.bincount(inverse, weights=c)
    u_row, u_item = ukeys // width, ukeys % width
    order = np.lexsort((u_item, -total, u_row))
    u_row, u_item, total = u_row[order], u_item[order], total[order]
    starts = np.searchsorted(u_row, np.arange(n_rows))
    rank = np.arange(len(u_row)) - starts[u_row]
    keep = rank < n
    out_items = np.full((n_rows, n), -1, np.int64)
    out_scores = np.full((n_rows, n), np.nan, np.float64)
    out_items[u_row[keep], rank[keep]] = u_item[keep]
    out_scores[u_row[keep], rank[keep]] = total[keep]
    source_scores = {}
    for name, top in lists.items():
        s = np.full((n_rows, n), np.nan, np.float64)
        src_keys = np.arange(n_rows)[:, None].astype(np.int64) * width + top.items
        src_keys = np.where(top.items >= 0, src_keys, -1)
        flat_keys, flat_scores = src_keys.ravel(), top.scores.ravel()
        sorter = np.argsort(flat_keys)
        out_keys = np.arange(n_rows)[:, None].astype(np.int64) * width + out_items
        pos = np.searchsorted(flat_keys, out_keys, sorter=sorter)
        pos = np.minimum(pos, len(flat_keys) - 1)
        match = (flat_keys[sorter[pos]] == out_keys) & (out_items >= 0)
        s[match] = flat_scores[sorter[pos]][match]
        source_scores[name] = s
    return Candidates(out_items, out_scores, source_scores)
