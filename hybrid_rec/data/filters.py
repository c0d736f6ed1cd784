"""Row filters applied to a whole dataset before it is split (k-core filtering).

k-core filtering, as in the Amazon Reviews 2023 benchmark scripts and most LLM-recommendation
papers: drop every user and every item with fewer than `k` interactions, and repeat until nothing
changes (dropping an item can take a user below `k`, and so on). Counts are interaction rows, so
deduplicate repeated (user, item) rows first when each pair should count once.
"""

from __future__ import annotations

import numpy as np

from hybrid_rec.data.ids import IdMap
from hybrid_rec.data.interactions import Interactions
from hybrid_rec.errors import ConfigError


def k_core_mask(user: np.ndarray, item: np.ndarray, k: int) -> np.ndarray:
    """Rows (bool mask) of the k-core of the user-item rows given as dense integer codes: the largest
    set of rows in which every user and every item has at least `k` rows. Iterates to a fixed point."""
    if k < 1:
        raise ConfigError(f"k-core: k must be >= 1, got {k}")
    user = np.asarray(user, dtype=np.int64)
    item = np.asarray(item, dtype=np.int64)
    if user.shape != item.shape:
        raise ConfigError(f"k-core: user and item have different lengths ({len(user)} and {len(item)})")
    keep = np.ones(len(user), dtype=bool)
    if not len(user):
        return keep
    n_users, n_items = int(user.max()) + 1, int(item.max()) + 1
    while True:
        user_rows = np.bincount(user[keep], minlength=n_users)
        item_rows = np.bincount(item[keep], minlength=n_items)
        drop = keep & ((user_rows[user] < k) | (item_rows[item] < k))
        if not drop.any():
            return keep
        keep &= ~drop


def k_core(interactions: Interactions, k: int = 5) -> Interactions:
    """The k-core of `interactions` (see `k_core_mask`), with id maps cut to the users and items
    that remain (in their original order; internal ids are renumbered, so filter before splitting).
    ``meta["k_core"]`` records `k`."""
    keep = k_core_mask(interactions.user, interactions.item, k)
    user, item = interactions.user[keep], interactions.item[keep]
    users, user = _compact(interactions.users, user)
    items, item = _compact(interactions.items, item)
    return Interactions(
        user=user,
        item=item,
        timestamp=interactions.timestamp[keep],
        weight=interactions.weight[keep],
        users=users,
        items=items,
        event=None if interactions.event is None else interactions.event[keep],
        meta={**interactions.meta, "k_core": k},
    )


def _compact(ids: IdMap, codes: np.ndarray) -> tuple[IdMap, np.ndarray]:
    """The map of the ids `codes` use (original order) and the codes renumbered into it."""
    used = np.unique(codes)
    renumber = np.full(len(ids), -1, dtype=np.int64)
    renumber[used] = np.arange(len(used))
    return IdMap(ids.ids[used], name=ids.name), renumber[codes].astype(np.int32)
