"""`HybridPipeline`: first-stage candidates -> GPT-2 reranking -> score fusion, end to end.

``fit(train, catalog, valid)`` fits the candidate stage on `train`, instruction-tunes the LM on
`train` with early stopping on `valid`, and fits the fusion weights on `valid`. ``refit(rows)``
then refits the candidate stage on more rows (e.g. train + validation, or all data) and lets the LM
read the longer histories, keeping its weights and the fusion weights. Recommendations come with
an explanation: the sources, the CF and LM scores, the fused score and the instruction text.
"""

from __future__ import annotations

import copy
import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from pydantic import Field

from hybrid_rec.candidates.als import ALSModel
from hybrid_rec.candidates.generator import CandidateGenerator, CandidatesConfig, OnUnknownUser
from hybrid_rec.config import StrictModel
from hybrid_rec.data.catalog import ItemCatalog
from hybrid_rec.data.config import DatasetConfig, build_dataset
from hybrid_rec.data.ids import as_id_array
from hybrid_rec.data.interactions import Interactions
from hybrid_rec.data.splits import leave_last_out
from hybrid_rec.errors import ConfigError, DataError, NotFittedError
from hybrid_rec.rerank.fusion import FusionConfig, LinearFusion, mmr, rank
from hybrid_rec.rerank.reranker import GPT2Reranker, RerankerConfig
from hybrid_rec.topk import TopK


class GPT2Config(StrictModel):
    """The LM reranker and the first stage that gives it item-embedding initialisation and hard negatives."""

    reranker: RerankerConfig = Field(default_factory=RerankerConfig)
    candidates: CandidatesConfig = Field(default_factory=CandidatesConfig)
    hard_negatives_from: int = Field(100, ge=0)


class HybridConfig(GPT2Config):
    """First-stage candidates (``n_candidates`` per user), reranked by the LM, fused with the CF scores."""

    n_candidates: int = Field(100, gt=0)
    fusion: FusionConfig = Field(default_factory=FusionConfig)


# One trained reranker per (config, training data) in this process: `gpt2` and `hybrid` share it.
_TRAINED: dict[tuple[str, str], GPT2Reranker] = {}


def _fingerprint(train: Interactions) -> str:
    digest = hashlib.sha256()
    for arr in (train.user, train.item, train.timestamp):
        digest.update(np.ascontiguousarray(arr).tobytes())
    return f"{len(train.users)}-{len(train.items)}-{digest.hexdigest()}"


@dataclass(frozen=True, eq=False)
class ExternalFactors:
    """CF factors trained elsewhere (e.g. Spark ALS), used instead of training ALS here."""

    user_ids: np.ndarray
    user_factors: np.ndarray
    item_ids: np.ndarray
    item_factors: np.ndarray

    def als_for(self, interactions: Interactions, config: CandidatesConfig) -> ALSModel:
        return ALSModel.from_factors(
            interactions, self.user_ids, self.user_factors, self.item_ids, self.item_factors, config.als
        )

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for arr in (self.user_factors, self.item_factors):
            digest.update(np.ascontiguousarray(arr, dtype=np.float32).tobytes())
        return digest.hexdigest()


def fit_generator(config: CandidatesConfig, rows: Interactions, external: ExternalFactors | None) -> CandidateGenerator:
    """The first stage on `rows`, with ALS trained here or taken from `external` factors."""
    als = external.als_for(rows, config) if external is not None else None
    return CandidateGenerator(config).fit(rows, als=als)


