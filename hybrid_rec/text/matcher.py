"""Intents -> per-item match scores and exclusions over one item id map (`IntentMatcher`).

The parser (`text.intent`) reads a request into an `Intent` of catalog values, periods and titles;
the matcher says, per item, how well it matches (in [0, 1], NaN without a positive intent) and
whether the intent excludes it, and holds each item's categories, year and text vector for the
explanations and the session features.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

import numpy as np

from hybrid_rec.data.catalog import ItemCatalog
from hybrid_rec.data.ids import IdMap
from hybrid_rec.text.encoder import TextEncoder
from hybrid_rec.text.intent import Intent, IntentConfig, IntentParser

__all__ = ["IntentMatcher"]


class IntentMatcher:
    """Per-item match scores and exclusions for intents, over one item id map."""

    def __init__(self, items: IdMap, catalog: ItemCatalog, encoder: TextEncoder, config: IntentConfig | None = None):
        self.config = config or IntentConfig()
        self.items = items
        self.parser = IntentParser(catalog, encoder, self.config)
        known = catalog.items.reindex(items.ids)
        values = known.get(self.parser.field) if self.parser.field is not None else None
        self._member = np.zeros((len(items), len(self.parser.values)), bool)
        col = {v: j for j, v in enumerate(self.parser.values)}
        if values is not None:
            for i, vs in enumerate(values):
                for v in vs if isinstance(vs, tuple | list) else ():
                    if v in col:
                        self._member[i, col[v]] = True
        self._col = col
        # a named field's values ("author: Rosa Bellamy"): the rows of the items that have each, one pass per field
        rows: dict[tuple[str, str], np.ndarray] = {}
        for f in {f for f, _ in self.parser.named.values()} & set(known.columns):
            present = known[f].notna().to_numpy()
            uniq, inverse = np.unique(known[f].astype(str).to_numpy()[present], return_inverse=True)
            order = np.flatnonzero(present)[np.argsort(inverse, kind="stable")]
            rows.update(((f, str(v)), r) for v, r in zip(uniq, np.split(order, np.cumsum(np.bincount(inverse))[:-1]), strict=True))
        self._named = {label: rows.get(fv, np.zeros(0, np.int64)) for label, fv in self.parser.named.items()}
        years = known.get("year")
        self._year = np.full(len(items), np.nan)
        if years is not None:
            self._year = np.array([_to_year(y) for y in years], np.float64)
        self._catalog, self._encoder = catalog, encoder
        self._matches: dict[Intent, tuple[np.ndarray, np.ndarray]] = {}

    def parse(self, request: str | None) -> Intent:
        return self.parser.parse(request)

    def values_of_item(self, item: int) -> tuple[str, ...]:
        """The catalog values (categories) of internal `item` (none for an item outside the map)."""
        if not 0 <= item < len(self._member):
            return ()
        return tuple(self.parser.values[j] for j in np.flatnonzero(self._member[item]))

    def year_of(self, item: int) -> float:
        """The year of internal `item` (NaN: unknown)."""
        return float(self._year[item]) if 0 <= item < len(self._year) else float("nan")

    @cached_property
    def _text_emb(self) -> np.ndarray:
        """Embeddings of every item's text, computed on the first "like <title>" (seconds for 10^3 items)."""
        cat = self._catalog
        return self._encoder.encode(cat.describe_many(self.items.ids))

    @property
    def category_vectors(self) -> np.ndarray:
        """[n_items, n_values] bool: each item's catalog categories (the values requests name)."""
        return self._member

    @property
    def text_vectors(self) -> np.ndarray:
        """[n_items, d] unit text vectors of every item (its catalog description), computed once."""
        return self._text_emb

    def _items_of(self, value: str) -> np.ndarray | None:
        """[n_items] bool: the items with a catalog value or a named field's value (None: unknown here)."""
        if value in self._col:
            return np.asarray(self._member[:, self._col[value]])
        if (rows := self._named.get(value)) is None:
            return None
        has = np.zeros(len(self.items), bool)
        has[rows] = True
        return has

    def _has_any(self, values: Sequence[str]) -> np.ndarray:
        out = np.zeros(len(self.items), bool)
        for value in values:
            if (has := self._items_of(value)) is not None:
                out |= has
        return out

    def _weighted(self, intent: Intent) -> np.ndarray:
        """Per item, the largest weight of the values asked for that it has (0: none); an intent built
        without weights counts every value fully."""
        weight = dict(intent.weights)
        out = np.zeros(len(self.items))
        for value in intent.include:
            if (has := self._items_of(value)) is not None:
                out = np.maximum(out, np.where(has, weight.get(value, 1.0), 0.0))
        return out

    def _similar_to(self, item_ids: Sequence[object]) -> np.ndarray:
        idx = self.items.to_internal(list(item_ids), on_unknown="skip")
        if not len(idx):
            return np.zeros(len(self.items))
        return np.clip((self._text_emb @ self._text_emb[idx].T).max(axis=1), 0.0, 1.0)

    def match(self, intent: Intent) -> tuple[np.ndarray, np.ndarray]:
        """`_match` of an intent, computed once per distinct intent (a batch often shares one request).
        The arrays are shared: callers must not modify them."""
        if intent not in self._matches:
            if len(self._matches) >= 64:  # each entry holds two arrays over the catalog
                self._matches.clear()
            self._matches[intent] = self._match(intent)
        return self._matches[intent]

    def _match(self, intent: Intent) -> tuple[np.ndarray, np.ndarray]:
        """(score [n_items] in [0, 1], NaN when the intent asks for nothing; excluded [n_items] bool).

        The score is the mean of the intent's positive parts: named values (the largest weight of those
        the item has: 1 for a clause's best value, less for a runner-up),
        the period (1 if the item's year is in it), named titles (text similarity to them). Items
        with an excluded value and the named titles themselves are excluded; "less like" lowers
        the score by the similarity to those titles, and a soft rejection (`Intent.avoid`) lowers its
        value's items by its probability.
        """
        parts = []
        if intent.include:
            parts.append(self._weighted(intent))
        if intent.years is not None:
            lo, hi = intent.years
            parts.append(((self._year >= lo) & (self._year <= hi)).astype(np.float64))
        if intent.like:
            parts.append(self._similar_to(intent.like))
        score = np.mean(parts, axis=0) if parts else np.full(len(self.items), np.nan)
        penalty = self._similar_to(intent.unlike) if intent.unlike else np.zeros(len(self.items))
        for value, weight in intent.avoid:  # a soft rejection lowers its items by how sure it is
            if (has := self._items_of(value)) is not None:
                penalty = np.maximum(penalty, np.where(has, weight, 0.0))
        if intent.unlike or intent.avoid:
            score = np.where(np.isnan(score), 1.0 - penalty, score - penalty)
        excluded = self._has_any(intent.exclude)
        if intent.exclude_years is not None:
            lo, hi = intent.exclude_years
            excluded |= (self._year >= lo) & (self._year <= hi)
        named = self.items.to_internal([*intent.like, *intent.unlike], on_unknown="skip")
        excluded[named] = True
        return score, excluded


def _to_year(value: object) -> float:
    try:
        return float(str(value)[:4])
    except ValueError:
        return float("nan")
