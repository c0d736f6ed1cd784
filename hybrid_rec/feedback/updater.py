"""Apply logged events to the live model, guarded, and publish a new snapshot.

`apply_pending` loads the live snapshot and its applied offset, reads the next micro-batch of
events from the log, and updates a copy of the model: ALS re-solves the touched users and items,
their FAISS vectors are replaced, histories grow, negatives remove earlier positives; optionally
the reranker is fine-tuned on the new histories plus a replay buffer of older ones. A guard holds
out each user's last new positive: if NDCG@10 on those falls by more than ``guard_tolerance``
against the old model, nothing is published and the reason is recorded. Otherwise the new
snapshot, with the new applied offset, is published atomically. A crash at any point leaves the
old snapshot live and the events in the log, so the next run applies them exactly once.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import Field

from hybrid_rec.config import StrictModel
from hybrid_rec.data.ids import IdMap
from hybrid_rec.data.interactions import Interactions
from hybrid_rec.errors import ConflictError
from hybrid_rec.feedback.events import Event, FeedbackConfig
from hybrid_rec.feedback.log import EventStore
from hybrid_rec.metrics import ranking_metrics
from hybrid_rec.pipeline import HybridPipeline
from hybrid_rec.rerank.examples import build_examples
from hybrid_rec.rerank.trainer import Trainer, TrainerConfig
from hybrid_rec.store import ModelStore

log = logging.getLogger(__name__)


class UpdaterConfig(StrictModel):
    batch_size: int = Field(50_000, gt=0, description="Events per micro-batch; each accepted one is a new version.")
    guard_tolerance: float = Field(
        0.01, ge=0, description="Largest tolerated drop of held-out NDCG@10 (absolute) before an update is refused."
    )
    guard_min_users: int = Field(
        20, ge=1, description="The guard runs when at least this many known users have a new positive to hold out."
    )
    finetune: bool = Field(False, description="Also fine-tune the reranker on the touched users' histories.")
    finetune_epochs: int = Field(1, gt=0, description="Epochs of that fine-tune.")
    finetune_lr: float = Field(2e-4, gt=0, description="Learning rate of that fine-tune (low, to keep what it knew).")
    replay_windows: int = Field(
        256, ge=0, description="Histories of other users replayed in the fine-tune against forgetting (0 = none)."
    )
    seed: int = Field(0, description="Seed of the replay sample and the fine-tune.")


@dataclass(frozen=True)
class ApplyResult:
    events: int
    applied_offset: int
    version: int | None
    published: bool
    reason: str
    guard: dict[str, float] | None = None
    seconds: float = 0.0


def _typed(ids: list[object], idmap: IdMap) -> tuple[np.ndarray, np.ndarray]:
    """`ids` in the id type of `idmap` and which of them can take it: an integer-keyed model reads
    "42" as 42 and cannot hold "stranger"; a text-keyed model reads 42 as "42"."""
    values = idmap.coerce(ids)
    if len(idmap) and np.issubdtype(idmap.ids.dtype, np.integer):
        ok = np.array([isinstance(v, int | np.integer) and not isinstance(v, bool) for v in values], bool)
        return values, ok
    return np.array([str(v) if isinstance(v, int | np.integer) else v for v in values], dtype=object), np.ones(
        len(values), bool
    )


def to_interactions(events: list[Event], pipeline: HybridPipeline, config: FeedbackConfig) -> Interactions:
    """Positive events as `Interactions` (weight = confidence), keyed by the model's id types. Events
    whose ids cannot take those types (text for an integer-keyed model) are skipped with a warning,
    so that one of them does not hold back the batch forever."""
    pos = [e for e in events if not e.is_negative(config) and e.confidence(config) > 0]
    gen = pipeline.generator
    users, users_ok = _typed([e.user_id for e in pos], gen.users)
    items, items_ok = _typed([e.item_id for e in pos], gen.items)
    keep = users_ok & items_ok
    if not keep.all():
        bad = int(np.flatnonzero(~keep)[0])
        log.warning("feedback: %d events name ids this integer-keyed model cannot hold (e.g. user %r, item %r); "
                    "skipped", int((~keep).sum()), pos[bad].user_id, pos[bad].item_id)  # fmt: skip
    frame = pd.DataFrame(
        {
            "user_id": users[keep],
            "item_id": items[keep],
            "timestamp": [e.timestamp for e, k in zip(pos, keep, strict=True) if k],
            "weight": [e.confidence(config) for e, k in zip(pos, keep, strict=True) if k],
        }
    )
    if frame.empty:
        return Interactions(
            np.empty(0, np.int32),
            np.empty(0, np.int32),
            np.empty(0),
            np.empty(0, np.float32),
            IdMap([], name="user"),
            IdMap([], name="item"),
        )
    return Interactions.from_dataframe(frame, {"weight": "weight"}, source="feedback", duplicates="drop")


def apply_negatives(events: list[Event], pipeline: HybridPipeline, config: FeedbackConfig) -> int:
    """Remove earlier positives the user now rejects (skip/dislike); returns the pairs removed."""
    if not config.negatives_remove_positive:
        return 0
    neg = [e for e in events if e.is_negative(config)]
    gen = pipeline.generator
    if not neg:
        return 0
    u = gen.users.to_internal(gen.users.coerce([e.user_id for e in neg]), on_unknown="fallback")
    i = gen.items.to_internal(gen.items.coerce([e.item_id for e in neg]), on_unknown="fallback")
    known = (u >= 0) & (i >= 0)
    if not known.any():
        return 0
    m = gen.als.user_items
    present = np.asarray(m[u[known], i[known]]).ravel() > 0
    if present.any():
        gen.als.remove_pairs(u[known][present], i[known][present])
    return int(present.sum())


def guard_ndcg(pipeline: HybridPipeline, users: np.ndarray, targets: np.ndarray, k: int = 10) -> float:
    """NDCG@k of the pipeline's recommendations for `users` against one target item each (internal ids)."""
    import scipy.sparse as sp

    top = pipeline.recommend_internal(users, k)
    t = sp.csr_matrix(
        (np.ones(len(users)), (np.arange(len(users)), targets)),
        shape=(len(users), max(int(targets.max()) + 1, int(top.items.max()) + 1)),
    )
    return float(np.nanmean(ranking_metrics(top.items, t, [k])[f"ndcg@{k}"]))