def train_reranker(
    config: GPT2Config,
    train: Interactions,
    catalog: ItemCatalog | None,
    valid: Interactions | None,
    progress: bool = False,
    external: ExternalFactors | None = None,
) -> tuple[CandidateGenerator, GPT2Reranker]:
    """Fit the first stage on `train`, then instruction-tune the LM (cached within the process)."""
    generator = fit_generator(config.candidates, train, external)
    key = (
        GPT2Config.model_validate(config.model_dump(include=set(GPT2Config.model_fields))).model_dump_json(),
        _fingerprint(train)
        + (_fingerprint(valid) if valid is not None and len(valid) else "")
        + (external.fingerprint() if external is not None else ""),
    )
    if key not in _TRAINED:
        negatives = None
        if config.hard_negatives_from and config.reranker.trainer.hard_negative_weight > 0:
            users = np.arange(len(train.users))
            items = generator.generate(users, config.hard_negatives_from).items
            negatives = {int(u): row[row >= 0] for u, row in zip(users, items, strict=True)}
        reranker = GPT2Reranker(config.reranker).fit(
            train,
            catalog,
            valid=valid,
            item_factors=generator.als.item_factors,
            hard_negatives=negatives,
            progress=progress,
        )
        _TRAINED.clear()  # keep one model in memory
        _TRAINED[key] = reranker
    # Share the weights, never the mutable histories: a caller's refit must not leak into another's.
    shared = copy.copy(_TRAINED[key])
    shared.histories = dict(shared.histories)
    return generator, shared


@dataclass(frozen=True)
class Recommendation:
    """One recommended item with its explanation."""

    user_id: object
    item_id: object
    rank: int
    score: float
    lm_score: float
    cf_scores: dict[str, float]
    sources: tuple[str, ...]
    instruction: str
    item_text: str = ""


