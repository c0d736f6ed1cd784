"""`hybrid-rec train` with a ``[search]``: choose the hybrid's parameters, then train the best point.

The rows of `leave_last_out` over all data: a trial fits on ``train``, stops the LM early and fits
the fusion weights on ``valid`` (each user's second last interaction), is refitted on train + valid
(the LM keeps its weights and reads the longer histories, as `train_pipeline` does) and is scored on
``test`` (each user's last interaction, never fitted on) the way `compare` scores the hybrid: full
ranking over all items, the fit items excluded, NDCG@10. The best point is then trained by
`train_pipeline` exactly as without a search. LM trials report each epoch's validation NDCG@10 to
Optuna, whose median pruner stops those that fall behind.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from hybrid_rec.data.config import build_dataset
from hybrid_rec.data.datasets import Dataset
from hybrid_rec.data.splits import leave_last_out, sample_user_rows
from hybrid_rec.errors import ConfigError, DataError
from hybrid_rec.evaluate.compare import EvaluationConfig, evaluate_stage
from hybrid_rec.evaluate.methods import HybridMethod
from hybrid_rec.evaluate.search import SearchResult, grid_search, optuna_search, plot_history
from hybrid_rec.pipeline import HybridConfig, HybridPipeline, TrainConfig, train_pipeline
from hybrid_rec.store import ModelStore, Snapshot

log = logging.getLogger(__name__)

METRIC = "ndcg@10"
PROTOCOL = (
    "each trial fits on all but each user's last two interactions, stops the LM early and fits the fusion "
    "weights on the second last, is refitted on all but the last and scored on the last (full ranking, fit "
    "items excluded); the best point is then trained on all data"
)


@dataclass(frozen=True)
class TrainSearch:
    """A finished search: its kind, the best hybrid config, every trial, and what it cost."""

    kind: str
    best: HybridConfig
    result: SearchResult
    seconds: float
    scored_users: int

    def summary(self) -> dict[str, Any]:
        """What ``search.json`` holds: the chosen parameters, the best value and every trial."""
        return {
            **self.result.summary(self.kind),
            "metric": f"held-out {METRIC}",
            "protocol": PROTOCOL,
            "scored_users": self.scored_users,
            "seconds": self.seconds,
        }

    def brief(self) -> dict[str, Any]:
        """The summary without the trials (for a model version's ``snapshot.json``)."""
        return {k: v for k, v in self.summary().items() if k not in ("trials", "protocol")} | {
            "n_trials": len(self.result.trials)
        }


def search_train(
    config: TrainConfig, *, home: str | Path | None = None, progress: bool = False, dataset: Dataset | None = None
) -> TrainSearch:
    """Run ``config.search`` over ``config.hybrid`` and return the best point (nothing is published)."""
    search = config.search
    if search is None:
        raise ConfigError("search_train: the config has no [search] table")
    dataset = dataset if dataset is not None else build_dataset(config.dataset, home)
    split = leave_last_out(dataset.interactions)
    if len(split.valid) == 0 or len(split.test) == 0:
        raise DataError("train [search]: no user has 3 or more interactions; nothing to hold out for the trials")
    base = config.hybrid  # big data: the trials score the same seeded sample of users as early stopping
    split = replace(split, test=sample_user_rows(split.test, base.validation_users, base.reranker.trainer.seed))
    external = config.external_factors.load() if config.external_factors is not None else None
    ev = EvaluationConfig(k=10, cutoffs=[10])

    def objective(point: dict[str, Any], report: Callable[[int, float], None] | None) -> float:
        hybrid = base.with_params(point, source=f"search point {point}")
        method = HybridMethod(hybrid)
        method.pipeline = HybridPipeline(hybrid, external).fit(
            split.train, dataset.catalog, valid=split.valid, progress=progress, on_epoch=report
        )
        method.refit(split.train_valid)
        _, _, per_user, _ = evaluate_stage(method, split, "test", ev, progress=False)
        value = float(np.nanmean(per_user[METRIC]))
        log.info("search %s: held-out %s %.4f", point, METRIC, value)
        return value

    start = time.perf_counter()
    params = search.params()
    if search.kind == "optuna":
        result = optuna_search("train", params, objective, search, where="search.space")
    else:
        result = grid_search(params, objective, where="search.space")
    best = base.with_params(result.best_params, source="search: the best point")
    users = len(np.unique(split.test.user))
    return TrainSearch(search.kind, best, result, time.perf_counter() - start, users)


def train_with_search(
    config: TrainConfig, *, home: str | Path | None = None, progress: bool = False
) -> tuple[HybridPipeline, str, TrainSearch | None]:
    """`train_pipeline`, after a search for the best [hybrid] when the config has a ``[search]``."""
    dataset = build_dataset(config.dataset, home)
    if config.search is None:
        return (*train_pipeline(config, progress=progress, dataset=dataset), None)
    found = search_train(config, progress=progress, dataset=dataset)
    chosen = TrainConfig(dataset=config.dataset, hybrid=found.best, external_factors=config.external_factors)
    pipeline, info = train_pipeline(chosen, progress=progress, dataset=dataset)
    return pipeline, info, found


def write_search(found: TrainSearch, directory: Path) -> list[Path]:
    """``search.json`` (the chosen parameters and every trial) and ``search.png`` (the history)."""
    summary = found.summary()
    paths = [directory / "search.json", directory / "search.png"]
    paths[0].write_text(json.dumps(summary, indent=2, default=_plain))
    plot_history({f"train [search] ({found.kind})": summary}, f"held-out {METRIC.upper()}", paths[1])
    return paths


def _plain(obj: object) -> object:
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


@dataclass(frozen=True)
class Published:
    """What `train_and_publish` did: the trained pipeline, its summary, the search (if any), the
    published store version and the search files written beside it."""

    pipeline: HybridPipeline
    info: str
    search: TrainSearch | None
    snapshot: Snapshot
    search_files: list[Path]

    def tracking(self, config: TrainConfig) -> tuple[dict[str, Any], dict[str, object], list[Path]]:
        """(params, results, artifacts) of this training for an MLflow run (``--track``)."""
        result = self.pipeline.reranker.train_result
        learned: dict[str, object] = {}
        if result is not None:
            learned = {"lm_best_valid_ndcg@10": result.best_metric, "lm_best_epoch": result.best_epoch,
                       "lm_train_seconds": result.seconds}  # fmt: skip
        learned["fusion"] = self.pipeline.fusion.weights or {}
        params = config.model_dump(mode="json")
        if self.search is not None:  # the trained config, and the chosen point beside the searched space
            params["hybrid"] = self.search.best.model_dump(mode="json")
            params["search"]["best"] = self.search.result.best_params
            learned["search"] = self.search.brief()
        return params, learned, [self.snapshot.path / "snapshot.json", *self.search_files]


def train_and_publish(
    config: TrainConfig, out: str | Path, *, home: str | Path | None = None, progress: bool = False
) -> Published:
    """Train (after the ``[search]``, if any) and publish a new version to the model store `out`, with
    ``search.json`` / ``search.png`` beside the published model."""
    pipeline, info, found = train_with_search(config, home=home, progress=progress)
    meta: dict[str, object] = {"applied_offset": 0, "events": 0, "parent": None}
    written: list[Path] = []

    def save(directory: Path) -> None:
        pipeline.save(directory)
        if found is not None:  # beside model/ and snapshot.json in the version's directory
            written.extend(write_search(found, directory.parent))

    if found is not None:
        meta["search"] = found.brief()
    snap = ModelStore(out).publish(save, meta)
    return Published(pipeline, info, found, snap, [snap.path / p.name for p in written])
