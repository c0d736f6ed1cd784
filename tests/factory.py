"""The one tiny model configuration the suite trains, the shapes derived from it, and the recipes of
the shared tiny trained models (trained once per test session by `tiny_models` in tests/conftest.py).

A test that needs another shape derives it: `tiny({...})` (a [hybrid] dict with some keys changed),
`tiny_config` (a `HybridConfig`), `tiny_lm_stage` (the `gpt2` method), `tiny_lm` (the GPT-2 alone)
and `train_toml` (a `hybrid-rec train` TOML whose [hybrid] table is the tiny config).
"""

from __future__ import annotations

import copy
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from hybrid_rec.data import Interactions, make_synthetic
from hybrid_rec.data.datasets import Dataset
from hybrid_rec.data.splits import temporal_split
from hybrid_rec.data.synthetic import SyntheticDataset
from hybrid_rec.pipeline import HybridConfig, HybridPipeline, LMStageConfig, TrainConfig, train_pipeline
from hybrid_rec.store import ModelStore

TINY: dict[str, Any] = {
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


def derive(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of `base` with `overrides` merged in, table by table."""
    out = copy.deepcopy(dict(base))
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = derive(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def tiny(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The tiny [hybrid] config as a dict, with `overrides` (nested tables) merged in."""
    return derive(TINY, overrides or {})


def tiny_config(overrides: Mapping[str, Any] | None = None) -> HybridConfig:
    return HybridConfig.from_dict(tiny(overrides))


def tiny_lm_stage(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The LM stage's part of `tiny(overrides)` (an `LMStageConfig` dict: the `gpt2` method's config)."""
    return {k: v for k, v in tiny(overrides).items() if k in LMStageConfig.model_fields}


def tiny_lm(**overrides: Any) -> dict[str, Any]:
    """The tiny GPT-2 size alone (an `LMConfig` dict)."""
    return {**TINY["reranker"]["lm"], **overrides}


def train_toml(dataset: Mapping[str, Any], hybrid: Mapping[str, Any] | None = None, **tables: Any) -> str:
    """A `hybrid-rec train` (or `simulate`) TOML: [dataset], further `tables`, [hybrid] = `tiny(hybrid)`."""
    return tomli_w.dumps({"dataset": dict(dataset), **tables, "hybrid": tiny(hybrid)})


# ---------------------------------------------------------------------- the shared trained models
DATASETS: dict[str, dict[str, Any]] = {
    "small": {"n_users": 80, "n_items": 50, "n_clusters": 3, "interactions_per_user": 12, "seed": 5},
    "stream": {"n_users": 150, "n_items": 60, "n_clusters": 3, "interactions_per_user": 14, "seed": 11},
}
"""Synthetic catalogs with genres. "small" is trained on every row; "stream" on its first 80% in time
(`stream_split`), the rest being the events a feedback test replays."""

VARIANTS: dict[str, dict[str, Any]] = {
    "default": {},
    "outside": {"outside": {"kind": "popularity"}},
    "rounds": {"reranker": {"trainer": {"round_windows_per_user": 1.0}}},
    "minilm": {"requests": {"encoder": {"kind": "minilm"}}},
    "lightgbm": {"ranker": {"kind": "lightgbm", "min_data_in_leaf": 5, "n_estimators": 60}},
}
"""Config variants of the shared models: overrides of `TINY` ("outside": also a fusion fitted on the
validation users' popularity lists, `HybridConfig.outside`; "rounds": an LM also trained on simulated-round
windows, which reads a session's reactions in its prompt; "minilm": requests read by the pretrained encoder and
the learned stance model; "lightgbm": the learned ranker, `HybridConfig.ranker`)."""


def stream_split(ds: SyntheticDataset):
    return temporal_split(ds.interactions, test_quantile=0.8)


@dataclass(frozen=True)
class TinyModel:
    """A trained tiny pipeline saved at `path`. Load your own copy (`load`); copy the directory
    (`shutil.copytree`) or `publish` it before changing files."""

    path: Path
    data: SyntheticDataset
    rows: Interactions  # what it was trained on
    info: str  # train_pipeline's summary line

    def load(self) -> HybridPipeline:
        return HybridPipeline.load(self.path)

    def publish(self, root: Path) -> ModelStore:
        """A model store at `root` with this model as version 1, as `hybrid-rec train --out root` leaves it."""
        store = ModelStore(root)
        store.publish(lambda d: shutil.copytree(self.path, d), {"applied_offset": 0, "events": 0, "parent": None})
        return store


def train_tiny(dataset: str, variant: str, out: Path) -> TinyModel:
    """Train `VARIANTS[variant]` on `DATASETS[dataset]` the way `hybrid-rec train` does (each user's
    last row held out for early stopping and the fusion weights, then a refit on every row), save it."""
    ds = make_synthetic(**DATASETS[dataset])
    rows = stream_split(ds).train_valid if dataset == "stream" else ds.interactions
    config = TrainConfig(hybrid=tiny_config(VARIANTS[variant]))
    pipeline, info = train_pipeline(config, dataset=Dataset(dataset, rows, ds.catalog))
    pipeline.save(out)
    return TinyModel(out, ds, rows, info)