class HybridPipeline:
    """Candidates -> LM reranking -> fusion, in internal ids (`recommend_internal`) or external ids
    (`recommend`, with explanations and an ``on_unknown`` policy)."""

    def __init__(self, config: HybridConfig | None = None, external: ExternalFactors | None = None) -> None:
        self.config = config or HybridConfig()
        self.external = external
        self.generator: CandidateGenerator | None = None
        self.reranker: GPT2Reranker | None = None
        self.fusion = LinearFusion(self.config.fusion)
        self.request_fusion: LinearFusion | None = None  # weights for prompts with an explicit request

    # ------------------------------------------------------------------ fitting
    def fit(
        self,
        train: Interactions,
        catalog: ItemCatalog | None = None,
        *,
        valid: Interactions | None = None,
        progress: bool = False,
    ) -> HybridPipeline:
        if valid is None or len(valid) == 0:
            raise ConfigError("hybrid: early stopping and fusion weights need validation rows; pass valid=")
        self.generator, self.reranker = train_reranker(self.config, train, catalog, valid, progress, self.external)
        users = np.unique(valid.user)
        features, items = self.features(users, train.to_csr()[users])
        self.fusion.fit(features, items, valid.to_csr()[users])
        self._fit_request_fusion(train, valid, users)
        return self

    def _fit_request_fusion(self, train: Interactions, valid: Interactions, users: np.ndarray) -> None:
        """Separate fusion weights for requests: on validation, each user asks for a genre of their
        held-out item ("a comedy movie"), as in InstructRec's intention tasks. Needs catalog genres."""
        rr = self.reranker
        catalog = rr.catalog  # type: ignore[union-attr]
        self.request_fusion = None
        if catalog is None or "genres" not in catalog.fields:
            return
        rng = np.random.default_rng(self.config.reranker.trainer.seed)
        target = valid.to_csr()[users]
        noun = self.config.reranker.verbalizer.noun
        requests: list[str | None] = []
        for row in range(len(users)):
            item = valid.items.to_external([target.indices[target.indptr[row]]])[0]
            genres = catalog.item(item).get("genres") if item in catalog.items.index else None
            requests.append(f"a {genres[int(rng.integers(len(genres)))].lower()} {noun}" if genres else None)
        features, items = self.features(users, train.to_csr()[users], requests)
        self.request_fusion = LinearFusion(self.config.fusion).fit(features, items, target)

    def refit(self, interactions: Interactions) -> HybridPipeline:
        """Refit the first stage on `interactions`; the LM reads them as histories; weights stay."""
        self._check()
        self.generator = fit_generator(self.config.candidates, interactions, self.external)
        self.reranker.set_histories(interactions)  # type: ignore[union-attr]
        return self

    def update(self, events: Interactions) -> tuple[np.ndarray, np.ndarray]:
        """Absorb new events: the first stage updates incrementally and the LM reads the longer histories."""
        self._check()
        users, items = self.generator.update(events)  # type: ignore[union-attr]
        gen = self.generator
        u = gen.users.to_internal(events.users.to_external(events.user))  # type: ignore[union-attr]
        i = gen.items.to_internal(events.items.to_external(events.item))  # type: ignore[union-attr]
        self.reranker.append_history(u, i, events.timestamp)  # type: ignore[union-attr]
        self.reranker.users = gen.users  # type: ignore[union-attr]
        return users, items

    def _check(self) -> None:
        if self.generator is None or self.reranker is None or self.fusion.weights is None:
            raise NotFittedError("HybridPipeline is not fitted; call fit() or load() first")

    # ------------------------------------------------------------------ scoring
    def features(
        self, users: np.ndarray, exclude: sp.csr_matrix | None = None, requests: Sequence[str | None] | None = None
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Candidates of `users` and their per-source CF scores plus the LM score (``"lm"``)."""
        if self.generator is None or self.reranker is None:
            raise NotFittedError("HybridPipeline is not fitted; call fit() or load() first")
        cands = self.generator.generate(users, self.config.n_candidates, exclude)
        features = dict(cands.source_scores)
        features["lm"] = self.reranker.score(users, cands.items, requests)
        return features, cands.items

    def _rank(
        self, features: dict[str, np.ndarray], items: np.ndarray, k: int, request: str | None = None
    ) -> tuple[TopK, np.ndarray]:
        fusion = self.request_fusion if request and self.request_fusion is not None else self.fusion
        fused = fusion.transform(features, items)
        if self.config.fusion.mmr_lambda is not None:
            top = mmr(items, fused, self.generator.als.item_factors, k, self.config.fusion.mmr_lambda)  # type: ignore[union-attr]
        else:
            top = rank(items, fused, k)
        return top, fused

    def _explained(
        self,
        user_id: object,
        ranked: np.ndarray,
        items: np.ndarray,
        features: dict[str, np.ndarray],
        fused: np.ndarray,
        text: str,
    ) -> list[Recommendation]:
        """`Recommendation`s for one user's ranked internal items (`items` = that user's candidate row)."""
        gen, rr = self.generator, self.reranker
        recs = []
        for r, item in enumerate(ranked):
            if item < 0:
                break
            j = int(np.flatnonzero(items == item)[0])
            cf = {name: float(v[0, j]) for name, v in features.items() if name != "lm" and not np.isnan(v[0, j])}
            recs.append(
                Recommendation(
                    user_id,
                    gen.items.to_external([item])[0],
                    r + 1,
                    float(fused[0, j]),  # type: ignore[union-attr]
                    float(features["lm"][0, j]),
                    cf,
                    tuple(cf),
                    text,
                    rr.verbalizer.item_text(int(item)),  # type: ignore[union-attr]
                )
            )
        return recs

    def recommend_internal(self, users: np.ndarray, k: int, exclude: sp.csr_matrix | None = None) -> TopK:
        self._check()
        features, items = self.features(users, exclude)
        return self._rank(features, items, k)[0]

    def recommend(
        self,
        user_ids: Sequence[object],
        k: int = 10,
        *,
        request: str | None = None,
        on_unknown: OnUnknownUser = "raise",
    ) -> list[list[Recommendation]]:
        """Top-k with explanations for external user ids (unknown users: ``raise``/``popularity``/``skip``)."""
        self._check()
        gen, rr = self.generator, self.reranker
        ids = as_id_array(list(user_ids))
        internal = gen.users.to_internal(ids, on_unknown="raise" if on_unknown == "raise" else "mask")  # type: ignore[union-attr]
        out: list[list[Recommendation]] = []
        for ext, u in zip(ids, internal, strict=True):
            if u < 0:
                if on_unknown == "skip":
                    continue
                cand = gen.generate_for([ext], k, on_unknown="popularity")[0]  # type: ignore[union-attr]
                out.append(
                    [
                        Recommendation(
                            ext,
                            item,
                            r + 1,
                            float(s),
                            float("nan"),
                            {"popularity": float(s)},
                            ("popularity",),
                            "",
                            rr.verbalizer.item_text(int(i)),
                        )  # type: ignore[union-attr]
                        for r, (item, s, i) in enumerate(
                            zip(cand.item_ids, cand.scores, gen.items.to_internal(cand.item_ids), strict=True)
                        )
                    ]
                )  # type: ignore[union-attr]
                continue
            users = np.array([u])
            features, items = self.features(users, requests=[request])
            top, fused = self._rank(features, items, k, request)
            text = rr.verbalizer.render(rr.instruction(int(u), request))  # type: ignore[union-attr]
            out.append(self._explained(ext, top.items[0], items[0], features, fused, text))
        return out

    def cf_features(self, user: int, items: np.ndarray) -> dict[str, np.ndarray]:
        """Each first-stage source's score for arbitrary items of one user (-1: a user the model does
        not know). Used for candidates from another system: ``als`` = factor dot product,
        ``item_knn`` = decay-weighted cosine to the recent history (over the whole history window, not
        only the top neighbours), ``popularity`` = interaction count. NaN where a source cannot score."""
        self._check()
        gen = self.generator
        als = gen.als  # type: ignore[union-attr]
        support = als.item_support()[items]
        out = {"popularity": np.where(support > 0, gen.popularity_counts[items], np.nan)}  # type: ignore[union-attr]
        if user < 0:
            out["als"] = np.full(len(items), np.nan)
            out["item_knn"] = np.full(len(items), np.nan)
            return {k: v[None, :] for k, v in out.items()}
        out["als"] = np.where(support > 0, als.item_factors[items] @ als.user_factors[user], np.nan)
        recent = gen.recent_items(user)  # type: ignore[union-attr]
        if len(recent):
            unit = als.item_factors / np.maximum(np.linalg.norm(als.item_factors, axis=1, keepdims=True), 1e-12)
            weights = gen.config.item_knn.decay ** np.arange(len(recent))  # type: ignore[union-attr]
            out["item_knn"] = np.where(support > 0, (unit[items] @ unit[recent].T) @ weights, np.nan)
        else:
            out["item_knn"] = np.full(len(items), np.nan)
        return {k: v[None, :].astype(np.float64) for k, v in out.items()}

    def rerank(
        self,
        user_id: object,
        item_ids: Sequence[object],
        k: int | None = None,
        *,
        request: str | None = None,
        on_unknown_items: str = "skip",
    ) -> list[Recommendation]:
        """Rerank candidates from another system for one user, best first, with explanations.

        Unknown items: ``"skip"`` (dropped), ``"raise"`` (`UnknownIdError`) or ``"last"`` (kept after
        the scored ones, score NaN). A user the model does not know is scored from the LM's prior
        and popularity alone.
        """
        self._check()
        if on_unknown_items not in ("skip", "raise", "last"):
            raise ConfigError(f"on_unknown_items must be 'skip', 'raise' or 'last', not {on_unknown_items!r}")
        gen, rr = self.generator, self.reranker
        ids = as_id_array(list(item_ids))
        internal = gen.items.to_internal(ids, on_unknown="raise" if on_unknown_items == "raise" else "mask")  # type: ignore[union-attr]
        known = internal >= 0
        if len(set(internal[known].tolist())) != int(known.sum()):
            raise DataError("rerank: candidate item ids must be unique")
        user = int(gen.users.to_internal([user_id], on_unknown="mask")[0])  # type: ignore[union-attr]
        items = internal[known]
        features = self.cf_features(user, items)
        features["lm"] = rr.score(np.array([user]), items[None, :], [request])  # type: ignore[union-attr]
        text = rr.verbalizer.render(rr.instruction(user, request))  # type: ignore[union-attr]
        n = len(items) if k is None else min(k, len(items))
        top, fused = self._rank(features, items[None, :], max(n, 1), request)
        recs = self._explained(user_id, top.items[0][:n], items, features, fused, text)
        if on_unknown_items == "last" and (k is None or len(recs) < k):
            for ext in ids[~known]:
                if k is not None and len(recs) >= k:
                    break
                recs.append(Recommendation(user_id, ext, len(recs) + 1, float("nan"), float("nan"), {}, (), text))
        return recs

    # ------------------------------------------------------------------ persistence
    def save(self, directory: str | Path) -> None:
        """``pipeline.json``, ``candidates/``, ``reranker/``, ``fusion.json`` and the catalog as Parquet."""
        self._check()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "pipeline.json").write_text(self.config.model_dump_json(indent=2))
        self.generator.save(directory / "candidates")  # type: ignore[union-attr]
        self.reranker.save(directory / "reranker")  # type: ignore[union-attr]
        self.fusion.save(directory / "fusion.json")
        if self.request_fusion is not None:
            self.request_fusion.save(directory / "fusion_request.json")
        catalog = self.reranker.catalog  # type: ignore[union-attr]
        if catalog is not None:
            items = catalog.items.copy()
            if "genres" in items:
                items["genres"] = items["genres"].map(list)
            items.reset_index().to_parquet(directory / "catalog_items.parquet", index=False)
            if catalog.users is not None:
                catalog.users.reset_index().to_parquet(directory / "catalog_users.parquet", index=False)

    @classmethod
    def load(cls, directory: str | Path) -> HybridPipeline:
        directory = Path(directory)
        if not (directory / "pipeline.json").is_file():
            raise DataError(f"{directory}: missing pipeline.json; not a saved HybridPipeline (see `hybrid-rec train`)")
        config = HybridConfig.from_dict(json.loads((directory / "pipeline.json").read_text()), source=str(directory))
        self = cls(config)
        catalog = None
        if (directory / "catalog_items.parquet").is_file():
            items = pd.read_parquet(directory / "catalog_items.parquet")
            items = items.set_index(items.columns[0])
            if "genres" in items:
                items["genres"] = items["genres"].map(tuple)
            users = None
            if (directory / "catalog_users.parquet").is_file():
                users = pd.read_parquet(directory / "catalog_users.parquet")
                users = users.set_index(users.columns[0])
            catalog = ItemCatalog(items, users)
        self.generator = CandidateGenerator.load(directory / "candidates")
        self.reranker = GPT2Reranker.load(directory / "reranker", catalog)
        self.fusion = LinearFusion.load(directory / "fusion.json")
        if (directory / "fusion_request.json").is_file():
            self.request_fusion = LinearFusion.load(directory / "fusion_request.json")
        return self


class TrainConfig(StrictModel):
    """`hybrid-rec train`: which data, and the hybrid pipeline to train on all of it."""

    dataset: DatasetConfig = Field(default_factory=DatasetConfig)
    hybrid: HybridConfig = Field(default_factory=HybridConfig)


def train_pipeline(
    config: TrainConfig, *, home: str | Path | None = None, progress: bool = True
) -> tuple[HybridPipeline, str]:
    """Train on all data.

    Each user's last interaction is held out for early stopping and the fusion weights; the first
    stage is then refitted on all rows and the LM reads the full histories.
    """
    dataset = build_dataset(config.dataset, home)
    split = leave_last_out(dataset.interactions)
    if len(split.test) == 0:
        raise DataError("train: no user has 3 or more interactions; nothing to hold out for early stopping")
    start = time.perf_counter()
    pipeline = HybridPipeline(config.hybrid).fit(
        split.train_valid, dataset.catalog, valid=split.test, progress=progress
    )
    pipeline.refit(dataset.interactions)
    seconds = time.perf_counter() - start
    result = pipeline.reranker.train_result  # type: ignore[union-attr]
    info = (
        f"{dataset.name}: {len(dataset.interactions)} interactions, trained in {seconds:.0f}s, "
        f"held-out NDCG@10 of the LM {result.best_metric:.4f} (epoch {result.best_epoch}), "
        f"fusion weights {pipeline.fusion.weights}, with a request "
        f"{pipeline.request_fusion.weights if pipeline.request_fusion is not None else '-'}"
    )
    return pipeline, info
