"""Batch scoring: top-k for many users, chunked, resumable, deterministic, to Parquet.

Users are cut into chunks of `chunk_users`; each chunk is scored by a worker and written as
``<out>.parts/part-NNNNN.parquet`` (temporary file, then rename), so after a crash the finished
chunks are skipped and only the rest is scored. At the end the parts are concatenated in chunk
order into `out` (atomically). Peak memory follows the chunk size. Backends: ``local``, a process
pool (``workers`` processes, each with ``threads`` torch/BLAS threads and its own model replica);
``ray``, Ray Data ``map_batches`` over an actor pool of ``workers`` actors, one model replica each,
``ray_cpus_per_actor`` CPUs (fractional by default: on a 2-core machine an actor pool that takes
every CPU starves Ray's own read tasks) and ``ray_gpus_per_actor`` GPUs. Both write the same parts,
so their outputs are identical. Ray is an optional extra (``pip install hybrid_rec[ray]``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import Field
from tqdm.auto import tqdm

from hybrid_rec._extras import require
from hybrid_rec.config import StrictModel
from hybrid_rec.data.ids import IdMap
from hybrid_rec.errors import ConfigError, DataError
from hybrid_rec.persist import CHECKSUMS
from hybrid_rec.store import resolve_model

if TYPE_CHECKING:
    from hybrid_rec.pipeline import HybridPipeline

log = logging.getLogger(__name__)

_RAY_FEATURE = "batch scoring with backend='ray'"


class BatchConfig(StrictModel):
    """`hybrid-rec score`: how many items per user, chunking, and the backend that scores the chunks."""

    k: int = Field(100, gt=0, description="Items per user in the output.")
    chunk_users: int = Field(1024, gt=0, description="Users per chunk (one Parquet part each; bounds peak memory).")
    backend: Literal["local", "ray"] = Field(
        "local", description="'local' (a process pool) or 'ray' (Ray Data actors; needs the 'ray' extra)."
    )
    workers: int = Field(1, ge=1, description="Worker processes (local) or actors (ray), one model replica each.")
    threads: int = Field(1, ge=1, description="torch / BLAS threads per worker.")
    ray_cpus_per_actor: float = Field(
        0.5, gt=0, description="CPUs reserved per Ray actor (fractional: Ray's own read tasks need some)."
    )
    ray_gpus_per_actor: float = Field(0.0, ge=0, description="GPUs per Ray actor (fractions share a GPU).")
    ray_address: str | None = Field(
        None, description="Ray cluster to join; unset: a local Ray instance started (and stopped) for this job."
    )


@dataclass(frozen=True)
class BatchResult:
    users: int
    rows: int
    chunks: int
    skipped_chunks: int
    out: Path
    unknown_users: int = 0  # users the model does not know: no rows (logged with a count)
    duplicate_users: int = 0  # repeated ids in the users list: scored once


def read_users(spec: str | Path, model_dir: Path) -> np.ndarray:
    """``all`` (every user the model knows) or a file: CSV/Parquet with a ``user_id`` column, or one id per line."""
    if str(spec) == "all":
        from hybrid_rec.pipeline import HybridPipeline

        return HybridPipeline.load_user_ids(model_dir)
    path = Path(spec)
    if not path.is_file():
        raise DataError(f"{path}: users file not found")
    try:
        if path.suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        elif path.suffix == ".csv":  # ids as written ("007" stays "007"); the model's map coerces them
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        else:
            lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
            return np.array(lines, dtype=object)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read the users file ({exc})") from None
    if "user_id" not in frame:
        raise DataError(f"{path}: no user_id column (has {list(frame.columns)})")
    return frame["user_id"].to_numpy()


def _fingerprint(values: np.ndarray) -> str:
    """SHA-256 of the ids as text, in order (what a resumed run must score)."""
    digest = hashlib.sha256()
    for v in values:
        digest.update(repr(v.item() if hasattr(v, "item") else v).encode("utf-8", "surrogatepass") + b"\n")
    return digest.hexdigest()


def _model_fingerprint(model_dir: Path) -> str:
    """SHA-256 of the model's checksum manifest (its content), or of its config when it has none."""
    path = model_dir / CHECKSUMS if (model_dir / CHECKSUMS).is_file() else model_dir / "pipeline.json"
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _readable(part: Path) -> bool:
    """True when a part is a complete Parquet file (a truncated or damaged one is scored again)."""
    try:
        pq.read_metadata(part)
    except (OSError, ValueError, pa.ArrowException):
        return False
    return True


