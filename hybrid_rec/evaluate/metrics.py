"""Evaluation metrics beyond the ranking kernels: coverage@K (distinct items in all top-K lists /
catalog size), popularity buckets, intra-list diversity and candidate recall. The kernels
(`ranking_metrics`, `hit_matrix`, the bootstrap) live in `hybrid_rec.metrics`, beside
`hybrid_rec.topk`, and are re-exported here."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from hybrid_rec.metrics import BootstrapResult, bootstrap_mean, hit_matrix, paired_bootstrap, ranking_metrics
from hybrid_rec.topk import TopK, topk_from_scores

__all__ = [
    "BootstrapResult",
    "TopK",
    "bootstrap_mean",
    "candidate_recall",
    "coverage",
    "hit_matrix",
    "paired_bootstrap",
    "ranking_metrics",
    "topk_from_scores",
]


def coverage(topk: np.ndarray, n_items: int, k: int | None = None) -> float:
    """Share of the catalog that appears in at least one top-k list."""
    lists = topk if k is None else topk[:, :k]
    return float(len(np.unique(lists[lists >= 0])) / n_items) if n_items else 0.0


def popularity_buckets(item_counts: np.ndarray) -> np.ndarray:
    """Bucket per item: 0 head, 1 torso, 2 tail. Items sorted by count, most popular first; head
    items hold the first third of all interactions, torso the second, tail the rest (and every item
    never interacted with)."""
    order = np.argsort(-item_counts, kind="stable")
    share = np.cumsum(item_counts[order]) / max(item_counts.sum(), 1)
    buckets = np.empty(len(item_counts), np.int64)
    buckets[order] = np.where(share <= 1 / 3, 0, np.where(share <= 2 / 3, 1, 2))
    buckets[order[0]] = 0
    buckets[item_counts == 0] = 2
    return buckets


def intra_list_diversity(topk: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Per row: mean pairwise cosine distance (1 - cos) between the listed items' vectors."""
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    out = np.full(topk.shape[0], np.nan)
    for r, row in enumerate(topk):
        items = row[row >= 0]
        if len(items) < 2:
            continue
        sims = unit[items] @ unit[items].T
        n = len(items)
        out[r] = 1.0 - (sims.sum() - np.trace(sims)) / (n * (n - 1))
    return out


def candidate_recall(candidates: np.ndarray, targets: sp.csr_matrix, sizes: Sequence[int]) -> dict[str, float]:
    """Mean recall of the first N candidates for each N in `sizes`: the ceiling a reranker can reach."""
    hits = hit_matrix(candidates, targets)
    n_targets = np.diff(targets.tocsr().indptr).astype(np.float64)
    valid = n_targets > 0
    return {f"recall@{n}": float((hits[valid, :n].sum(axis=1) / n_targets[valid]).mean()) for n in sizes}
