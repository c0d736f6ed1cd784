"""The rerank task of `compare`: every method reorders the same outside candidate lists.

Per test user an outside retriever (`hybrid_rec.candidates.outside`, fitted on train + validation)
proposes `n` unseen items. Scored on those lists, each top-k at the headline cut-off: the input
order as given (the identity baseline: what the outside system shows without a reranker), a seeded
random order within the list (what any reordering gets), and each method's reordering. A user
whose held-out item is not in the list counts as a miss for every row (LlamaRec's protocol), so the
list's recall is the ceiling of every reranker; reranked vs input is a paired bootstrap over users.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
import scipy.sparse as sp
from pydantic import Field

from hybrid_rec.candidates.outside import PopularityRetrieverConfig, RetrieverConfig, make_retriever
from hybrid_rec.config import StrictModel
from hybrid_rec.data.interactions import Interactions
from hybrid_rec.data.splits import Split
from hybrid_rec.evaluate.metrics import bootstrap_mean, paired_bootstrap, ranking_metrics
from hybrid_rec.topk import TopK

__all__ = [
    "OutsideLists",
    "RerankMethod",
    "RerankTaskConfig",
    "outside_lists",
    "rerank_entry",
    "rerank_variants",
    "rerank_with",
]


class RerankTaskConfig(StrictModel):
    """``[rerank]``: which outside system proposes the candidates, how many, and who reranks them."""

    retriever: RetrieverConfig = Field(
        default_factory=PopularityRetrieverConfig,
        description="The outside system: kind = 'popularity' | 'bpr' | 'item_item' | 'first_stage' | 'file' (and "
        "its options).",
    )
    n: int = Field(100, gt=0, description="Candidates per test user.")
    methods: list[str] | None = Field(
        None, description="Methods that rerank the lists (names of [methods] tables); unset: every method."
    )
    fit_fusion: bool = Field(
        True,
        description="Hybrid methods also fit a fusion on validation users' lists of this retriever (their "
        "`outside`, unless their table sets one) and rerank with it; the task then also reports their "
        "reranking with the first stage's fusion.",
    )


@runtime_checkable
class RerankMethod(Protocol):
    """A method with its own reranking of given candidates (the hybrid's one scoring path); other
    methods rerank by ranking only the candidates (`rerank_with`)."""

    def rerank(self, users: np.ndarray, items: np.ndarray, k: int) -> TopK: ...


@dataclass(frozen=True)
class OutsideLists:
    """The test users' outside lists (internal ids, -1 padded) and the retriever that made them."""

    users: np.ndarray
    items: np.ndarray
    retriever: str

    def recall(self, targets: sp.csr_matrix) -> np.ndarray:
        """Per user: 1 when the held-out item is in the list (the ceiling of any reranker)."""
        return np.array([float(np.isin(targets[r].indices, self.items[r]).any()) for r in range(len(self.users))])


def outside_lists(config: RerankTaskConfig, split: Split) -> OutsideLists:
    """Fit the retriever on train + validation and propose `n` unseen items per test user."""
    fit = split.train_valid
    users = np.unique(split.test.user)
    retriever = make_retriever(config.retriever).fit(fit)
    top = retriever.retrieve(users, config.n, fit.to_csr("binary")[users])
    return OutsideLists(users, top.items, config.retriever.kind)


def rerank_with(method: object, fit_data: Interactions, users: np.ndarray, items: np.ndarray, k: int) -> TopK:
    """`method`'s top-k of each row of candidate `items`: its own `rerank`, else its full ranking with
    every other item excluded; a method that ranks fewer than k of them is filled in input order."""
    if isinstance(method, RerankMethod):
        return method.rerank(users, items, k)
    n_items = fit_data.n_items
    rows = np.repeat(np.arange(len(users)), items.shape[1])
    valid = items.ravel() >= 0
    allowed = sp.csr_matrix((np.ones(int(valid.sum())), (rows[valid], items.ravel()[valid])), (len(users), n_items))
    exclude = sp.csr_matrix(np.asarray(allowed.todense()) == 0, dtype=np.float32)
    top = method.recommend(users, k, exclude)  # type: ignore[attr-defined]
    return _filled(top, items, k)


def rerank_variants(method: object, fit_data: Interactions, users: np.ndarray, items: np.ndarray, k: int) -> dict[str, np.ndarray]:
    """The method's reranking (``""``) and, for a hybrid fitted for outside lists, its reranking with the
    first stage's fusion too (``", first-stage fusion"``): name suffix -> [users, k] items."""
    out = {"": rerank_with(method, fit_data, users, items, k).items}
    first = getattr(method, "rerank_first_stage", None)
    if first is not None and getattr(method, "fits_outside", False):
        out[", first-stage fusion"] = first(users, items, k).items
    return out


def _filled(top: TopK, items: np.ndarray, k: int) -> TopK:
    """`top` (only candidates) with each row's empty places filled by its other candidates in input order."""
    out = np.full((len(items), k), -1, np.int64)
    scores = np.full((len(items), k), np.nan)
    for r in range(len(items)):
        chosen = [int(i) for i in top.items[r] if i >= 0 and i in items[r]][:k]
        rest = [int(i) for i in items[r] if i >= 0 and i not in chosen]
        row = (chosen + rest)[:k]
        out[r, : len(row)] = row
        scores[r, : len(row)] = -np.arange(len(row), dtype=np.float64)
    return TopK(out, scores)


def random_order(items: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Each row's candidates in a seeded random order, the top k (the 'any reordering' baseline)."""
    rng = np.random.default_rng(seed)
    out = np.full((len(items), k), -1, np.int64)
    for r, row in enumerate(items):
        row = row[row >= 0]
        picked = rng.permutation(row)[:k]
        out[r, : len(picked)] = picked
    return out


def rerank_entry(
    lists: OutsideLists,
    targets: sp.csr_matrix,
    reranked: dict[str, np.ndarray],
    k: int,
    bootstrap: int,
    seed: int,
) -> dict[str, Any]:
    """The task's report: the recall ceiling, NDCG@k (95% CI) of the input order, of a random order and
    of each method's reranking (`reranked`: name -> [users, >= k] items), each method vs the input."""
    metric = f"ndcg@{k}"

    def scored(items: np.ndarray) -> np.ndarray:
        return ranking_metrics(items[:, :k], targets, [k])[metric]

    def summary(values: np.ndarray) -> dict[str, Any]:
        ci = bootstrap_mean(values, bootstrap, seed)
        return {metric: float(np.nanmean(values)), "ci95": [ci.low, ci.high]}

    recall = lists.recall(targets)
    ci = bootstrap_mean(recall, bootstrap, seed)
    base = scored(lists.items)
    out: dict[str, Any] = {
        "retriever": lists.retriever,
        "candidates": int(lists.items.shape[1]),
        "users": len(lists.users),
        "recall_ceiling": float(recall.mean()),
        "recall_ceiling_ci95": [ci.low, ci.high],
        "input": summary(base),
        "random": summary(scored(random_order(lists.items, k, seed))),
        "methods": {},
    }
    for name, items in reranked.items():
        values = scored(items)
        diff = paired_bootstrap(values, base, bootstrap, seed)
        out["methods"][name] = summary(values) | {"vs_input": {"delta": diff.estimate, "ci95": [diff.low, diff.high]}}
    return out
