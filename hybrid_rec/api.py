"""`HybridRecommender`: the Python API for embedding hybrid_rec in an existing recommender.

>>> rec = HybridRecommender({"reranker": {"trainer": {"epochs": 4}}}).fit(events_df, catalog)
>>> rec.recommend(["u1", "u2"], k=10)                 # a DataFrame with explanations
>>> rec.rerank("u1", their_candidate_ids, k=5)        # candidates from any other system
>>> chat = rec.start("u1"); chat.next(10); chat.react(clicked=["i7"]); chat.next(10)  # rounds
>>> rec.save("models/mine"); rec = HybridRecommender.load("models/mine")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from typing_extensions import Unpack

from hybrid_rec.data.catalog import ItemCatalog, with_catalog_items
from hybrid_rec.data.datasets import Dataset
from hybrid_rec.data.interactions import ColumnMapping, Interactions
from hybrid_rec.errors import DataError, NotFittedError
from hybrid_rec.explain import Recommendation, RequestReading
from hybrid_rec.pipeline import (
    ExternalFactors,
    HybridConfig,
    HybridPipeline,
    RecommendOptions,
    RerankOptions,
    TrainConfig,
    train_pipeline,
)
from hybrid_rec.pipeline.conversation import Conversation as PipelineConversation
from hybrid_rec.policy import OnUnknown
from hybrid_rec.store import resolve_model

COLUMNS = ["user_id", "item_id", "rank", "score", "lm_score", "sources", "cf_scores", "session_scores", "item_text",
           "reasons"]  # fmt: skip


def _frame(recs: Sequence[Recommendation]) -> pd.DataFrame:
    """One row per recommendation; ``sources`` stays a tuple, as on `Recommendation`."""
    rows = [{k: v for k, v in asdict(r).items() if k != "instruction"} for r in recs]
    return pd.DataFrame(rows, columns=[*COLUMNS])


class Conversation:
    """A user's rounds with a `HybridRecommender` (lists as DataFrames, like `recommend`)."""

    def __init__(self, owner: HybridRecommender, inner: PipelineConversation) -> None:
        self._owner, self.inner = owner, inner

    @property
    def user_id(self) -> object:
        return self.inner.user_id

    def next(self, k: int = 10, *, request: str | None = None) -> pd.DataFrame:
        """The next `k` items, none shown before in this conversation, read with every reaction so far."""
        frame = _frame(self.inner.next(k, request=request))
        return self._owner._with_reading(frame, self.inner.state.request)

    def react(
        self,
        *,
        clicked: Sequence[object] = (),
        rejected: Sequence[object] = (),
        more_like: Sequence[object] = (),
        less_like: Sequence[object] = (),
    ) -> int:
        """Record reactions to the items (any the model knows); returns how many were new."""
        return self.inner.react(clicked=clicked, rejected=rejected, more_like=more_like, less_like=less_like)

    def events(self) -> pd.DataFrame:
        """Clicks and rejections as event rows (user_id, item_id, type, timestamp) for the event log."""
        return self.inner.events()

    def summary(self) -> dict[str, object]:
        return self.inner.summary()


