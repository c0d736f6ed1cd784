"""Methods the `compare` harness can evaluate, behind one small protocol, and their registry."""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
import scipy.sparse as sp
from pydantic import Field

from hybrid_rec.candidates.als import ALSConfig, ALSModel
from hybrid_rec.candidates.generator import CandidateGenerator, CandidatesConfig
from hybrid_rec.candidates.index import ItemIndex
from hybrid_rec.candidates.sources import ALSRetrieval, ItemKNNConfig
from hybrid_rec.config import StrictModel
from hybrid_rec.data.catalog import ItemCatalog
from hybrid_rec.data.interactions import Interactions
from hybrid_rec.errors import ConfigError, NotFittedError
from hybrid_rec.rerank.fusion import FusionConfig, LinearFusion, mmr, rank
from hybrid_rec.rerank.reranker import GPT2Reranker, RerankerConfig
from hybrid_rec.topk import TopK, topk_from_scores


@dataclass(frozen=True)
class FitContext:
    """What a method may use besides its training rows: validation rows (for early stopping and
    fusion weights only) and the item catalog (for text)."""

    valid: Interactions | None = None
    catalog: ItemCatalog | None = None
    progress: bool = False


class Method(Protocol):
    """A recommender under evaluation, working in the dataset's internal ids.

    A method may also define ``refit(train_valid, context)`` returning the method to test: then
    the harness calls it on the tuned instance instead of fitting a fresh one (the LM methods keep
    their trained weights and only take the longer histories).
    """

    def fit(self, train: Interactions, context: FitContext | None = None) -> Method: ...

    def recommend(self, users: np.ndarray, k: int, exclude: sp.csr_matrix) -> TopK:
        """Top-k items for `users`; `exclude` (rows aligned with `users`) must not be returned."""
        ...


class ScoringMethod(ABC):
    """A method that scores every item densely; the top-K comes from `topk_from_scores`."""

    @abstractmethod
    def fit(self, train: Interactions, context: FitContext | None = None) -> ScoringMethod: ...

    @abstractmethod
    def score(self, users: np.ndarray) -> np.ndarray:
        """Dense scores [len(users), n_items]; NaN marks an item the method cannot score."""

    def recommend(self, users: np.ndarray, k: int, exclude: sp.csr_matrix) -> TopK:
        return topk_from_scores(self.score(users), k, exclude)


class PopularityConfig(StrictModel):
    """Rank items by how many interactions (or distinct users) they have in the training data."""

    count: Literal["interactions", "users"] = "interactions"


class Popularity(ScoringMethod):
    def __init__(self, config: PopularityConfig) -> None:
        self.config = config
        self._counts: np.ndarray | None = None

    def fit(self, train: Interactions, context: FitContext | None = None) -> Popularity:
        if self.config.count == "users":
            self._counts = np.asarray(train.to_csr("binary").sum(axis=0)).ravel()
        else:
            self._counts = train.item_counts().astype(np.float64)
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        if self._counts is None:
            raise NotFittedError("Popularity is not fitted")
        return np.broadcast_to(self._counts, (len(users), len(self._counts)))


class ALSMethod:
    """ALS served through an exact inner-product FAISS index (as the candidate stage serves it).

    Items without training interactions are not in the index, so they are never recommended.
    """

    def __init__(self, config: ALSConfig) -> None:
        self.model = ALSModel(config)
        self._retrieval: ALSRetrieval | None = None

    def fit(self, train: Interactions, context: FitContext | None = None) -> ALSMethod:
        self.model.fit(train)
        factors = self.model.item_factors
        supported = np.flatnonzero(self.model.item_support() > 0)
        index = ItemIndex(factors.shape[1], kind="flat", metric="ip")
        index.add(supported, factors[supported])
        self._retrieval = ALSRetrieval(self.model, index)
        return self

    def recommend(self, users: np.ndarray, k: int, exclude: sp.csr_matrix) -> TopK:
        if self._retrieval is None:
            raise NotFittedError("ALSMethod is not fitted")
        return self._retrieval.generate(users, k, exclude)


class FaissKNNConfig(ALSConfig):
    """Item-to-item alone: ALS item vectors, cosine neighbours of the recent history (see ItemKNNConfig)."""

    history: int = Field(20, gt=0)
    neighbors: int = Field(50, gt=0)
    decay: float = Field(0.8, gt=0, le=1)


class FaissKNNMethod:
    """The item-to-item candidate source on its own (cold users get popularity)."""

    def __init__(self, config: FaissKNNConfig) -> None:
        knn = ItemKNNConfig(history=config.history, neighbors=config.neighbors, decay=config.decay)
        als = ALSConfig.from_dict(config.model_dump(include=set(ALSConfig.model_fields)))
        self.generator = CandidateGenerator(CandidatesConfig(sources=["item_knn"], als=als, item_knn=knn))

    def fit(self, train: Interactions, context: FitContext | None = None) -> FaissKNNMethod:
        self.generator.fit(train)
        return self

    def recommend(self, users: np.ndarray, k: int, exclude: sp.csr_matrix) -> TopK:
        return self.generator.generate(users, k, exclude).topk()


class GPT2Config(StrictModel):
    """The LM alone: full ranking through the item-token distribution. The first stage (`candidates`)
    provides the item-embedding initialisation and the hard negatives for training."""

    reranker: RerankerConfig = Field(default_factory=RerankerConfig)
    candidates: CandidatesConfig = Field(default_factory=CandidatesConfig)
    hard_negatives_from: int = Field(100, ge=0)