def negatives_by_user(events: list[Event], pipeline: HybridPipeline, config: FeedbackConfig) -> dict[int, np.ndarray]:
    """Skipped / disliked items per user (internal ids of the model), for the reranker's fine-tune."""
    gen = pipeline.generator
    neg = [e for e in events if e.is_negative(config)]
    if not neg:
        return {}
    u = gen.users.to_internal(gen.users.coerce([e.user_id for e in neg]), on_unknown="fallback")
    i = gen.items.to_internal(gen.items.coerce([e.item_id for e in neg]), on_unknown="fallback")
    out: dict[int, list[int]] = {}
    for uu, ii in zip(u, i, strict=True):
        if uu >= 0 and ii >= 0:
            out.setdefault(int(uu), []).append(int(ii))
    return {k: np.asarray(v, np.int64) for k, v in out.items()}


def finetune_reranker(
    pipeline: HybridPipeline, users: np.ndarray, config: UpdaterConfig, negatives: dict[int, np.ndarray] | None = None
) -> None:
    """A short, low-rate pass on the touched users' histories plus a replay buffer of older users.

    Each touched user's newest item is contrasted with their shown-but-skipped / disliked items
    (`negatives`) and their current first-stage candidates (hard negatives)."""
    rr = pipeline.reranker
    gen = pipeline.generator
    n_tokens = rr.tokenizer.n_items
    rng = np.random.default_rng(config.seed)
    others = np.setdiff1d(np.fromiter(rr.histories.keys(), np.int64), users)
    replay = rng.choice(others, min(config.replay_windows, len(others)), replace=False) if len(others) else others
    chosen = {int(u): rr.histories[int(u)] for u in np.concatenate([users, replay]) if int(u) in rr.histories}
    chosen = {u: h[h < n_tokens] for u, h in chosen.items()}
    hard: dict[int, np.ndarray] = {}
    if len(users):
        cands = gen.generate(np.asarray(users), 50).items
        for u, row in zip(users, cands, strict=True):
            pool = np.unique(np.concatenate([(negatives or {}).get(int(u), np.empty(0, np.int64)), row[row >= 0]]))
            hard[int(u)] = pool[pool < n_tokens]
    examples = build_examples(
        chosen,
        rr.verbalizer,
        rr.tokenizer,
        rr.model.config.n_positions,
        rng,
        attributes=rr._attributes,
        negatives=hard,
    )
    if not examples:
        return
    rr.start_id_rows(np.concatenate([e.item_targets[:, 1] for e in examples]))  # new items: id rows too
    cfg = TrainerConfig(
        epochs=config.finetune_epochs,
        lr=config.finetune_lr,
        warmup_steps=0,
        hard_negative_weight=0.2 if hard else 0.0,
        seed=config.seed,
    )
    Trainer(rr.model, rr.tokenizer, cfg, progress=False).train(examples, None)
    rr.reset_scorer()


@contextlib.contextmanager
def _one_applier(store: ModelStore) -> Iterator[None]:
    """At most one `apply_pending` per store at a time (an exclusive, non-blocking flock): a second
    run would redo the same batch only to be refused at publish time."""
    with open(store.root / ".apply.lock", "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConflictError(f"{store.root}: another `feedback apply` is running on this store") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def apply_pending(
    store: ModelStore,
    event_log: EventStore,
    config: UpdaterConfig | None = None,
) -> ApplyResult:
    """Apply the next micro-batch of logged events to the live model and publish (or refuse) it.
    `ConflictError` when another apply is running on the same store."""
    with _one_applier(store):
        return _apply_pending(store, event_log, config)


