"""Top-K selection shared by every stage: `TopK` results and selection from dense scores."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from hybrid_rec.errors import ConfigError


@dataclass(frozen=True)
class TopK:
    """Ranked items per row (internal ids, -1 = padding) and their scores (NaN for padding)."""

    items: np.ndarray
    scores: np.ndarray

    def __post_init__(self) -> None:
        if self.items.shape != self.scores.shape or self.items.ndim != 2:
            raise ValueError(f"TopK: items {self.items.shape} and scores {self.scores.shape} must be equal 2-d shapes")

    @staticmethod
    def concat(parts: Sequence[TopK]) -> TopK:
        return TopK(np.concatenate([p.items for p in parts]), np.concatenate([p.scores for p in parts]))


def topk_from_scores(scores: np.ndarray, k: int, exclude: sp.csr_matrix | None = None) -> TopK:
    """Top `k` items per row of a dense score matrix, best first.

    NaN scores ("cannot score") and nonzero entries of `exclude` (rows aligned with `scores`) are never
    returned; rows with fewer than `k` eligible items are padded with -1. Ties are broken by the
    lower item index, so results are deterministic.
    """
    if k <= 0:
        raise ConfigError(f"k must be positive, got {k}")
    s = np.array(scores, dtype=np.float64, copy=True)
    n, n_items = s.shape
    s[np.isnan(s)] = -np.inf
    if exclude is not None:
        if exclude.shape != s.shape:
            raise ValueError(f"exclude has shape {exclude.shape}, scores {s.shape}")
        coo = exclude.tocoo()
        stored = coo.data != 0  # explicit zeros do not exclude
        s[coo.row[stored], coo.col[stored]] = -np.inf
    k_eff = min(k, n_items)
    if k_eff < n_items:
        part = np.argpartition(-s, k_eff - 1, axis=1)[:, :k_eff]
        # argpartition splits ties at the boundary arbitrarily: widen to every item tied with the k-th.
        kth = s[np.arange(n)[:, None], part].min(axis=1)
        cand = [np.flatnonzero(row >= kth_v) for row, kth_v in zip(s, kth, strict=True)]
    else:
        cand = [np.arange(n_items)] * n
    items = np.full((n, k), -1, dtype=np.int64)
    out = np.full((n, k), np.nan)
    for r, c in enumerate(cand):
        order = np.lexsort((c, -s[r, c]))[:k_eff]
        chosen = c[order]
        vals = s[r, chosen]
        ok = np.isfinite(vals)
        items[r, : ok.sum()] = chosen[ok]
        out[r, : ok.sum()] = vals[ok]
    return TopK(items, out)