class HybridConfig(GPT2Config):
    """First-stage candidates, reranked by the LM, fused with the CF scores (weights fitted on validation)."""

    n_candidates: int = Field(100, gt=0)
    fusion: FusionConfig = Field(default_factory=FusionConfig)


# One trained reranker per (config, training data), shared by `gpt2` and `hybrid` in one run.
_TRAINED: dict[tuple[str, str], GPT2Reranker] = {}


def _fingerprint(train: Interactions) -> str:
    digest = hashlib.sha256()
    for arr in (train.user, train.item, train.timestamp):
        digest.update(np.ascontiguousarray(arr).tobytes())
    return f"{len(train.users)}-{len(train.items)}-{digest.hexdigest()}"


def train_reranker(
    config: GPT2Config, train: Interactions, context: FitContext
) -> tuple[CandidateGenerator, GPT2Reranker]:
    """Fit the first stage on `train`, then instruction-tune the LM (cached within the process)."""
    generator = CandidateGenerator(config.candidates).fit(train)
    key = (config.model_dump_json(exclude={"n_candidates", "fusion"}), _fingerprint(train))
    if key not in _TRAINED:
        negatives = None
        if config.hard_negatives_from and config.reranker.trainer.hard_negative_weight > 0:
            users = np.arange(len(train.users))
            items = generator.generate(users, config.hard_negatives_from).items
            negatives = {int(u): row[row >= 0] for u, row in zip(users, items, strict=True)}
        reranker = GPT2Reranker(config.reranker).fit(
            train,
            context.catalog,
            valid=context.valid,
            item_factors=generator.als.item_factors,
            hard_negatives=negatives,
            progress=context.progress,
        )
        _TRAINED.clear()  # keep one model in memory
        _TRAINED[key] = reranker
    return generator, _TRAINED[key]


class GPT2Method:
    def __init__(self, config: GPT2Config) -> None:
        self.config = config
        self.reranker: GPT2Reranker | None = None
        self.catalog: ItemCatalog | None = None

    def fit(self, train: Interactions, context: FitContext | None = None) -> GPT2Method:
        context = context or FitContext()
        _, self.reranker = train_reranker(self.config, train, context)
        self.catalog = context.catalog
        return self

    def refit(self, train_valid: Interactions, context: FitContext | None = None) -> GPT2Method:
        self._check().set_histories(train_valid)
        return self

    def _check(self) -> GPT2Reranker:
        if self.reranker is None:
            raise NotFittedError(f"{type(self).__name__} is not fitted")
        return self.reranker

    def recommend(self, users: np.ndarray, k: int, exclude: sp.csr_matrix) -> TopK:
        return topk_from_scores(self._check().item_logprobs(users), k, exclude)


class HybridMethod(GPT2Method):
    def __init__(self, config: HybridConfig) -> None:
        super().__init__(config)
        self.config: HybridConfig = config
        self.generator: CandidateGenerator | None = None
        self.fusion = LinearFusion(config.fusion)

    def fit(self, train: Interactions, context: FitContext | None = None) -> HybridMethod:
        context = context or FitContext()
        self.generator, self.reranker = train_reranker(self.config, train, context)
        if context.valid is None or len(context.valid) == 0:
            raise ConfigError("hybrid: fusion weights are fitted on validation rows; the split has none")
        users = np.unique(context.valid.user)
        features, items = self.features(users, train.to_csr()[users])
        self.fusion.fit(features, items, context.valid.to_csr()[users])
        return self

    def refit(self, train_valid: Interactions, context: FitContext | None = None) -> HybridMethod:
        """Test time: the first stage is refitted on train + validation; LM weights and fusion weights stay."""
        self.generator = CandidateGenerator(self.config.candidates).fit(train_valid)
        self._check().set_histories(train_valid)
        return self

    def features(self, users: np.ndarray, exclude: sp.csr_matrix) -> tuple[dict[str, np.ndarray], np.ndarray]:
        if self.generator is None:
            raise NotFittedError("HybridMethod is not fitted")
        cands = self.generator.generate(users, self.config.n_candidates, exclude)
        features = dict(cands.source_scores)
        features["lm"] = self._check().score(users, cands.items)
        return features, cands.items

    def recommend(self, users: np.ndarray, k: int, exclude: sp.csr_matrix) -> TopK:
        features, items = self.features(users, exclude)
        fused = self.fusion.transform(features, items)
        if self.config.fusion.mmr_lambda is not None:
            return mmr(items, fused, self.generator.als.item_factors, k, self.config.fusion.mmr_lambda)  # type: ignore[union-attr]
        return rank(items, fused, k)


@dataclass(frozen=True)
class MethodSpec:
    """A registry entry: the method's config model and a factory from a validated config."""

    config: type[StrictModel]
    factory: Callable[[StrictModel], Method]


#: Explicit registry: method type name -> spec. Later stages add entries here.
METHODS: dict[str, MethodSpec] = {
    "popularity": MethodSpec(PopularityConfig, Popularity),  # type: ignore[arg-type]
    "als": MethodSpec(ALSConfig, ALSMethod),  # type: ignore[arg-type]
    "faiss_knn": MethodSpec(FaissKNNConfig, FaissKNNMethod),  # type: ignore[arg-type]
    "gpt2": MethodSpec(GPT2Config, GPT2Method),  # type: ignore[arg-type]
    "hybrid": MethodSpec(HybridConfig, HybridMethod),  # type: ignore[arg-type]
}
