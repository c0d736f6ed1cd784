"""Replay simulation: does updating on new feedback pay off, on your own data?

A global temporal cut splits the data; a pipeline is trained on the rows before it. The rows after
it stream in time order in `chunks`. Before each chunk, every user of the chunk gets a top-k
(users the model has not seen yet get the popularity fallback), scored against the items they
actually interacted with in the chunk (items seen before are excluded for every mode alike). Then
the chunk is fed back, per mode:

- ``none``: never updated;
- ``cf``: incremental first-stage update (ALS users/items, FAISS vectors, histories);
- ``cf+reranker``: the same plus a short reranker fine-tune with a replay buffer;
- ``retrain``: every ``retrain_every`` chunks the whole pipeline is trained again from scratch.
"""

from __future__ import annotations

import itertools
import json
import logging
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from pydantic import Field
from tqdm.auto import tqdm

from hybrid_rec.config import StrictModel
from hybrid_rec.data.catalog import ItemCatalog
from hybrid_rec.data.config import DatasetConfig, build_dataset
from hybrid_rec.data.interactions import Interactions
from hybrid_rec.data.splits import leave_last_out, temporal_split
from hybrid_rec.errors import ConfigError
from hybrid_rec.feedback.updater import UpdaterConfig, finetune_reranker
from hybrid_rec.metrics import paired_bootstrap, ranking_metrics
from hybrid_rec.pipeline import HybridConfig, HybridPipeline

log = logging.getLogger(__name__)
Mode = Literal["none", "cf", "cf+reranker", "retrain"]
MODES: tuple[Mode, ...] = ("none", "cf", "cf+reranker", "retrain")


class SimulationConfig(StrictModel):
    """The replay: where the stream starts, how it is cut, which update strategies are compared."""

    test_quantile: float = Field(
        0.9, gt=0, lt=1, description="Timestamp quantile where the stream starts; earlier rows train the base model."
    )
    chunks: int = Field(10, gt=0, description="Equal-size chunks the stream is cut into (each scored, then fed back).")
    modes: list[Mode] = Field(
        default_factory=lambda: list(MODES),
        description="Update strategies compared: 'none', 'cf', 'cf+reranker', 'retrain' (see the module doc).",
    )
    retrain_every: int = Field(5, gt=0, description="'retrain': train from scratch every this many chunks.")
    k: int = Field(10, gt=0, description="Cut-off of the per-chunk NDCG@k and HR@k.")
    bootstrap: int = Field(1000, gt=0, description="Paired bootstrap resamples for the CIs of the mode comparisons.")
    seed: int = Field(0, description="Seed of the bootstrap.")
    updater: UpdaterConfig = Field(
        default_factory=UpdaterConfig, description="The 'cf+reranker' fine-tune (epochs, rate, replay)."
    )


class SimulateConfig(StrictModel):
    """`hybrid-rec simulate`: the data, the replay and the hybrid pipeline being updated."""

    dataset: DatasetConfig = Field(default_factory=DatasetConfig, description="Where the interactions come from.")
    simulate: SimulationConfig = Field(default_factory=SimulationConfig, description="The replay.")
    hybrid: HybridConfig = Field(default_factory=HybridConfig, description="The pipeline trained and updated.")


def _train(config: HybridConfig, rows: Interactions, catalog: ItemCatalog | None, progress: bool) -> HybridPipeline:
    inner = leave_last_out(rows)
    pipe = HybridPipeline(config).fit(inner.train_valid, catalog, valid=inner.test, progress=progress)
    return pipe.refit(rows)


def _copy(pipeline: HybridPipeline, workdir: Path, name: str) -> HybridPipeline:
    pipeline.save(workdir / name)
    return HybridPipeline.load(workdir / name)


