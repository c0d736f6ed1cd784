"""Methods the `compare` harness can evaluate, behind one small protocol, and their registry."""

from __future__ import annotations

import copy
import hashlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Generic, Literal, Protocol, TypeVar, runtime_checkable

import numpy as np
import scipy.sparse as sp
from pydantic import Field

from hybrid_rec.candidates.als import ALSConfig, ALSModel
from hybrid_rec.candidates.generator import CandidateGenerator, CandidatesConfig
from hybrid_rec.candidates.outside import (
    BPRRetrieverConfig,
    ImplicitRetriever,
    ItemItemRetrieverConfig,
    LMFRetrieverConfig,
)
from hybrid_rec.candidates.sources import (
    ALSRetrieval,
    BlendConfig,
    ItemKNNConfig,
    PopularitySource,
    RecentHistory,
    blend,
)
from hybrid_rec.candidates.transitions import Transitions, TransitionsConfig
from hybrid_rec.config import StrictModel
from hybrid_rec.data.catalog import ItemCatalog
from hybrid_rec.data.interactions import Interactions
from hybrid_rec.errors import ConfigError, NotFittedError
from hybrid_rec.evaluate.peers import BERT4RecConfig, EASEConfig, RecToolsALSConfig, RecToolsPeer, SASRecConfig
from hybrid_rec.pipeline import HybridConfig, HybridPipeline, LMStageConfig, fit_generator, train_reranker
from hybrid_rec.pipeline.rounds import RoundState
from hybrid_rec.rerank.reranker import GPT2Reranker
from hybrid_rec.text import TextEncoderConfig
from hybrid_rec.text.config import shared_encoder
from hybrid_rec.topk import TopK, topk_from_scores


@dataclass(frozen=True)
class FitContext:
    """What a method may use besides its training rows: validation rows (for early stopping and
    fusion weights only) and the item catalog (for text)."""

    valid: Interactions | None = None
    catalog: ItemCatalog | None = None
    progress: bool = False
    report: Callable[[int, float], None] | None = None  # per-epoch validation metric of LM training (may raise to prune)


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


@runtime_checkable
class RequestMethod(Protocol):
    """A method that also reads explicit requests (one per user, None = no request)."""

    reads_requests: bool

    def recommend(
        self, users: np.ndarray, k: int, exclude: sp.csr_matrix, requests: Sequence[str | None] | None = None
    ) -> TopK: ...


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

    count: Literal["interactions", "users"] = Field(
        "interactions", description="What is counted per item: every interaction, or distinct users."
    )


class Popularity:
    """The most popular unseen items, ranked by the candidate stage's `PopularitySource` (one
    implementation) over the counts that `PopularityConfig.count` names."""

    def __init__(self, config: PopularityConfig) -> None:
        self.config = config
        self._source: PopularitySource | None = None

    def fit(self, train: Interactions, context: FitContext | None = None) -> Popularity:
        self._source = PopularitySource(train.item_popularity(self.config.count))
        return self

    def recommend(self, users: np.ndarray, k: int, exclude: sp.csr_matrix) -> TopK:
        if self._source is None:
            raise NotFittedError("Popularity is not fitted")
        exclude = sp.csr_matrix(exclude)
        exclude.eliminate_zeros()  # explicit zeros do not exclude (as in `topk_from_scores`)
        return self._source.generate(np.asarray(users), k, exclude)


class ContentConfig(StrictModel):
    """The content baseline: item text embeddings compared with the user's recent items' embeddings."""

    encoder: TextEncoderConfig = Field(
        default_factory=TextEncoderConfig, description="Sentence encoder over the catalog text (MiniLM or hashing)."
    )
    history: int = Field(20, gt=0, description="Most recent items that make up the user's profile.")
    decay: float = Field(0.8, gt=0, le=1, description="Weight of the n-th most recent item: decay ** n.")


