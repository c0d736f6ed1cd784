"""Ranking metric kernels shared by every stage (fusion, reranker validation, the feedback guard
and the evaluation harness), and the paired bootstrap used to compare them.

Conventions (binary relevance, one row per evaluated user):
- HR@K: 1 if any held-out item is in the top K.
- NDCG@K: DCG with gain 1 and discount 1/log2(rank + 1), divided by the ideal DCG of
  min(|held-out|, K) hits.
- Recall@K: hits in the top K / |held-out|.
- MRR@K: 1 / rank of the first hit in the top K, 0 without a hit.
A top-K list may be padded with -1 (fewer than K scorable items); padding never hits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from hybrid_rec.errors import ConfigError

__all__ = ["BootstrapResult", "bootstrap_mean", "hit_matrix", "paired_bootstrap", "ranking_metrics"]


def hit_matrix(topk: np.ndarray, targets: sp.csr_matrix) -> np.ndarray:
    """Boolean [n, K]: whether each ranked item is a held-out item of that row."""
    n, _ = topk.shape
    if targets.shape[0] != n:
        raise ValueError(f"targets has {targets.shape[0]} rows, top-K lists {n}")
    n_items = np.int64(targets.shape[1])
    t = targets.tocsr()
    t_rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(t.indptr))
    target_keys = t_rows * n_items + t.indices.astype(np.int64)
    keys = np.arange(n, dtype=np.int64)[:, None] * n_items + topk.astype(np.int64)
    return np.isin(keys, target_keys) & (topk >= 0)


def ranking_metrics(topk: np.ndarray, targets: sp.csr_matrix, cutoffs: Sequence[int]) -> dict[str, np.ndarray]:
    """Per-row NDCG/HR/Recall/MRR at each cutoff (rows with no held-out item give NaN)."""
    if not cutoffs:
        raise ConfigError("cutoffs must not be empty")
    if max(cutoffs) > topk.shape[1]:
        raise ConfigError(f"cutoff {max(cutoffs)} exceeds the top-K length {topk.shape[1]}")
    hits = hit_matrix(topk, targets)
    n_targets = np.diff(targets.tocsr().indptr)
    empty = n_targets == 0
    safe_targets = np.maximum(n_targets, 1)
    discount = 1.0 / np.log2(np.arange(2, topk.shape[1] + 2))
    ideal = np.cumsum(discount)
    out: dict[str, np.ndarray] = {}
    for k in cutoffs:
        h = hits[:, :k]
        any_hit = h.any(axis=1)
        metrics = {
            f"ndcg@{k}": (h * discount[:k]).sum(axis=1) / ideal[np.minimum(safe_targets, k) - 1],
            f"hr@{k}": any_hit.astype(np.float64),
            f"recall@{k}": h.sum(axis=1) / safe_targets,
            f"mrr@{k}": np.where(any_hit, 1.0 / (np.argmax(h, axis=1) + 1), 0.0),
        }
        for name, values in metrics.items():
            values[empty] = np.nan
            out[name] = values
    return out


@dataclass(frozen=True)
class BootstrapResult:
    estimate: float
    low: float
    high: float


def bootstrap_mean(values: np.ndarray, n_boot: int = 1000, seed: int = 0, level: float = 0.95) -> BootstrapResult:
    """Percentile bootstrap CI of the mean of per-user values."""
    return _bootstrap(np.asarray(values, dtype=np.float64), n_boot, seed, level)


def paired_bootstrap(
    a: np.ndarray, b: np.ndarray, n_boot: int = 1000, seed: int = 0, level: float = 0.95
) -> BootstrapResult:
    """Percentile bootstrap CI of mean(a - b), resampling users (pairs stay together)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"paired_bootstrap: a has shape {a.shape}, b {b.shape}; both must score the same users")
    return _bootstrap(a - b, n_boot, seed, level)


def _bootstrap(d: np.ndarray, n_boot: int, seed: int, level: float) -> BootstrapResult:
    if d.size == 0:
        raise ValueError("bootstrap of no values")
    if n_boot < 1:
        raise ConfigError(f"n_boot must be >= 1, got {n_boot}")
    rng = np.random.default_rng(seed)
    means = np.empty(n_boot)
    chunk = max(1, 2_000_000 // d.size)
    for start in range(0, n_boot, chunk):
        stop = min(n_boot, start + chunk)
        means[start:stop] = d[rng.integers(0, d.size, size=(stop - start, d.size))].mean(axis=1)
    tail = (1.0 - level) / 2.0 * 100.0
    lo, hi = np.percentile(means, [tail, 100.0 - tail])
    return BootstrapResult(float(d.mean()), float(lo), float(hi))
