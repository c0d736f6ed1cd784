"""Values of other catalog fields a request may say outright: an author, a brand, an artist, a destination
(`NamedFields`). Read word for word (one pattern of every value, longest first), never by similarity: a
request names "Orson Pike" or it does not, and a named value is read against its own field, not forced onto a
category ("something by Orson Pike" asks for his books, whatever their subject)."""

from __future__ import annotations

import re

import numpy as np

from hybrid_rec.data.catalog import ItemCatalog
from hybrid_rec.errors import ConfigError
from hybrid_rec.text.encoder import TextEncoder
from hybrid_rec.text.normalize import normalize

__all__ = ["NamedFields", "names_things"]


def names_things(column: object, n_items: int) -> bool:
    """Whether a catalog column holds names a request may say outright (an author, a brand): single text
    values, at most half as many distinct as items, none longer than 60 characters."""
    values = [v for v in column if isinstance(v, str) and v]  # type: ignore[attr-defined]
    if not values or len(values) < len(column) / 2:  # type: ignore[arg-type]
        return False
    distinct = set(values)
    return 2 <= len(distinct) <= n_items / 2 and max(len(v) for v in distinct) <= 60


class NamedFields:
    """Label ("author: Rosa Bellamy") -> (field, value) of every value of the fields a request may name (`fields`;
    None: every column that `names_things`, besides title, description, year and the category field `skip`)."""

    def __init__(self, catalog: ItemCatalog, fields: list[str] | None, skip: str | None, encoder: TextEncoder) -> None:
        items = catalog.items
        if fields is None:
            drop = {"title", "description", "year", skip}
            fields = [c for c in items.columns if c not in drop and names_things(items[c], len(items))]
        self.labels: dict[str, tuple[str, str]] = {}
        for name in fields:
            if name not in items.columns:
                raise ConfigError(f"requests.intent.named_fields: {name!r} is not a catalog field ({list(items.columns)})")
            for value in sorted({str(v) for v in items[name].dropna()} - {""}):
                self.labels[f"{name}: {value}"] = (name, value)
        by_text: dict[str, list[str]] = {}  # a value's normal form -> its labels (one per field that holds it)
        for label, (_, value) in self.labels.items():
            by_text.setdefault(normalize(value), []).append(label)
        self._by_text = by_text
        self.text = {label: text for text, labels in by_text.items() for label in labels}  # label -> its normal form
        alternatives = "|".join(re.escape(t) for t in sorted(by_text, key=len, reverse=True) if t)
        self._pattern = re.compile(rf"(?<![\w])(?:{alternatives})(?![\w])") if alternatives else None
        self._encoder = encoder
        self._vectors: dict[str, np.ndarray] = {}  # label -> its value's unit row, encoded when first read

    def named_in(self, text: str) -> list[str]:
        """The labels of the values `text` (a canonical request) names, word for word (one pattern of them all,
        longest first: a request is read once however many values the fields hold)."""
        if self._pattern is None:
            return []
        found = (label for m in self._pattern.finditer(text) for label in self._by_text[m[0]])
        return list(dict.fromkeys(found))

    def vector(self, label: str) -> np.ndarray:
        """[1, dim]: the text vector of a named value (encoded once, when a request first names it)."""
        hit = self._vectors.get(label)
        if hit is None:
            hit = self._vectors[label] = np.asarray(self._encoder.encode([self.labels[label][1]]), np.float32)
        return hit
