"""Outside retrievers: candidate lists from a system other than our first stage, for the rerank task.

Embedding hybrid_rec in an existing recommender means reranking what *another* system proposed.
These stand in for that system, independently of everything the hybrid fits: `popularity`,
implicit's `bpr` (Bayesian personalised ranking) and `item_item` (implicit's cosine / BM25 / TF-IDF
item-item neighbours), `first_stage` (our own blended first stage: a consistency check) and `file`
(the caller's own lists: ``user_id,item_id[,score]``). One config
per kind (a discriminated union on ``kind``); each fits on interactions and returns, per user, up
to `n` unseen items (internal ids), best first.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated, Literal, Protocol

import numpy as np
import pandas as pd
import scipy.sparse as sp
from pydantic import Field

from hybrid_rec._threads import blas_threads
from hybrid_rec.candidates.generator import CandidateGenerator, CandidatesConfig
from hybrid_rec.candidates.sources import PopularitySource
from hybrid_rec.config import StrictModel
from hybrid_rec.data.interactions import Interactions
from hybrid_rec.errors import ConfigError, DataError, NotFittedError
from hybrid_rec.topk import TopK


class Retriever(Protocol):
    """Fits on interactions; proposes up to `n` items per (internal) user, never one of `exclude`."""

    def fit(self, train: Interactions) -> Retriever: ...

    def retrieve(self, users: np.ndarray, n: int, exclude: sp.csr_matrix) -> TopK: ...


class PopularityRetrieverConfig(StrictModel):
    """The most interacted-with items the user has not seen (the same list for everyone)."""

    kind: Literal["popularity"] = Field("popularity", description="Which retriever (the discriminator of the union).")


class BPRRetrieverConfig(StrictModel):
    """implicit's Bayesian personalised ranking (matrix factorisation trained on pairwise ranking)."""

    kind: Literal["bpr"] = Field("bpr", description="Which retriever (the discriminator of the union).")
    factors: int = Field(64, gt=0, description="Latent factors.")
    iterations: int = Field(100, gt=0, description="SGD epochs.")
    learning_rate: float = Field(0.01, gt=0, description="SGD step size.")
    regularization: float = Field(0.01, ge=0, description="L2 penalty on the factors.")
    seed: int = Field(0, description="Seed of the factor initialisation and of the sampled negatives.")


class LMFRetrieverConfig(StrictModel):
    """implicit's logistic matrix factorisation (Johnson 2014: the probability of an interaction as a
    logistic function of user and item factors)."""

    kind: Literal["lmf"] = Field("lmf", description="Which retriever (the discriminator of the union).")
    factors: int = Field(30, gt=0, description="Latent factors.")
    iterations: int = Field(30, gt=0, description="Training epochs.")
    learning_rate: float = Field(1.0, gt=0, description="Adagrad step size.")
    regularization: float = Field(0.6, ge=0, description="L2 penalty on the factors.")
    neg_prop: int = Field(30, gt=0, description="Negative samples per positive.")
    seed: int = Field(0, description="Seed of the factor initialisation and of the sampled negatives.")


class ItemItemRetrieverConfig(StrictModel):
    """implicit's item-item nearest neighbours of the user's items (cosine, BM25 or TF-IDF weighting)."""

    kind: Literal["item_item"] = Field("item_item", description="Which retriever (the discriminator of the union).")
    similarity: Literal["cosine", "bm25", "tfidf"] = Field("cosine", description="How co-occurrence is weighted.")
    neighbors: int = Field(100, gt=0, description="Neighbours kept per item (implicit's K).")


class FirstStageRetrieverConfig(StrictModel):
    """Our own first stage as the outside system (a consistency check: with the hybrid's candidates
    config, reranking its lists must score as `recommend` does)."""

    kind: Literal["first_stage"] = Field("first_stage", description="Which retriever (the discriminator of the union).")
    candidates: CandidatesConfig = Field(
        default_factory=CandidatesConfig, description="The first stage to fit (give the hybrid's own to compare)."
    )


class FileRetrieverConfig(StrictModel):
    """The caller's own lists: a CSV / TSV / Parquet file of ``user_id,item_id[,score]`` rows (rows of
    one user in rank order unless a score column orders them, best first). Ids the data does not know
    are dropped and counted."""

    kind: Literal["file"] = Field("file", description="Which retriever (the discriminator of the union).")
    path: str = Field(description="The candidate file (test users' lists).")
    valid_path: str | None = Field(
        None,
        description="Optional: the same system's lists for the validation users, to fit the hybrid's fusion "
        "for outside lists on; without it the fusion fitted on the first stage's own candidates is used.",
    )