class ContentMethod(ScoringMethod):
    """Content-based baseline: cosine of each item's text embedding (``Title (Year); Genres``) to the
    decay-weighted mean of the user's recent items' embeddings. It needs no interaction with an
    item, so it reaches items nobody has interacted with (the cold-item task); a user without
    history scores every item 0."""

    def __init__(self, config: ContentConfig) -> None:
        self.config = config
        self._emb: np.ndarray | None = None
        self._history: RecentHistory | None = None

    def fit(self, train: Interactions, context: FitContext | None = None) -> ContentMethod:
        catalog = (context or FitContext()).catalog
        if catalog is None:
            raise ConfigError("content: needs the item catalog (item text); the dataset has none")
        ids = train.items.ids
        texts = catalog.describe_many(ids)
        self._emb = shared_encoder(self.config.encoder.model_dump_json()).encode(texts)
        self._history = RecentHistory(train, self.config.history)
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        if self._emb is None or self._history is None:
            raise NotFittedError("ContentMethod is not fitted")
        profiles = np.zeros((len(users), self._emb.shape[1]), np.float32)
        for r, u in enumerate(users):
            recent = self._history.of(int(u))  # newest first
            if len(recent):
                profiles[r] = (self.config.decay ** np.arange(len(recent))) @ self._emb[recent]
        return profiles @ self._emb.T


class ALSMethod:
    """ALS served through an exact inner-product FAISS index (as the candidate stage serves it).

    Items without training interactions are not in the index, so they are never recommended.
    """

    def __init__(self, config: ALSConfig) -> None:
        self.model = ALSModel(config)
        self._retrieval: ALSRetrieval | None = None

    def fit(self, train: Interactions, context: FitContext | None = None) -> ALSMethod:
        self._retrieval = ALSRetrieval.build(self.model.fit(train))  # exact (flat) index
        return self

    def recommend(self, users: np.ndarray, k: int, exclude: sp.csr_matrix) -> TopK:
        if self._retrieval is None:
            raise NotFittedError("ALSMethod is not fitted")
        return self._retrieval.generate(users, k, exclude)


class FaissKNNConfig(ALSConfig):
    """Item-to-item alone: ALS item vectors, cosine neighbours of the recent history (see ItemKNNConfig)."""

    history: int = Field(20, gt=0, description="Recent items of the user whose neighbours are looked up.")
    neighbors: int = Field(50, gt=0, description="Neighbours per history item.")
    decay: float = Field(0.8, gt=0, le=1, description="Neighbours of the item n steps back weigh decay ** n.")


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


class TransitionsMethod:
    """The "chosen right after" candidate source on its own: a first-order Markov chain over the users'
    time-ordered histories (`TransitionsConfig`); what it cannot fill (users without history, items
    that never followed theirs) is filled by popularity."""

    def __init__(self, config: TransitionsConfig) -> None:
        self.config = config
        self._fitted: tuple[Transitions, PopularitySource] | None = None

    def fit(self, train: Interactions, context: FitContext | None = None) -> TransitionsMethod:
        history = RecentHistory(train, max(self.config.history, self.config.window))
        self._fitted = Transitions.fit(train, history, self.config), PopularitySource(train.item_counts())
        return self

    def recommend(self, users: np.ndarray, k: int, exclude: sp.csr_matrix) -> TopK:
        if self._fitted is None:
            raise NotFittedError("TransitionsMethod is not fitted")
        transitions, popularity = self._fitted
        lists = {
            "transitions": transitions.generate(users, k, exclude),
            "popularity": popularity.generate(users, k, exclude),
        }
        return blend(lists, k, BlendConfig(weights={"transitions": 1.0}, rrf_k=0.0)).topk()


# One trained LM per (config, training data) in this process, so that the `gpt2` and `hybrid`
# methods of one comparison share it (training it is most of a comparison's time).
_TRAINED: dict[tuple[str, str], GPT2Reranker] = {}


def _fingerprint(rows: Interactions | None) -> str:
    if rows is None or not len(rows):
        return ""
    digest = hashlib.sha256()
    for arr in (rows.user, rows.item, rows.timestamp):
        digest.update(np.ascontiguousarray(arr).tobytes())
    return f"{len(rows.users)}-{len(rows.items)}-{digest.hexdigest()}"


def shared_stages(
    config: LMStageConfig | HybridConfig, train: Interactions, context: FitContext
) -> tuple[CandidateGenerator, GPT2Reranker]:
    """A first stage fitted on `train` and the LM trained for `config` on it, trained once per process
    (the last one is kept). Callers get their own copy of the mutable parts (histories, user map)."""
    generator = fit_generator(config.candidates, train, None, context.catalog)
    lm_config = config.lm_stage
    key = (lm_config.model_dump_json(), _fingerprint(train) + _fingerprint(context.valid))
    if key not in _TRAINED:
        reranker = train_reranker(
            lm_config, generator, train, context.catalog, context.valid, context.progress, on_epoch=context.report
        )
        _TRAINED.clear()
        _TRAINED[key] = reranker
    shared = copy.copy(_TRAINED[key])
    shared.histories = dict(shared.histories)
    shared._state = replace(shared.fitted)
    return generator, shared


