"""Simulated users for multi-round evaluation: each has a hidden target and reacts to lists as a person would.

A simulated user sees a list of items, and if its target is not there, clicks the shown item most
like what it wants (cosine of item vectors: the catalog's categories, or any item text vectors the
caller gives) and passes over the rest. It reads nothing but its own inputs: the item vectors it was
built with, its target and the lists it is shown, never a model's scores or internals. Used by the
`compare` harness's rounds task and by the fitting of session fusion weights on validation rounds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

import numpy as np

from hybrid_rec.data.catalog import ItemCatalog
from hybrid_rec.data.ids import IdMap
from hybrid_rec.errors import DataError

__all__ = ["Reactions", "SimulatedUsers", "category_vectors"]


def category_vectors(catalog: ItemCatalog, items: IdMap, field: str | None = None) -> np.ndarray | None:
    """[n_items, n_categories] multi-hot of each internal item's categories (the catalog's category
    field); None when the catalog has no category field. Items missing from the catalog get zeros."""
    name = catalog.category_field(field)
    if name is None:
        return None
    values: dict[str, int] = {}
    rows, cols = [], []
    for i, held in enumerate(catalog.values_of(name, items.ids)):  # one pass over the column, not a row per item
        for v in cast(Iterable[object], held or ()):
            rows.append(i)
            cols.append(values.setdefault(str(v), len(values)))
    out = np.zeros((len(items), max(len(values), 1)), np.float32)
    out[rows, cols] = 1.0
    return out


@dataclass(frozen=True)
class Reactions:
    """One round's reactions of a batch of users to their lists [users, k] (internal ids, -1 padding)."""

    found: np.ndarray  # bool [users]: the target was in the list
    place: np.ndarray  # int [users]: its 1-based place there (0: not found)
    clicked: np.ndarray  # int [users]: the shown item most like the target (-1: found, or nothing shown)
    rejected: np.ndarray  # int [users]: the shown item least like the target (-1 as for `clicked`)
    passed: list[np.ndarray]  # per user, the shown items passed over (all shown but the click)


class SimulatedUsers:
    """Users with hidden `targets` (internal item ids, one per user) reacting to lists by item
    `vectors` [n_items, d] (rows are unit-normalised here; an all-zero row is like nothing)."""

    def __init__(self, vectors: np.ndarray, targets: np.ndarray) -> None:
        vectors = np.asarray(vectors, np.float64)
        targets = np.asarray(targets, np.int64)
        if vectors.ndim != 2:
            raise DataError(f"SimulatedUsers: vectors must be [n_items, d], got shape {vectors.shape}")
        if len(targets) and (targets.min() < 0 or targets.max() >= len(vectors)):
            raise DataError("SimulatedUsers: every target must be an internal item id with a vector row")
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        self._unit = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
        self._targets = targets

    def __len__(self) -> int:
        return len(self._targets)

    def react(self, shown: np.ndarray, users: np.ndarray | None = None) -> Reactions:
        """Reactions of `users` (positions among this batch's users; default all) to `shown` [users, k]:
        found when the target is there; else the click is the shown item most similar to the target
        (ties: the higher place), the rest are passed over; the rejection is the shown item least like it."""
        shown = np.asarray(shown, np.int64)
        targets = self._targets if users is None else self._targets[np.asarray(users, np.int64)]
        if shown.ndim != 2 or len(shown) != len(targets):
            raise DataError(f"react: shown must be [{len(targets)}, k], got shape {shown.shape}")
        at = shown == targets[:, None]
        found = at.any(axis=1)
        place = np.where(found, at.argmax(axis=1) + 1, 0)
        clicked = np.full(len(shown), -1, np.int64)
        rejected = np.full(len(shown), -1, np.int64)
        passed: list[np.ndarray] = []
        for r, row in enumerate(shown):
            row = row[row >= 0]
            if found[r] or not len(row):
                passed.append(np.empty(0, np.int64) if found[r] else row)
                continue
            sims = self._unit[row] @ self._unit[targets[r]]
            pick = int(np.argmax(sims))  # the first of equals: the higher place
            clicked[r] = row[pick]
            rejected[r] = row[len(row) - 1 - int(np.argmin(sims[::-1]))]  # the last of equals: the lower place
            passed.append(np.delete(row, pick))
        return Reactions(found, place, clicked, rejected, passed)