_WORKER: dict[str, HybridPipeline] = {}


def _init_worker(model_dir: str, threads: int) -> None:
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(threads)
    threadpool_limits(threads)
    from hybrid_rec.pipeline import HybridPipeline

    _WORKER["pipeline"] = HybridPipeline.load(model_dir)


def _score_chunk(args: tuple[int, np.ndarray, int, str]) -> int:
    index, users, k, parts_dir = args
    pipeline = _WORKER["pipeline"]
    ids, internal = pipeline.ids.users(users, on_unknown="skip")  # unknown users are counted by the caller
    top = pipeline.recommend_internal(internal, k, n_candidates=max(pipeline.config.n_candidates, k))
    valid = top.items >= 0
    rows = np.repeat(np.arange(len(ids)), k).reshape(-1, k)
    frame = pd.DataFrame(
        {
            "user_id": ids[rows[valid]],
            "item_id": pipeline.generator.items.to_external(top.items[valid]),
            "rank": np.tile(np.arange(1, k + 1), (len(ids), 1))[valid].astype(np.int32),
            "score": top.scores[valid].astype(np.float32),
        }
    )
    return _write_part(frame, index, parts_dir)


def _write_part(frame: pd.DataFrame, index: int, parts_dir: str) -> int:
    """Write one chunk's rows as ``part-NNNNN.parquet`` (a temporary file, then a rename); its row count."""
    final = Path(parts_dir) / f"part-{index:05d}.parquet"
    tmp = final.with_suffix(".tmp")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, final)
    return len(frame)


def _start_parts(out: Path, manifest: dict[str, object], n_chunks: int, what: str) -> tuple[Path, list[int]]:
    """The parts directory next to `out` for this run's `manifest` (a different run's parts are an
    error naming what may have changed) and the chunks still to do (missing or unreadable parts)."""
    parts = out.with_name(out.name + ".parts")
    parts.mkdir(parents=True, exist_ok=True)
    mpath = parts / "manifest.json"
    if mpath.is_file() and json.loads(mpath.read_text()) != manifest:
        raise ConfigError(
            f"{parts}: holds parts of a different run (the model, {what} or the chunking changed); "
            "delete that directory to start over"
        )
    mpath.write_text(json.dumps(manifest, indent=2))
    todo = [i for i in range(n_chunks) if not _readable(parts / f"part-{i:05d}.parquet")]
    if n_chunks - len(todo):
        log.info("resuming: %d of %d chunks already written", n_chunks - len(todo), n_chunks)
    return parts, todo


def _finish_parts(out: Path, parts: Path, n_chunks: int) -> int:
    """Concatenate the parts in chunk order into `out` (atomically); the row count."""
    result = pd.concat([pd.read_parquet(parts / f"part-{i:05d}.parquet") for i in range(n_chunks)], ignore_index=True)
    tmp = out.with_name(out.name + ".tmp")
    result.to_parquet(tmp, index=False)
    os.replace(tmp, out)
    return len(result)


def _run_local(
    work: Callable[[Any], int], tasks: list[Any], model_dir: Path, config: BatchConfig, desc: str, progress: bool
) -> None:
    """Run the chunk `tasks` with `work` in this process (one worker) or a pool of `config.workers`
    processes, each loading its own model replica."""
    if config.workers == 1:
        _init_worker(str(model_dir), config.threads)
        for task in tqdm(tasks, desc=desc, disable=not progress):
            work(task)
        return
    with ProcessPoolExecutor(config.workers, initializer=_init_worker, initargs=(str(model_dir), config.threads)) as pool:
        for _ in tqdm(pool.map(work, tasks), total=len(tasks), desc=desc, disable=not progress):
            pass