def lm_learned(reranker: GPT2Reranker | None) -> dict[str, object]:
    """What training chose: the LM's best epoch, its validation NDCG@10 and the training time."""
    res = reranker.train_result if reranker is not None else None
    if res is None:
        return {}
    return {
        "lm_best_epoch": res.best_epoch,
        "lm_epochs_run": res.epochs_run,
        "lm_best_valid_ndcg@10": res.best_metric,
        "lm_train_seconds": res.seconds,
    }


class GPT2Method:
    """The LM alone: full ranking through the item-token distribution."""

    def __init__(self, config: LMStageConfig) -> None:
        self.config = config
        self.reranker: GPT2Reranker | None = None

    def fit(self, train: Interactions, context: FitContext | None = None) -> GPT2Method:
        _, self.reranker = shared_stages(self.config, train, context or FitContext())
        return self

    def refit(self, train_valid: Interactions, context: FitContext | None = None) -> GPT2Method:
        """Test time: the LM keeps its weights and reads the train + validation histories."""
        if self.reranker is None:
            raise NotFittedError("GPT2Method is not fitted")
        self.reranker.set_histories(train_valid)
        return self

    reads_requests = True

    def recommend(
        self, users: np.ndarray, k: int, exclude: sp.csr_matrix, requests: Sequence[str | None] | None = None
    ) -> TopK:
        if self.reranker is None:
            raise NotFittedError("GPT2Method is not fitted")
        return topk_from_scores(self.reranker.item_logprobs(users, requests), k, exclude)

    def recommend_rounds(
        self,
        users: np.ndarray,
        k: int,
        exclude: sp.csr_matrix,
        requests: Sequence[str | None] | None,
        states: Sequence[RoundState],
    ) -> TopK:
        """A round of the multi-round task: clicked items read after the history, every shown item
        excluded; an LM trained on simulated rounds also reads the passed-over, "more like" and "less
        like" items in its prompt (`GPT2Reranker.reads_reactions`; otherwise those kinds page)."""
        if self.reranker is None:
            raise NotFittedError("GPT2Method is not fitted")
        recent = [np.asarray(s.clicked, np.int64) if s.clicked else None for s in states]
        said = [{"passed": np.asarray(s.passed, np.int64), "liked": np.asarray(s.more_like, np.int64),
                 "disliked": np.asarray(s.less_like, np.int64)} for s in states]  # fmt: skip
        logp = self.reranker.item_logprobs(users, requests, recent, said)
        return topk_from_scores(logp, k, _with_shown(exclude, states))

    def learned(self) -> dict[str, object]:
        """What training chose: the LM's best epoch, its validation NDCG@10 and the training time."""
        return lm_learned(self.reranker)


class HybridMethod:
    """First-stage candidates, reranked by the LM, fused with CF scores (`HybridPipeline`)."""

    def __init__(self, config: HybridConfig) -> None:
        self.pipeline = HybridPipeline(config)

    def fit(self, train: Interactions, context: FitContext | None = None) -> HybridMethod:
        context = context or FitContext()
        stages = shared_stages(self.pipeline.config, train, context)
        self.pipeline.fit(train, context.catalog, valid=context.valid, progress=context.progress, stages=stages)
        return self

    def refit(self, train_valid: Interactions, context: FitContext | None = None) -> HybridMethod:
        self.pipeline.refit(train_valid)
        return self

    reads_requests = True

    def recommend(
        self, users: np.ndarray, k: int, exclude: sp.csr_matrix, requests: Sequence[str | None] | None = None
    ) -> TopK:
        return self.pipeline.recommend_internal(users, k, exclude, requests)

    def recommend_rounds(
        self,
        users: np.ndarray,
        k: int,
        exclude: sp.csr_matrix,
        requests: Sequence[str | None] | None,
        states: Sequence[RoundState],
    ) -> TopK:
        """A round of the multi-round task: each user's reactions so far as their session."""
        items = self.pipeline.generator.items
        return self.pipeline.recommend_internal(users, k, exclude, requests, [s.session(items) for s in states])

    def rerank(self, users: np.ndarray, items: np.ndarray, k: int) -> TopK:
        """The one scoring path on given candidates (`HybridPipeline.rerank_internal`), with the fusion
        fitted on outside lists when the config asked for one (`HybridConfig.outside`)."""
        return self.pipeline.rerank_internal(users, items, k)

    def rerank_first_stage(self, users: np.ndarray, items: np.ndarray, k: int) -> TopK:
        """The same, with the fusion fitted on the first stage's own candidates."""
        return self.pipeline.rerank_internal(users, items, k, fusion="first_stage")

    @property
    def fits_outside(self) -> bool:
        """True when this hybrid carries a fusion fitted on outside lists."""
        return self.pipeline.fitted.outside_fusion is not None

    def learned(self) -> dict[str, object]:
        """The LM's training outcome and the second stage fitted on validation (the linear blend's weights, or the
        learned ranker's feature importances, rounds, candidates and fitting seconds)."""
        state = self.pipeline.fitted
        out: dict[str, object] = {"fusion_weights": state.fusion.weights}
        if (ranker := state.ranker) is not None:
            out |= {"ranker_importances": ranker.weights, "ranker_rounds": ranker.rounds, "ranker_rows": ranker.rows,
                    "ranker_fit_seconds": round(ranker.seconds, 2), "ranker_valid_ndcg": ranker.valid_ndcg}  # fmt: skip
        if state.request_fusion is not None:
            out["request_fusion_weights"] = state.request_fusion.weights
        if state.session_fusion is not None:
            out["session_fusion_weights"] = state.session_fusion.weights
        if state.outside_fusion is not None:
            out["outside_fusion_weights"] = state.outside_fusion.weights
            out["outside_fusion_fitted_on"] = state.outside_fusion.fitted_on
        return out | lm_learned(state.reranker)


