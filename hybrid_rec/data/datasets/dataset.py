"""`Dataset`: what every dataset loader returns (registered, synthetic or your own files)."""

from __future__ import annotations

from dataclasses import dataclass

from hybrid_rec.data.catalog import ItemCatalog
from hybrid_rec.data.interactions import Interactions


@dataclass(frozen=True, eq=False)
class Dataset:
    """A named dataset: its interactions and (optionally) its item/user catalog."""

    name: str
    interactions: Interactions
    catalog: ItemCatalog | None = None