AnyRetrieverConfig = (
    PopularityRetrieverConfig | BPRRetrieverConfig | LMFRetrieverConfig | ItemItemRetrieverConfig
    | FirstStageRetrieverConfig | FileRetrieverConfig
)
RetrieverConfig = Annotated[AnyRetrieverConfig, Field(discriminator="kind")]


def _top(scores: np.ndarray, ids: np.ndarray, n: int) -> TopK:
    """implicit's (ids, scores) per row as a -1 / NaN padded TopK of width `n`."""
    items = np.full((len(ids), n), -1, np.int64)
    out = np.full((len(ids), n), np.nan, np.float32)
    width = min(n, ids.shape[1]) if ids.ndim == 2 else 0
    if width:
        ok = (ids[:, :width] >= 0) & np.isfinite(scores[:, :width])
        items[:, :width] = np.where(ok, ids[:, :width], -1)
        out[:, :width] = np.where(ok, scores[:, :width], np.nan)
    return TopK(items, out)


class PopularityRetriever:
    """The most popular unseen items: the first stage's popularity source, fitted on its own."""

    def __init__(self, config: PopularityRetrieverConfig | None = None) -> None:
        self.config = config or PopularityRetrieverConfig()
        self.source: PopularitySource | None = None

    def fit(self, train: Interactions) -> PopularityRetriever:
        self.source = PopularitySource(train.item_counts())
        return self

    def retrieve(self, users: np.ndarray, n: int, exclude: sp.csr_matrix) -> TopK:
        if self.source is None:
            raise NotFittedError("PopularityRetriever: call fit(train) first")
        return self.source.generate(np.asarray(users), n, sp.csr_matrix(exclude))


class ImplicitRetriever:
    """BPR, LMF or item-item through `implicit`: fitted on the user x item matrix, `recommend` for a batch."""

    def __init__(self, config: BPRRetrieverConfig | LMFRetrieverConfig | ItemItemRetrieverConfig) -> None:
        self.config = config
        self.model: object | None = None
        self.user_items: sp.csr_matrix | None = None

    def _make(self) -> object:
        cfg = self.config
        if isinstance(cfg, BPRRetrieverConfig):
            from implicit.cpu.bpr import BayesianPersonalizedRanking

            return BayesianPersonalizedRanking(factors=cfg.factors, learning_rate=cfg.learning_rate,
                                               regularization=cfg.regularization, iterations=cfg.iterations,
                                               random_state=cfg.seed)  # fmt: skip
        if isinstance(cfg, LMFRetrieverConfig):
            from implicit.cpu.lmf import LogisticMatrixFactorization

            return LogisticMatrixFactorization(factors=cfg.factors, learning_rate=cfg.learning_rate,
                                               regularization=cfg.regularization, iterations=cfg.iterations,
                                               neg_prop=cfg.neg_prop, random_state=cfg.seed)  # fmt: skip
        from implicit.nearest_neighbours import BM25Recommender, CosineRecommender, TFIDFRecommender

        kind = {"cosine": CosineRecommender, "bm25": BM25Recommender, "tfidf": TFIDFRecommender}[cfg.similarity]
        return kind(K=cfg.neighbors)

    def fit(self, train: Interactions) -> ImplicitRetriever:
        self.user_items = train.to_csr("binary").astype(np.float32)
        model = self._make()
        with blas_threads(1), warnings.catch_warnings():
            # implicit's BM25 / TF-IDF weighting hands its own kernel a COO matrix and warns about it
            warnings.filterwarnings("ignore", message="Method expects CSR input")
            model.fit(self.user_items, show_progress=False)  # type: ignore[attr-defined]
        self.model = model
        return self

    def retrieve(self, users: np.ndarray, n: int, exclude: sp.csr_matrix) -> TopK:
        if self.model is None or self.user_items is None:
            raise NotFittedError(f"{type(self).__name__}: call fit(train) first")
        users = np.asarray(users, np.int64)
        if not len(users):
            return TopK(np.empty((0, n), np.int64), np.empty((0, n), np.float32))
        n_items = self.user_items.shape[1]
        exclude = sp.csr_matrix(exclude)[:, :n_items]
        history = self.user_items[users]
        # implicit filters the user's own items; the rest of `exclude` is over-fetched and dropped here
        extra = int(np.diff(exclude.indptr).max(initial=0))
        fetch = min(n + extra, n_items)
        ids, scores = self.model.recommend(users, history, N=fetch, filter_already_liked_items=True)  # type: ignore[attr-defined]
        ids, scores = np.atleast_2d(ids), np.atleast_2d(scores)
        for r in range(len(users)):
            banned = exclude.indices[exclude.indptr[r] : exclude.indptr[r + 1]]
            drop = np.isin(ids[r], banned)
            if drop.any():
                keep = np.concatenate([ids[r][~drop], np.full(int(drop.sum()), -1)])
                kept = np.concatenate([scores[r][~drop], np.full(int(drop.sum()), -np.inf)])
                ids[r], scores[r] = keep, kept
        return _top(scores, ids, n)