class HybridRecommender:
    """Fit, recommend, rerank external candidates, explain, save and load."""

    def __init__(self, config: HybridConfig | Mapping[str, Any] | None = None) -> None:
        if config is None or isinstance(config, HybridConfig):
            self.config = config or HybridConfig()
        else:
            self.config = HybridConfig.from_dict(dict(config), source="HybridRecommender config")
        self.pipeline: HybridPipeline | None = None

    def fit(
        self,
        interactions: Interactions | pd.DataFrame,
        catalog: ItemCatalog | None = None,
        *,
        columns: ColumnMapping | Mapping[str, str | None] | None = None,
        user_factors: tuple[Sequence[object], np.ndarray] | None = None,
        item_factors: tuple[Sequence[object], np.ndarray] | None = None,
        progress: bool = False,
    ) -> HybridRecommender:
        """Train on all `interactions` (each user's last one is held out for early stopping and the fusion
        weights, then everything is used). `user_factors` / `item_factors` = (ids, array) plug in CF
        factors trained elsewhere instead of training ALS here."""
        inter = (
            interactions
            if isinstance(interactions, Interactions)
            else Interactions.from_dataframe(interactions, columns)
        )
        inter = with_catalog_items(inter, catalog, source="fit: catalog")
        external = None
        if (user_factors is None) != (item_factors is None):
            raise DataError("give both user_factors and item_factors, or neither")
        if user_factors is not None and item_factors is not None:
            external = ExternalFactors(
                np.asarray(user_factors[0]),
                np.asarray(user_factors[1]),
                np.asarray(item_factors[0]),
                np.asarray(item_factors[1]),
            )
        config = TrainConfig(hybrid=self.config)
        self.pipeline, _ = train_pipeline(config, progress=progress, dataset=Dataset("fit", inter, catalog), external=external)
        return self

    def _ready(self) -> HybridPipeline:
        if self.pipeline is None:
            raise NotFittedError("HybridRecommender is not fitted; call fit() or load() first")
        return self.pipeline

    def recommend(
        self, user_ids: Sequence[object], k: int = 10, **options: Unpack[RecommendOptions]
    ) -> pd.DataFrame:
        """Top-k per user (unseen items only): user_id, item_id, rank, score, lm_score, sources, cf_scores.

        The options of `HybridPipeline.recommend`: ``request`` (what the user asks for in words),
        ``session`` (this visit's recent / excluded / "more or less like" items,
        `hybrid_rec.session.Session`), ``on_unknown`` (users the model does not know: ``"raise"``,
        ``"skip"`` or ``"fallback"``, popular items). How the request was read is in
        ``frame.attrs["request_reading"]`` (`read_request`).
        """
        recs = self._ready().recommend(user_ids, k, **options)  # a single id is one id (the boundary lists it)
        return self._with_reading(_frame([r for user in recs for r in user]), options.get("request"))

    def rerank(
        self, user_id: object, item_ids: Sequence[object], k: int | None = None, **options: Unpack[RerankOptions]
    ) -> pd.DataFrame:
        """Reorder candidates from another system for one user, best first (the options of
        `HybridPipeline.rerank`: ``request``, ``session``; ``on_unknown_items`` = ``"skip"`` (default), ``"raise"``
        or ``"fallback"`` (kept last, score NaN); ``exclude_seen`` (default True: what the user already has is
        left out)). The candidates left out, and why, are in ``frame.attrs["left_out"]`` (`HybridPipeline.left_out`)."""
        pipe = self._ready()
        frame = self._with_reading(_frame(pipe.rerank(user_id, item_ids, k, **options)), options.get("request"))
        frame.attrs["left_out"] = pipe.left_out(
            user_id, item_ids, session=options.get("session"), on_unknown_items=options.get("on_unknown_items", "skip"),
            exclude_seen=options.get("exclude_seen", True),
        )  # fmt: skip
        return frame

    def rerank_many(
        self,
        candidates: pd.DataFrame,
        k: int | None = None,
        *,
        request: str | None = None,
        on_unknown_items: OnUnknown = "skip",
        batch_users: int = 256,
        exclude_seen: bool = True,
    ) -> pd.DataFrame:
        """`rerank` for many users at once: `candidates` has one row per (``user_id``, ``item_id``) pair
        (a user's rows are their list, in any order); the result has the columns of `recommend`, each
        user's list best first, users in their first appearance's order, as `rerank` gives each alone
        (`exclude_seen` as there)."""
        missing = {"user_id", "item_id"} - set(candidates.columns)
        if missing:
            raise DataError(f"rerank_many: candidates need the columns user_id and item_id (missing {sorted(missing)})")
        lists = [(user, list(rows["item_id"])) for user, rows in candidates.groupby("user_id", sort=False)]
        recs = self._ready().rerank_many(lists, k, request=request, on_unknown_items=on_unknown_items,
                                         batch_users=batch_users, exclude_seen=exclude_seen)  # fmt: skip
        return self._with_reading(_frame([r for one in recs for r in one]), request)

    def start(self, user_id: object, *, request: str | None = None) -> Conversation:
        """A conversation with `user_id`: ``.next(k, request=...)`` lists (never repeating an item),
        ``.react(clicked=..., rejected=..., more_like=..., less_like=...)`` between them, ``.events()``
        the clicks as rows for the event log (`hybrid_rec.pipeline.conversation`)."""
        return Conversation(self, PipelineConversation(self._ready(), user_id, request=request))

    def read_request(self, request: str | None) -> RequestReading | None:
        """How the model reads `request`: what it asks for and excludes, or that nothing was understood."""
        return self._ready().read_request(request)

    def _with_reading(self, frame: pd.DataFrame, request: str | None) -> pd.DataFrame:
        """`frame` with the request's reading in ``frame.attrs["request_reading"]`` (None without one)."""
        reading = self.read_request(request)
        frame.attrs["request_reading"] = None if reading is None else reading.as_dict()
        return frame

    def explain(self, user_id: object, k: int = 10, *, request: str | None = None) -> list[Recommendation]:
        """Recommendations with everything behind them, including the instruction the LM scored."""
        recs = self._ready().recommend([user_id], k, request=request)
        return recs[0] if recs else []

    def add_items(self, items: pd.DataFrame, *, id_column: str = "item_id") -> list[object]:
        """Add (or re-describe) catalog items, recommendable at once from their text, before anyone
        has used them. `items`: one row per item with the catalog's fields (title, year, genres, ...)
        and the id in `id_column` (or as the index). Returns the ids that are new to the model."""
        rows = items.set_index(id_column) if id_column in items.columns else items
        return list(self._ready().add_items(rows))

    def save(self, directory: str | Path) -> None:
        self._ready().save(directory)

    @classmethod
    def load(cls, directory: str | Path) -> HybridRecommender:
        """A saved recommender, or the live version of a model store (`hybrid-rec train --out`)."""
        pipeline = HybridPipeline.load(resolve_model(directory)[0])
        self = cls(pipeline.config)
        self.pipeline = pipeline
        return self