class ImplicitPeer:
    """A peer from `implicit` itself (BPR, LMF, item-item CF with cosine / BM25 / TF-IDF weighting):
    the library's own model and `recommend`, fitted on the same rows and scored by the same metrics
    as every method here (the outside retrievers' implementation, `candidates.outside`)."""

    def __init__(self, config: BPRRetrieverConfig | LMFRetrieverConfig | ItemItemRetrieverConfig) -> None:
        self.config = config
        self.retriever = ImplicitRetriever(config)

    def fit(self, train: Interactions, context: FitContext | None = None) -> ImplicitPeer:
        self.retriever.fit(train)
        return self

    def recommend(self, users: np.ndarray, k: int, exclude: sp.csr_matrix) -> TopK:
        return self.retriever.retrieve(users, k, exclude)

    def learned(self) -> dict[str, object]:
        import implicit

        return {"library": f"implicit {implicit.__version__}"}


def _with_shown(exclude: sp.csr_matrix, states: Sequence[RoundState]) -> sp.csr_matrix:
    """`exclude` with each row's shown items added."""
    rows = np.repeat(np.arange(len(states)), [len(s.shown) for s in states])
    cols = np.asarray([i for s in states for i in s.shown], np.int64)
    shown = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=exclude.shape)
    return sp.csr_matrix(((sp.csr_matrix(exclude) + shown) > 0).astype(np.float32))


C = TypeVar("C", bound=StrictModel)


@dataclass(frozen=True)
class MethodSpec(Generic[C]):
    """A registry entry: the method's config model and a factory from a validated config."""

    config: type[C]
    factory: Callable[[C], Method]


#: Explicit registry: method type name -> spec. Later stages add entries here.
METHODS: dict[str, MethodSpec[Any]] = {
    "popularity": MethodSpec(PopularityConfig, Popularity),
    "als": MethodSpec(ALSConfig, ALSMethod),
    "faiss_knn": MethodSpec(FaissKNNConfig, FaissKNNMethod),
    "transitions": MethodSpec(TransitionsConfig, TransitionsMethod),
    "content": MethodSpec(ContentConfig, ContentMethod),
    "bpr": MethodSpec(BPRRetrieverConfig, ImplicitPeer),
    "lmf": MethodSpec(LMFRetrieverConfig, ImplicitPeer),
    "item_item": MethodSpec(ItemItemRetrieverConfig, ImplicitPeer),
    "ease": MethodSpec(EASEConfig, RecToolsPeer),
    "rectools_als": MethodSpec(RecToolsALSConfig, RecToolsPeer),
    "sasrec": MethodSpec(SASRecConfig, RecToolsPeer),
    "bert4rec": MethodSpec(BERT4RecConfig, RecToolsPeer),
    "gpt2": MethodSpec(LMStageConfig, GPT2Method),
    "hybrid": MethodSpec(HybridConfig, HybridMethod),
}