class FirstStageRetriever:
    """Our blended first stage (`CandidateGenerator`), fitted on its own."""

    def __init__(self, config: FirstStageRetrieverConfig) -> None:
        self.config = config
        self.generator: CandidateGenerator | None = None

    def fit(self, train: Interactions) -> FirstStageRetriever:
        self.generator = CandidateGenerator(self.config.candidates).fit(train)
        return self

    def retrieve(self, users: np.ndarray, n: int, exclude: sp.csr_matrix) -> TopK:
        if self.generator is None:
            raise NotFittedError("FirstStageRetriever: call fit(train) first")
        return self.generator.generate(np.asarray(users, np.int64), n, sp.csr_matrix(exclude)).topk()


class FileRetriever:
    """Lists read from a file, mapped once to the data's internal ids; `retrieve` returns them as given."""

    def __init__(self, config: FileRetrieverConfig) -> None:
        self.config = config
        self.lists: dict[int, np.ndarray] = {}
        self.dropped = 0

    def fit(self, train: Interactions) -> FileRetriever:
        self.lists, self.dropped = read_lists(self.config.path, train)
        return self

    def retrieve(self, users: np.ndarray, n: int, exclude: sp.csr_matrix) -> TopK:
        items = np.full((len(users), n), -1, np.int64)
        for r, u in enumerate(users):
            row = self.lists.get(int(u), np.empty(0, np.int64))
            row = row[~np.isin(row, exclude.indices[exclude.indptr[r] : exclude.indptr[r + 1]])][:n]
            items[r, : len(row)] = row
        scores = np.where(items >= 0, -np.arange(n, dtype=np.float32)[None, :], np.nan).astype(np.float32)
        return TopK(items, scores)


def read_lists(path: str | Path, data: Interactions) -> tuple[dict[int, np.ndarray], int]:
    """(internal user -> internal items in rank order, rows dropped for ids `data` does not know)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"rerank.retriever.path: no file {str(path)!r}; give a CSV/Parquet of user_id,item_id[,score]")
    frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, sep=None, engine="python")
    missing = {"user_id", "item_id"} - set(frame.columns)
    if missing:
        raise DataError(f"{path}: columns {sorted(missing)} missing; expected user_id,item_id[,score]")
    users = data.users.to_internal(frame["user_id"].to_numpy(), on_unknown="fallback")
    items = data.items.to_internal(frame["item_id"].to_numpy(), on_unknown="fallback")
    frame = frame.assign(_u=users, _i=items, _row=np.arange(len(frame)))
    known = frame[(frame["_u"] >= 0) & (frame["_i"] >= 0)]
    if "score" in known.columns:
        known = known.sort_values(["_u", "score", "_row"], ascending=[True, False, True], kind="stable")
    else:
        known = known.sort_values(["_u", "_row"], kind="stable")
    known = known.drop_duplicates(["_u", "_i"])
    lists = {int(u): g["_i"].to_numpy(np.int64) for u, g in known.groupby("_u", sort=False)}
    return lists, int(len(frame) - len(known))


def make_retriever(config: AnyRetrieverConfig) -> Retriever:
    """The retriever of one config (the registry of outside retrievers)."""
    if isinstance(config, PopularityRetrieverConfig):
        return PopularityRetriever(config)
    if isinstance(config, BPRRetrieverConfig | LMFRetrieverConfig | ItemItemRetrieverConfig):
        return ImplicitRetriever(config)
    if isinstance(config, FirstStageRetrieverConfig):
        return FirstStageRetriever(config)
    return FileRetriever(config)
