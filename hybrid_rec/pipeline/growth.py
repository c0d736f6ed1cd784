"""A fitted pipeline that grows without retraining: new events (the first stage updates incrementally,
the LM reads the longer histories) and new catalog items (CF vectors and LM item tokens predicted
from their text), the LM and the request stage following the first stage's item map."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from hybrid_rec.candidates.generator import CandidatesConfig
from hybrid_rec.candidates.requests import RequestStage
from hybrid_rec.data.catalog import ItemCatalog
from hybrid_rec.data.interactions import Interactions
from hybrid_rec.errors import ConfigError
from hybrid_rec.pipeline.scoring import FittedPipeline

__all__ = ["absorb_events", "add_catalog_items"]


def absorb_events(
    state: FittedPipeline, events: Interactions, candidates: CandidatesConfig
) -> tuple[FittedPipeline, np.ndarray, np.ndarray]:
    """`state` after `events`, and the touched (users, items) internal ids."""
    gen, rr = state.generator, state.reranker
    users, items = gen.update(events)
    u = gen.users.to_internal(events.users.to_external(events.user))
    i = gen.items.to_internal(events.items.to_external(events.item))
    rr.append_history(u, i, events.timestamp)
    rr.users = gen.users
    return follow_items(state, rr.catalog, candidates), users, items


def add_catalog_items(
    state: FittedPipeline, rows: pd.DataFrame, candidates: CandidatesConfig
) -> tuple[FittedPipeline, np.ndarray]:
    """`state` with `rows` (indexed by item id, the catalog's fields) added or re-described and
    recommendable at once, and the external ids new to the model."""
    catalog = state.reranker.catalog
    if catalog is None:
        raise ConfigError("add_items: the model was trained without a catalog; item text has nowhere to go")
    catalog = catalog.merged(rows)
    before = len(state.generator.items)
    ids = state.generator.items.coerce(rows.index.to_numpy())
    state.generator.add_items(ids, catalog)
    described = state.generator.items.to_internal(ids, on_unknown="fallback")
    described = described[(described >= 0) & (described < before)]  # known items given new text
    return follow_items(state, catalog, candidates, described), state.generator.items.ids[before:]


def follow_items(
    state: FittedPipeline,
    catalog: ItemCatalog | None,
    candidates: CandidatesConfig,
    described: np.ndarray | None = None,
) -> FittedPipeline:
    """The LM and the request stage follow the first stage's (possibly grown) item map; `described`:
    internal ids of known items whose catalog text changed (the LM re-reads it)."""
    gen, rr = state.generator, state.reranker
    cold_map, grows = gen.fitted.cold_map, len(gen.items) > rr.tokenizer.n_items
    features = None
    if grows and cold_map is not None and catalog is not None:
        features = cold_map.featurizer.transform(catalog, gen.items.ids)[0]
    learned = gen.als.item_support() > 0
    rr.add_items(gen.items, catalog, features, learned, candidates.cold_start.regularization, described)
    if catalog is not state.requests.catalog:
        return replace(state, requests=RequestStage(state.requests.config, catalog))
    return state