def _apply_pending(store: ModelStore, event_log: EventStore, config: UpdaterConfig | None) -> ApplyResult:
    config = config or UpdaterConfig()
    start = time.perf_counter()
    snap = store.current()
    offset = int(snap.meta.get("applied_offset", 0))
    batch = event_log.read(after=offset, limit=config.batch_size)
    if not batch:
        return ApplyResult(0, offset, snap.version, False, "no pending events")
    new_offset = batch[-1].offset
    events = [b.event for b in batch]
    fb = event_log.config
    old = HybridPipeline.load(snap.path / "model")
    new = HybridPipeline.load(snap.path / "model")
    positives = to_interactions(events, new, fb)

    # Guard: each known user's last new positive is held out; the rest is applied first.
    guard = None
    if len(positives):
        gen = old.generator
        ext_u = positives.users.to_external(positives.user)
        ext_i = positives.items.to_external(positives.item)
        known = (gen.users.to_internal(ext_u, on_unknown="fallback") >= 0) & (
            gen.items.to_internal(ext_i, on_unknown="fallback") >= 0
        )
        order = np.lexsort((np.arange(len(positives)), positives.timestamp, positives.user))
        last = np.zeros(len(positives), bool)
        last[order[np.r_[positives.user[order][1:] != positives.user[order][:-1], True]]] = True
        hold = last & known
        if hold.sum() >= config.guard_min_users:
            users = gen.users.to_internal(ext_u[hold])
            targets = gen.items.to_internal(ext_i[hold])
            apply_negatives(events, old, fb)
            before = guard_ndcg(old, users, targets)
            apply_negatives(events, new, fb)
            touched, _ = new.update(positives.subset(~hold))
            if config.finetune:
                finetune_reranker(new, touched, config, negatives_by_user(events, new, fb))
            after = guard_ndcg(new, users, targets)
            guard = {"before": before, "after": after, "users": float(hold.sum())}
            if after < before - config.guard_tolerance:
                reason = (
                    f"guard: held-out NDCG@10 fell from {before:.4f} to {after:.4f} "
                    f"(tolerance {config.guard_tolerance}); update not published"
                )
                log.warning(reason)
                with open(store.root / "rejections.jsonl", "a") as fh:
                    fh.write(
                        json.dumps(
                            {"at": time.time(), "from_offset": offset, "to_offset": new_offset, "reason": reason}
                        )
                        + "\n"
                    )
                return ApplyResult(len(events), offset, snap.version, False, reason, guard, time.perf_counter() - start)
            new.update(positives.subset(hold))
        else:
            apply_negatives(events, new, fb)
            touched, _ = new.update(positives)
            if config.finetune:
                finetune_reranker(new, touched, config, negatives_by_user(events, new, fb))
    else:
        apply_negatives(events, new, fb)
    meta: dict[str, object] = {"applied_offset": new_offset, "events": len(events), "guard": guard, "parent": snap.version}
    try:
        published = store.publish(new.save, meta, parent=snap.version)
    except ConflictError as exc:  # another writer (e.g. POST /items) published meanwhile: apply again on top
        log.warning("%s", exc)
        return ApplyResult(len(events), offset, store.current().version, False, f"not published, events stay pending: {exc}",
                           guard, time.perf_counter() - start)  # fmt: skip
    return ApplyResult(
        len(events), new_offset, published.version, True, "published", guard, time.perf_counter() - start
    )


def publish_items(store: ModelStore, rows: pd.DataFrame, attempts: int = 3) -> tuple[list[object], int]:
    """Add or re-describe catalog items (`rows`, indexed by item id; ids given as text are read in
    the model's id type) in the live model and publish the result (the applied event offset carries over). A version published meanwhile by another writer
    is picked up and the items added to it again, up to `attempts` times. Returns (the ids new to the
    model, the published version)."""
    for attempt in range(attempts):
        snap = store.current()
        pipeline = HybridPipeline.load(snap.path / "model")
        rows = rows.set_axis(pipeline.generator.items.coerce(list(rows.index)))  # "42" is 42 for integer ids
        added = [*pipeline.add_items(rows)]
        meta: dict[str, object] = {
            "applied_offset": int(snap.meta.get("applied_offset", 0)),
            "events": 0,
            "items_added": len(added),
            "items_described": len(rows),
            "parent": snap.version,
        }
        try:
            return added, store.publish(pipeline.save, meta, parent=snap.version).version
        except ConflictError:
            if attempt == attempts - 1:
                raise
            log.info("publish_items: another version was published meanwhile; adding the items to it")
    raise ConflictError("publish_items: attempts must be at least 1")


def bootstrap_store(store: ModelStore, pipeline: HybridPipeline, applied_offset: int = 0) -> None:
    """Publish a freshly trained pipeline as the store's first version."""
    store.publish(pipeline.save, {"applied_offset": applied_offset, "events": 0, "parent": None})