def _chunk_scores(
    pipe: HybridPipeline, chunk: Interactions, seen: sp.csr_matrix, users_ext: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per-user NDCG@k and HR@k on one chunk. `seen` and `chunk` use the dataset's full id maps; the
    model's own maps may be smaller (base only) or grown (after updates)."""
    gen = pipe.generator
    full_u = chunk.users.to_internal(users_ext)
    to_model = gen.items.to_internal(chunk.items.ids, on_unknown="fallback")
    ex = seen[full_u].tocoo()
    cols = to_model[ex.col]
    keep = cols >= 0
    exclude = sp.csr_matrix(
        (np.ones(int(keep.sum())), (ex.row[keep], cols[keep])), shape=(len(users_ext), len(gen.items))
    )
    known = gen.users.to_internal(users_ext, on_unknown="fallback")
    items = np.full((len(users_ext), k), -1, np.int64)
    if (known >= 0).any():
        items[known >= 0] = pipe.recommend_internal(known[known >= 0], k, exclude[np.flatnonzero(known >= 0)]).items
    if (known < 0).any():  # users the model has not seen yet: the popularity fallback
        items[known < 0] = gen.popular(k, exclude[np.flatnonzero(known < 0)]).items
    valid = items >= 0
    top_full = np.full(items.shape, -1, np.int64)  # in the dataset's full item ids
    top_full[valid] = chunk.items.to_internal(gen.items.to_external(items[valid]))
    targets = chunk.to_csr("binary")[full_u]
    targets = (targets - targets.multiply(seen[full_u])) > 0  # only items new to the user count
    metrics = ranking_metrics(top_full, sp.csr_matrix(targets, dtype=np.float64), [k])
    return metrics[f"ndcg@{k}"], metrics[f"hr@{k}"]


def _mean(values: np.ndarray) -> float:
    """Mean over users with something to hit (NaN when a chunk has none)."""
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")


def stream_chunks(inter: Interactions, sim: SimulationConfig) -> tuple[Interactions, list[Interactions]]:
    """The base rows (before the temporal cut) and the rest in `sim.chunks` time-ordered chunks."""
    split = temporal_split(inter, test_quantile=sim.test_quantile)
    stream = inter.subset(inter.timestamp >= split.info["test_start"])
    order = np.argsort(stream.timestamp, kind="stable")
    bounds = np.linspace(0, len(order), sim.chunks + 1).astype(int)
    chunks = [stream.subset(np.sort(order[a:b])) for a, b in itertools.pairwise(bounds)]
    if any(len(c) == 0 for c in chunks):
        raise ConfigError(f"simulate: {len(stream)} streamed rows cannot fill {sim.chunks} chunks")
    return split.train_valid, chunks


def replay(
    mode: str,
    pipe: HybridPipeline,
    base: Interactions,
    chunks: list[Interactions],
    config: SimulateConfig,
    retrain: Callable[[Interactions], HybridPipeline],
    progress: bool = False,
) -> tuple[dict[str, Any], np.ndarray]:
    """Score each chunk with the model as it stands, then let `mode` absorb the chunk; returns the
    mode's report entry and the per-user NDCG@k over all chunks."""
    sim = config.simulate
    seen_rows = base
    seen = base.to_csr("binary")
    per_chunk, scores, hits, chunk_updates = [], [], [], []
    for c, chunk in enumerate(tqdm(chunks, desc=f"simulate {mode}", disable=not progress, leave=False)):
        users_ext = chunk.users.to_external(np.unique(chunk.user))  # every user of the chunk
        ndcg, hr = _chunk_scores(pipe, chunk, seen, users_ext, sim.k)
        per_chunk.append({f"ndcg@{sim.k}": _mean(ndcg), f"hr@{sim.k}": _mean(hr), "users": int((~np.isnan(ndcg)).sum())})
        scores.append(ndcg)
        hits.append(hr)
        seen_rows = seen_rows.concat(chunk)
        seen = seen_rows.to_csr("binary")
        t0 = time.perf_counter()
        if mode in ("cf", "cf+reranker"):
            touched, _ = pipe.update(chunk)
            if mode == "cf+reranker":
                finetune_reranker(pipe, touched, sim.updater)
        elif mode == "retrain" and (c + 1) % sim.retrain_every == 0 and c + 1 < len(chunks):
            pipe = retrain(seen_rows)
        chunk_updates.append(time.perf_counter() - t0)
    all_users = np.concatenate(scores)
    entry = {
        f"ndcg@{sim.k}": _mean(all_users),
        f"hr@{sim.k}": _mean(np.concatenate(hits)),
        "update_seconds": float(np.sum(chunk_updates)),
        "mean_chunk_update_seconds": float(np.mean(chunk_updates[:-1])) if len(chunk_updates) > 1 else 0.0,
        "per_chunk": per_chunk,
    }
    log.info("%s: stream NDCG@10 %.4f, updates %.1fs", mode, entry[f"ndcg@{sim.k}"], entry["update_seconds"])
    return entry, all_users


def run_simulation(
    config: SimulateConfig, out: str | Path, *, home: str | Path | None = None, progress: bool = False
) -> dict[str, Any]:
    """Replay the stream after a temporal cut in chunks under each mode; write ``simulate.json`` and
    ``simulate.png`` into `out`. Returns the report."""
    sim = config.simulate
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    dataset = build_dataset(config.dataset, home)
    base, chunks = stream_chunks(dataset.interactions, sim)
    start = time.perf_counter()
    trained = _train(config.hybrid, base, dataset.catalog, progress)
    full_train_seconds = time.perf_counter() - start
    streamed = sum(len(c) for c in chunks)
    log.info("base pipeline trained in %.0fs on %d rows; %d rows stream in %d chunks", full_train_seconds,
             len(base), streamed, sim.chunks)  # fmt: skip
    report: dict[str, Any] = {
        "chunks": sim.chunks,
        "k": sim.k,
        "rows_base": len(base),
        "rows_stream": streamed,
        "full_train_seconds": full_train_seconds,
        "modes": {},
        "comparisons": {},
    }
    per_user: dict[str, np.ndarray] = {}
    retrain = partial(_train, config.hybrid, catalog=dataset.catalog, progress=False)
    with tempfile.TemporaryDirectory(prefix="simulate-") as tmp:
        for mode in sim.modes:
            pipe = _copy(trained, Path(tmp), f"base-{mode}")
            report["modes"][mode], per_user[mode] = replay(mode, pipe, base, chunks, config, retrain, progress)
    for mode in sim.modes:
        if mode != "none" and "none" in per_user:
            a, b = per_user[mode], per_user["none"]
            ok = ~(np.isnan(a) | np.isnan(b))
            res = paired_bootstrap(a[ok], b[ok], sim.bootstrap, sim.seed)
            report["comparisons"][f"{mode}_vs_none"] = {"metric": f"ndcg@{sim.k}", "delta": res.estimate,
                                                        "ci95": [res.low, res.high]}  # fmt: skip
    (out / "simulate.json").write_text(json.dumps(report, indent=2))
    plot_simulation(report, out / "simulate.png")
    return report


def plot_simulation(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    for mode, m in report["modes"].items():
        ax.plot(
            range(1, len(m["per_chunk"]) + 1),
            [p[f"ndcg@{report['k']}"] for p in m["per_chunk"]],
            marker="o",
            label=mode,
        )
    ax.set_xlabel("chunk of the stream (time order)")
    ax.set_ylabel(f"NDCG@{report['k']} before the chunk is fed back")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
