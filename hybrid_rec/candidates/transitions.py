"""`Transitions`: what people chose right after the user's recent items (a first-order Markov source).

Counts, over every user's time-ordered history, how often item j followed item i within
`window` steps (a pair `g` steps apart counts ``1 / g``); a user's score of item j is
``sum_p decay ** p * P(j | h_p)`` over their most recent items h_0 (newest), h_1, ..., with
``P(j | i) = count(i, j) / (count(i, .) + shrinkage)``. It is the order that co-occurrence
(ALS, item-to-item cosine) forgets: the next part of a series, the refill after a purchase,
the episode after the last one. Counts are kept raw, so new events only add to them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.sparse as sp
from pydantic import Field

from hybrid_rec.candidates.sources import RecentHistory, topk_sparse
from hybrid_rec.config import StrictModel
from hybrid_rec.data.interactions import Interactions
from hybrid_rec.persist import load_arrays, save_arrays
from hybrid_rec.topk import TopK


class TransitionsConfig(StrictModel):
    """The "chosen right after" source: pairs within `window` steps, the user's last `history` items."""

    history: int = Field(10, gt=0, description="How many of the user's most recent items seed the scores.")
    decay: float = Field(
        0.7, gt=0, le=1, description="The item p steps back weighs decay ** p (0 = the most recent); in (0, 1]."
    )
    window: int = Field(
        2, gt=0, description="Items up to this many steps apart in a history count as a transition (weight 1 / gap)."
    )
    shrinkage: float = Field(
        0.0, ge=0, description="Added to each item's outgoing count: an item seen rarely says less about what follows."
    )
    reason_pairs: float = Field(
        2.0,
        gt=0,
        description="An item is explained as 'often chosen right after X' only when it followed X at least this often "
        "(pairs weighted 1 / gap: two adjacent transitions, or four two steps apart) ...",
    )
    reason_lift: float = Field(
        1.0,
        ge=0,
        description="... and more often than its base rate: P(item | X) / P(item) above this (P(item): its share of "
        "every transition's later item). Below either, no such reason is given.",
    )