def score(
    model: str | Path, users: str | Path, out: str | Path, config: BatchConfig | None = None, progress: bool = False
) -> BatchResult:
    """Score `users` (``all`` or a file) with the model and write top-k rows to `out` (Parquet)."""
    config = config or BatchConfig()
    if config.backend == "ray":
        require("ray", "ray", _RAY_FEATURE)  # before any work
    out = Path(out)
    if out.is_dir():
        raise DataError(f"{out}: is a directory; --out names the Parquet file to write")
    model_dir, version, _ = resolve_model(model)
    user_ids, unknown, duplicates = _users_to_score(read_users(users, model_dir), model_dir)
    n_chunks = (len(user_ids) + config.chunk_users - 1) // config.chunk_users
    manifest = {
        "model": str(model_dir.resolve()),
        "version": version,
        "model_sha256": _model_fingerprint(model_dir),
        "users": len(user_ids),
        "users_sha256": _fingerprint(user_ids),
        "k": config.k,
        "chunk_users": config.chunk_users,
        "chunks": n_chunks,
    }
    parts, todo = _start_parts(out, manifest, n_chunks, "the users, k")
    skipped = n_chunks - len(todo)
    tasks = [(i, user_ids[i * config.chunk_users : (i + 1) * config.chunk_users], config.k, str(parts)) for i in todo]
    if tasks and config.backend == "ray":
        _score_ray(model_dir, tasks, config, progress)
    elif tasks:
        _run_local(_score_chunk, tasks, model_dir, config, "score", progress)
    rows = _finish_parts(out, parts, n_chunks)
    return BatchResult(len(user_ids), rows, n_chunks, skipped, out, unknown, duplicates)


# ---------------------------------------------------------------------------- reranking files


def read_candidates(path: str | Path) -> list[tuple[object, np.ndarray]]:
    """(user id, candidate ids) per user of a CSV / Parquet file with ``user_id`` and ``item_id``
    columns (ids as written: the model's map coerces them), users in first-seen order; a user's
    candidates in file order, or best first by an optional numeric ``score`` column."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: candidates file not found; give a CSV/Parquet of user_id,item_id[,score]")
    try:
        if path.suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, sep=None, engine="python")
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read the candidates file ({exc})") from None
    missing = {"user_id", "item_id"} - set(frame.columns)
    if missing:
        raise DataError(f"{path}: columns {sorted(missing)} missing (has {list(frame.columns)}); expected user_id,item_id[,score]")
    if not len(frame):
        raise DataError(f"{path}: no candidate rows")
    frame = frame.assign(_row=np.arange(len(frame)), _user=pd.factorize(frame["user_id"])[0])
    if "score" in frame.columns:
        score = pd.to_numeric(frame["score"], errors="coerce")
        if score.isna().any():
            bad = int(np.flatnonzero(score.isna().to_numpy())[0])
            raise DataError(f"{path}: score {frame['score'].iloc[bad]!r} (row {bad + 1}) is not a number")
        frame = frame.assign(_score=-score).sort_values(["_user", "_score", "_row"], kind="stable")
    else:
        frame = frame.sort_values(["_user", "_row"], kind="stable")
    users = frame["user_id"].to_numpy()
    items = frame["item_id"].to_numpy()
    cuts = np.flatnonzero(np.diff(frame["_user"].to_numpy())) + 1
    return [(u[0], it) for u, it in zip(np.split(users, cuts), np.split(items, cuts), strict=True)]


def _rerank_chunk(args: tuple[int, list[tuple[object, np.ndarray]], int | None, str, bool]) -> int:
    index, lists, k, parts_dir, exclude_seen = args
    pipeline = _WORKER["pipeline"]
    recs = pipeline.rerank_many([(u, list(items)) for u, items in lists], k, exclude_seen=exclude_seen)
    frame = pd.DataFrame(
        {
            # users as the file spells them: the model's map reads "42" as 42 for a known user and
            # keeps an unknown one's text, and one Parquet column holds one type
            "user_id": [u for (u, _), row in zip(lists, recs, strict=True) for _ in row],
            "item_id": [r.item_id for row in recs for r in row],
            "rank": np.array([r.rank for row in recs for r in row], np.int32),
            "score": np.array([r.score for row in recs for r in row], np.float32),
        }
    )
    return _write_part(frame, index, parts_dir)


def rerank(
    model: str | Path,
    candidates: str | Path,
    out: str | Path,
    config: BatchConfig | None = None,
    k: int | None = None,
    progress: bool = False,
    exclude_seen: bool = True,
) -> BatchResult:
    """Rerank every user's candidate list of a file (`read_candidates`) with the model, through the one
    scoring path (`HybridPipeline.rerank_many`), and write ``user_id, item_id, rank, score`` rows to
    `out` (Parquet; the best `k` per user, all when unset). Chunked and resumable as `score` is (the
    same manifest checks: another model, file, k, chunking or `exclude_seen` is refused); candidates the model
    does not know are dropped, and with `exclude_seen` those the user already has; a user it does not know is
    scored from the LM's prior and popularity."""
    config = config or BatchConfig()
    if config.backend != "local":
        raise ConfigError("rerank: backend must be 'local' (a process pool); Ray serves `score`")
    out = Path(out)
    if out.is_dir():
        raise DataError(f"{out}: is a directory; --out names the Parquet file to write")
    model_dir, version, _ = resolve_model(model)
    lists = read_candidates(candidates)
    n_chunks = (len(lists) + config.chunk_users - 1) // config.chunk_users
    digest = hashlib.sha256(Path(candidates).read_bytes()).hexdigest()
    manifest = {"model": str(model_dir.resolve()), "version": version, "model_sha256": _model_fingerprint(model_dir),
                "task": "rerank", "users": len(lists), "candidates_sha256": digest, "k": k, "exclude_seen": exclude_seen,
                "chunk_users": config.chunk_users, "chunks": n_chunks}  # fmt: skip
    parts, todo = _start_parts(out, manifest, n_chunks, "the candidates, k, exclude_seen")
    tasks = [(i, lists[i * config.chunk_users : (i + 1) * config.chunk_users], k, str(parts), exclude_seen) for i in todo]
    if tasks:
        _run_local(_rerank_chunk, tasks, model_dir, config, "rerank", progress)
    rows = _finish_parts(out, parts, n_chunks)
    return BatchResult(len(lists), rows, n_chunks, n_chunks - len(todo), out)


