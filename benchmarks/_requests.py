"""What the request benchmarks share (`product_requests`, `either_requests`, `request_adherence`): a
saved model loaded by path, its items' categories, a seeded sample of users and the items they are
shown. Imported by those scripts as a sibling module (they run as `python benchmarks/<name>.py`)."""

from __future__ import annotations

import numpy as np

from hybrid_rec.data.catalog import ItemCatalog
from hybrid_rec.pipeline import HybridPipeline
from hybrid_rec.store import resolve_model


def load(model: str) -> tuple[HybridPipeline, str]:
    """The pipeline saved at `model` (a model directory or a versioned store) and its version; exits
    with a message when it has no item catalog (nothing a request could name)."""
    model_dir, version, _ = resolve_model(model)
    pipe = HybridPipeline.load(model_dir)
    catalog_of(pipe)
    return pipe, version


def catalog_of(pipe: HybridPipeline) -> ItemCatalog:
    """The model's item catalog; exits with a message when it has none."""
    if pipe.reranker.catalog is None:
        raise SystemExit("the model has no catalog: nothing to measure")
    return pipe.reranker.catalog


def categories(pipe: HybridPipeline) -> dict[object, tuple[str, ...]]:
    """Each item's categories, from the field requests name (`ItemCatalog.category_field`)."""
    catalog = catalog_of(pipe)
    field = catalog.category_field(pipe.config.requests.intent.field)
    if field is None:
        raise SystemExit("the catalog has no category field: nothing to measure")
    return {i: tuple(v) for i, v in catalog.items[field].items()}


def sample_users(pipe: HybridPipeline, n: int, seed: int) -> list[object]:
    """`n` users of the model drawn without replacement (seeded: every run measures the same users)."""
    return list(np.random.default_rng(seed).choice(pipe.generator.users.ids, n, replace=False))


def shown(pipe: HybridPipeline, users: list[object], k: int, request: str | None) -> list[object]:
    """Every item of the `users`' top `k` lists for `request`, in one flat list."""
    return [r.item_id for recs in pipe.recommend(users, k, request=request) for r in recs]