def transition_pairs(
    user: np.ndarray, item: np.ndarray, ts: np.ndarray, window: int, new: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(from, to, 1 / gap) of every pair of one user's events at most `window` apart in time order
    (ties: later input row later), repeats of an item (i -> i) left out; with a `new` mask, only the
    pairs whose later event is new (the earlier ones were counted when they arrived)."""
    order = np.lexsort((np.arange(len(user)), ts, user))
    u, i = np.asarray(user)[order], np.asarray(item)[order]
    later = np.ones(len(u), bool) if new is None else np.asarray(new, bool)[order]
    rows, cols, vals = [np.empty(0, np.int64)], [np.empty(0, np.int64)], [np.empty(0)]
    for gap in range(1, min(window, max(len(u) - 1, 0)) + 1):
        ok = (u[gap:] == u[:-gap]) & (i[gap:] != i[:-gap]) & later[gap:]
        rows.append(i[:-gap][ok])
        cols.append(i[gap:][ok])
        vals.append(np.full(int(ok.sum()), 1.0 / gap))
    return np.concatenate(rows).astype(np.int64), np.concatenate(cols).astype(np.int64), np.concatenate(vals)


class Transitions:
    """The transition counts and the users' recent histories they are read with (internal ids)."""

    name = "transitions"

    def __init__(self, counts: sp.csr_matrix, history: RecentHistory, config: TransitionsConfig) -> None:
        self.config, self.history = config, history
        self._set(counts)

    @classmethod
    def fit(cls, interactions: Interactions, history: RecentHistory, config: TransitionsConfig) -> Transitions:
        n = interactions.n_items
        rows, cols, vals = transition_pairs(interactions.user, interactions.item, interactions.timestamp, config.window)
        return cls(sp.csr_matrix((vals, (rows, cols)), shape=(n, n)), history, config)

    def _set(self, counts: sp.csr_matrix) -> None:
        counts = sp.csr_matrix(counts, dtype=np.float64)
        counts.sum_duplicates()
        self.counts = counts
        self._into = np.asarray(counts.sum(axis=0)).ravel()  # how often each item followed any (its base rate)
        out = np.asarray(counts.sum(axis=1)).ravel() + self.config.shrinkage
        self._prob = sp.csr_matrix(sp.diags(1.0 / np.maximum(out, 1e-12)) @ counts)

    @property
    def n_items(self) -> int:
        return int(self.counts.shape[0])

    def _recent(self, user: int) -> tuple[np.ndarray, np.ndarray]:
        """The user's recent items the scores read (newest first, ones the counts cover) and their
        decay weights; empty for a user without history (or -1: unknown)."""
        recent = self.history.of(int(user))[: self.config.history] if user >= 0 else np.empty(0, np.int64)
        recent = recent[recent < self.n_items]
        return recent, self.config.decay ** np.arange(len(recent), dtype=np.float64)

    def _profile(self, users: np.ndarray) -> sp.csr_matrix:
        """[len(users), n_items] decay weights of each user's recent items (empty row: no history)."""
        rows, cols, vals = [np.empty(0, np.int64)], [np.empty(0, np.int64)], [np.empty(0)]
        for r, u in enumerate(users):
            recent, weights = self._recent(int(u))
            rows.append(np.full(len(recent), r, np.int64))
            cols.append(recent.astype(np.int64))
            vals.append(weights)
        return sp.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(len(users), self.n_items)
        )

    def generate(self, users: np.ndarray, n: int, exclude: sp.csr_matrix) -> TopK:
        """The `n` items most often chosen right after each user's recent items (only items that
        followed one of them; ties: lower item id)."""
        scores = self._profile(np.asarray(users, np.int64)) @ self._prob
        scores.eliminate_zeros()
        return topk_sparse(scores, n, exclude)

    def score(self, user: int, items: np.ndarray) -> np.ndarray:
        """The user's transition score of each item (0: never followed their recent items); NaN for a
        user without history and for items the counts do not cover (added since)."""
        items = np.asarray(items, np.int64)
        recent, weights = self._recent(user)
        if not len(recent):
            return np.full(len(items), np.nan)
        inside = items < self.n_items
        out = np.full(len(items), np.nan)
        block = self._prob[recent][:, items[inside]]  # [history, items]: elementwise per item
        out[inside] = np.asarray(block.T @ weights).ravel()
        return out

    def follows(self, item: int, history: np.ndarray) -> int | None:
        """The item of `history` (internal ids) that `item` most often came right after, when the evidence supports
        saying so: it followed that item at least `reason_pairs` times (pairs weighted 1 / gap) and more often than
        its base rate (P(item | h) / P(item) above `reason_lift`, P(item) its share of every transition's later
        item); None if none does."""
        history = np.asarray(history, np.int64)
        history = history[(history >= 0) & (history < self.n_items) & (history != item)]
        total = float(self._into.sum())
        if not len(history) or not 0 <= item < self.n_items or total <= 0 or self._into[item] <= 0:
            return None
        pairs = np.asarray(self.counts[history][:, [item]].todense()).ravel()
        p = np.asarray(self._prob[history][:, [item]].todense()).ravel()
        lift = p / (float(self._into[item]) / total)
        p = np.where((pairs >= self.config.reason_pairs) & (lift > self.config.reason_lift), p, 0.0)
        best = int(np.argmax(p))
        return int(history[best]) if p[best] > 0 else None

    def update(self, user: np.ndarray, item: np.ndarray, ts: np.ndarray, n_items: int) -> None:
        """Add the transitions of new events (internal ids), each user's new events following their
        recent items; call before the events join `history`. `n_items` may have grown."""
        user, item, ts = np.asarray(user, np.int64), np.asarray(item, np.int64), np.asarray(ts)
        prior_u, prior_i, prior_t = [], [], []
        users, first = np.unique(user, return_inverse=True)
        earliest = np.full(len(users), ts.max() if len(ts) else 0, ts.dtype)
        np.minimum.at(earliest, first, ts)  # each user's first new event time, in one pass
        for u, t in zip(users, earliest, strict=True):
            recent = self.history.of(int(u))[: self.config.window][::-1]  # oldest first, before the new events
            prior_u.append(np.full(len(recent), u, np.int64))
            prior_i.append(recent.astype(np.int64))
            prior_t.append(np.full(len(recent), t, ts.dtype))
        n_prior = sum(len(p) for p in prior_i)
        new = np.concatenate([np.zeros(n_prior, bool), np.ones(len(user), bool)])
        rows, cols, vals = transition_pairs(
            np.concatenate([*prior_u, user]),
            np.concatenate([*prior_i, item]),
            np.concatenate([*prior_t, ts]),
            self.config.window,
            new,
        )  # prior events first at the earliest new time: a tie puts them before the new ones
        old = self.counts.tocoo()
        n = max(n_items, self.n_items)
        self._set(sp.csr_matrix(
            (np.concatenate([old.data, vals]), (np.concatenate([old.row, rows]), np.concatenate([old.col, cols]))),
            shape=(n, n),
        ))  # fmt: skip

    def grow(self, n_items: int) -> None:
        """Cover `n_items` items (new ones have no transitions yet)."""
        if n_items > self.n_items:
            counts = self.counts.tocoo()
            self._set(sp.csr_matrix((counts.data, (counts.row, counts.col)), shape=(n_items, n_items)))

    def save(self, path: str | Path) -> None:
        c = self.counts
        save_arrays(path, data=c.data, indices=c.indices, indptr=c.indptr, shape=np.asarray(c.shape, np.int64))

    @classmethod
    def load(cls, path: str | Path, history: RecentHistory, config: TransitionsConfig) -> Transitions:
        a = load_arrays(path)
        return cls(sp.csr_matrix((a["data"], a["indices"], a["indptr"]), shape=tuple(a["shape"])), history, config)
