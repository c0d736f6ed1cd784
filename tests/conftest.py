"""Shared fixtures: tiny data with known right answers, built offline."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import Phase, settings

from hybrid_rec.data import Interactions, make_synthetic
from hybrid_rec.data.splits import leave_last_out, temporal_split
from hybrid_rec.pipeline import HybridConfig, HybridPipeline

# Under `make mutate` (benchmarks/mutate.py sets this), a property test stops at its first failing
# example instead of shrinking it: a mutant is killed either way, shrinking only spends its CPU budget.
if os.environ.get("HYBRID_REC_MUTATION"):
    settings.register_profile("mutation", phases=[Phase.explicit, Phase.reuse, Phase.generate])
    settings.load_profile("mutation")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the user's real dataset cache."""
    monkeypatch.setenv("HYBRID_REC_HOME", str(tmp_path_factory.mktemp("hybrid_rec_home")))


@pytest.fixture(scope="session")
def synthetic():
    return make_synthetic(n_users=300, n_items=120, n_clusters=4, interactions_per_user=15, seed=7)


@pytest.fixture()
def checkerboard() -> Interactions:
    """Even users like even items, odd users like odd items (implicit's checkerboard idea).

    Each user misses one item of their parity, so the right recommendation is known.
    """
    rows = []
    t = 0
    for u in range(20):
        for i in range(20):
            if u % 2 == i % 2 and i != (u + 2) % 20:
                rows.append((f"user{u}", f"item{i}", t))
                t += 1
    return Interactions.from_dataframe(pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"]))


def frame(rows: list[tuple], columns: tuple[str, ...] = ("user_id", "item_id", "timestamp")) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(columns))


@pytest.fixture()
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


TINY = HybridConfig.from_dict(
    {
        "n_candidates": 20,
        "hard_negatives_from": 10,
        "candidates": {
            "n": 20,
            "als": {"factors": 8, "iterations": 5, "confidence": "weight"},
            "cold_start": {"features": {"encoder": {"kind": "hashing", "dim": 64}}},
        },
        "requests": {"encoder": {"kind": "hashing"}},  # fast; tests of the real encoder use MiniLM
        "reranker": {
            "bpe_vocab_size": 300,
            "lm": {"n_layer": 1, "n_head": 2, "n_embd": 16, "n_positions": 128, "dropout": 0.0},
            "trainer": {"epochs": 1, "batch_size": 32, "hard_negatives": 5},
        },
    }
)


@pytest.fixture(scope="session")
def stream():
    """A trained tiny pipeline on the first 80% of a synthetic stream, and the rest as raw events."""
    ds = make_synthetic(n_users=150, n_items=60, n_clusters=3, interactions_per_user=14, seed=11)
    split = temporal_split(ds.interactions, test_quantile=0.8)
    base = split.train_valid
    inner = leave_last_out(base)
    pipeline = HybridPipeline(TINY).fit(inner.train_valid, ds.catalog, valid=inner.test)
    pipeline.refit(base)
    rest = ds.interactions.subset(ds.interactions.timestamp >= split.info["test_start"])
    now = float(ds.interactions.timestamp.max()) + 10
    events = [
        {"event_id": f"ev{k}", "user_id": u, "item_id": i, "type": "click", "timestamp": float(t)}
        for k, (u, i, t) in enumerate(
            zip(rest.users.to_external(rest.user), rest.items.to_external(rest.item), rest.timestamp, strict=True)
        )
    ]
    events.append(
        {"event_id": "new-user-1", "user_id": "stranger", "item_id": "i1", "type": "purchase", "timestamp": now - 5}
    )
    return pipeline, events, float(base.weight.sum())


@pytest.fixture(scope="session")
def tiny_store(tmp_path_factory: pytest.TempPathFactory):
    """The one shared tiny trained model (`TINY` on a synthetic catalog with genres), saved once per
    test session; tests load their own copy with `HybridPipeline.load(path)` and may change it."""
    ds = make_synthetic(n_users=80, n_items=50, n_clusters=3, interactions_per_user=12, seed=5)
    split = leave_last_out(ds.interactions)
    pipeline = HybridPipeline(TINY).fit(split.train_valid, ds.catalog, valid=split.test)
    pipeline.refit(ds.interactions)
    path = tmp_path_factory.mktemp("tiny_store") / "model"
    pipeline.save(path)
    return path
