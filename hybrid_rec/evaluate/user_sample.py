"""A small, JSON-able look at a few test users for report.html: their recent history, the held-out
item(s) and each method's top k as written to ``recs/<method>.parquet``, with the ranks that hit."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hybrid_rec.data.catalog import ItemCatalog
from hybrid_rec.data.interactions import Interactions
from hybrid_rec.data.splits import Split


def user_sample(
    split: Split,
    catalog: ItemCatalog | None,
    recs_dir: Path,
    methods: Sequence[str],
    *,
    n: int,
    k: int,
    seed: int,
    history: int = 10,
) -> dict[str, Any] | None:
    """`n` test users drawn with `seed` (sorted by internal id), each with their last `history` train +
    validation items (oldest first), their test items and every method's first `k` recommendations, read
    back from the recs files (so the page shows what they hold). Ids are text; ``items`` maps each id
    shown to its catalog line (`ItemCatalog.describe`; the id itself without a catalog entry); ``hits``
    holds the 1-based ranks of each list whose item is held out. None when `n` is 0 or there is no test user."""
    test_users = np.unique(split.test.user)
    if n <= 0 or not len(test_users):
        return None
    chosen = np.sort(np.random.default_rng(seed).choice(test_users, size=min(n, len(test_users)), replace=False))
    external = [str(u) for u in split.test.users.to_external(chosen)]
    ids: dict[str, object] = {}  # text id -> the id as the data and the catalog hold it
    past = _per_user(split.train_valid, chosen, ids)
    held = _per_user(split.test, chosen, ids)
    recs = {m: _top(recs_dir / f"{m}.parquet", set(external), k, ids) for m in methods}
    users: list[dict[str, Any]] = []
    shown: set[str] = set()
    for u, name in zip(chosen.tolist(), external, strict=True):
        recent, held_out = past.get(u, [])[-history:], held.get(u, [])
        lists = {m: recs[m].get(name, []) for m in methods}
        users.append({
            "user": name,
            "history": recent,
            "held_out": held_out,
            "lists": lists,
            "hits": {m: [r + 1 for r, item in enumerate(items) if item in held_out] for m, items in lists.items()},
        })  # fmt: skip
        shown.update(recent, held_out, *lists.values())
    return {"k": k, "seed": seed, "history": history,
            "items": {i: _describe(catalog, ids[i]) for i in sorted(shown)}, "users": users}  # fmt: skip


def _per_user(rows: Interactions, users: np.ndarray, ids: dict[str, object]) -> dict[int, list[str]]:
    """Internal user id -> the text ids of its items in `rows`, by time (ties: row order); `ids` learns them."""
    keep = np.flatnonzero(np.isin(rows.user, users))
    keep = keep[np.lexsort((keep, rows.timestamp[keep], rows.user[keep]))]
    out: dict[int, list[str]] = {}
    for u, item in zip(rows.user[keep].tolist(), rows.items.to_external(rows.item[keep]).tolist(), strict=True):
        ids.setdefault(str(item), item)
        out.setdefault(u, []).append(str(item))
    return out


def _top(path: Path, users: set[str], k: int, ids: dict[str, object]) -> dict[str, list[str]]:
    """Text user id -> its first `k` recommended text item ids, from a recs file; `ids` learns them."""
    frame = pd.read_parquet(path, columns=["user_id", "item_id", "rank"])
    frame = frame[frame["user_id"].astype(str).isin(users) & (frame["rank"] <= k)].sort_values(["user_id", "rank"])
    out: dict[str, list[str]] = {}
    for user, item in zip(frame["user_id"].tolist(), frame["item_id"].tolist(), strict=True):
        ids.setdefault(str(item), item)
        out.setdefault(str(user), []).append(str(item))
    return out


def _describe(catalog: ItemCatalog | None, item: object) -> str:
    """The catalog's line for an item (`ItemCatalog.describe`); its id where the catalog has no entry."""
    return catalog.describe(item) if catalog is not None and item in catalog else str(item)