def _users_to_score(ids: np.ndarray, model_dir: Path) -> tuple[np.ndarray, int, int]:
    """The users to score, each once in first-seen order, and the counts of unknown and repeated ids
    (logged: unknown users get no rows, a repeated id is scored once)."""
    from hybrid_rec.pipeline import HybridPipeline

    if len(ids) == 0:
        raise DataError("batch: no users to score")
    known_ids = HybridPipeline.load_user_ids(model_dir)
    first = pd.Index(ids).duplicated(keep="first")
    unique = np.asarray(ids, dtype=object)[~first]
    coerced = IdMap(known_ids, name="user").coerce(unique)
    unknown = int((~pd.Index(coerced).isin(pd.Index(known_ids))).sum())
    if first.any():
        log.warning("batch: %d repeated user ids are scored once", int(first.sum()))
    if unknown:
        log.warning("batch: %d of %d users are not known to the model and get no rows", unknown, len(unique))
    return unique, unknown, int(first.sum())


class _RayScorer:
    """A Ray actor: one model replica, scoring whole chunks."""

    def __init__(self, model_dir: str, threads: int) -> None:
        _init_worker(model_dir, threads)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        rows = [
            _score_chunk((int(i), np.asarray(list(users), dtype=object), int(k), str(parts)))
            for i, users, k, parts in zip(batch["index"], batch["users"], batch["k"], batch["parts"], strict=True)
        ]
        return {"index": np.asarray(batch["index"]), "rows": np.asarray(rows)}


def _score_ray(
    model_dir: Path, tasks: list[tuple[int, np.ndarray, int, str]], config: BatchConfig, progress: bool
) -> None:
    import ray  # present: `score` checked it first
    started = not ray.is_initialized()
    if started:
        ray.init(
            address=config.ray_address,
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
            ignore_reinit_error=True,
        )
    try:
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = progress
        items = [
            {"index": i, "users": [u.item() if hasattr(u, "item") else u for u in users], "k": k, "parts": parts}
            for i, users, k, parts in tasks
        ]
        dataset = ray.data.from_items(items, override_num_blocks=len(items))
        dataset.map_batches(
            _RayScorer,
            fn_constructor_args=(str(model_dir), config.threads),
            batch_size=1,
            concurrency=config.workers,
            num_cpus=config.ray_cpus_per_actor,
            num_gpus=config.ray_gpus_per_actor,
        ).materialize()
    finally:
        if started:
            ray.shutdown()
