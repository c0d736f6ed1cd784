"""Training intentions written from the catalog itself: what a user might have asked for before an item.

The LM learns to read requests from windows whose prompt carries a request and whose target is the
item that request leads to. A request is only as varied as what wrote it, so `IntentionWriter`
draws from several kinds, each built from the catalog's own fields (its category field, titles and
years), never from a glossary:

- ``category``: one of the target's categories, in one of several phrasings ("a comedy movie",
  "something comedy", "in the mood for comedy");
- ``like``: "something like <title>", the title of an earlier history item sharing a category with
  the target (the user names an example of what they want);
- ``negative``: a category the target does *not* have, rejected in one of several forms ("no
  horror", "anything except horror", "horror-free", "without horror"); the window's hard negatives
  become items of the rejected category, so the loss teaches that a rejected category goes down;
- ``period``: the target's decade ("a movie from the 1990s"), when the catalog has years;
- ``combination``: a category of the target with a rejected other category, or with its decade.

The phrasings here are the training set; the benchmarks' held-out wordings
(``benchmarks/product_requests.py``) were written separately and are never copied here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from hybrid_rec.verbalize.verbalizer import Verbalizer

Kind = Literal["category", "like", "negative", "period", "combination"]
KINDS: tuple[Kind, ...] = ("category", "like", "negative", "period", "combination")

POSITIVE = (
    "a {cat} {noun}",
    "something {cat}",
    "{cat} {noun}s, please",
    "in the mood for {cat}",
    "show me some {cat}",
    "looking for a {cat} {noun}",
    "i'd like {cat} today",
    "any good {cat} {noun}s?",
)
LIKE = ("something like {title}", "more like {title}", "{noun}s similar to {title}", "in the spirit of {title}")
NEGATIVE = (
    "no {cat}",
    "anything except {cat}",
    "{cat}-free",
    "not in the mood for {cat}",
    "without {cat}",
    "anything but {cat}",
    "nothing {cat}, please",
    "skip the {cat}",
)
PERIOD = ("a {noun} from the {decade}s", "something from the {decade}s", "{decade}s {noun}s")


@dataclass(frozen=True)
class Written:
    """One intention: the request text, its kind, and the items it rejects (the window's hard negatives)."""

    request: str
    kind: Kind
    rejected: np.ndarray  # internal ids of items in a rejected category (empty: none)


class IntentionWriter:
    """Writes requests for a target item from the catalog (`write`); `kinds` limits what it writes."""

    def __init__(self, verbalizer: Verbalizer, kinds: Sequence[Kind] = KINDS, max_rejected: int = 200) -> None:
        self.verbalizer = verbalizer
        self.kinds = tuple(kinds)
        self.noun = verbalizer.noun
        n = len(verbalizer.items)
        self._cats = [verbalizer.genres(i) for i in range(n)]
        members: dict[str, list[int]] = {}
        for i, cats in enumerate(self._cats):
            for c in cats:
                members.setdefault(c, []).append(i)
        self._members = {c: np.asarray(v, np.int64) for c, v in members.items()}
        self._names = sorted(members)
        self.max_rejected = max_rejected
        self._years = self._decades()
        self._titles = self._title_column()

    def _decades(self) -> np.ndarray:
        """Each item's decade (e.g. 1990), -1 where the catalog gives no year."""
        out = np.full(len(self.verbalizer.items), -1, np.int64)
        catalog = self.verbalizer.catalog
        if catalog is None or "year" not in catalog.fields:
            return out
        years = pd.to_numeric(catalog.items["year"], errors="coerce")
        known = years.notna().to_numpy() & catalog.items.index.isin(self.verbalizer.items.ids)
        idx = self.verbalizer.items.to_internal(catalog.items.index.to_numpy()[known])
        out[idx] = (years.to_numpy()[known] // 10 * 10).astype(np.int64)
        return out

    def _title_column(self) -> list[str]:
        """Each item's title ("" where the catalog gives none)."""
        out = [""] * len(self.verbalizer.items)
        catalog = self.verbalizer.catalog
        if catalog is None or "title" not in catalog.fields:
            return out
        titles = catalog.items["title"]
        known = catalog.items.index.isin(self.verbalizer.items.ids)
        idx = self.verbalizer.items.to_internal(catalog.items.index.to_numpy()[known])
        for i, t in zip(idx, titles.to_numpy()[known], strict=True):
            out[int(i)] = "" if t is None or pd.isna(t) else " ".join(str(t).split())
        return out

    def _examples(self, target: int, history: np.ndarray) -> list[str]:
        """Titles of recent history items sharing a category with `target` (what "like <title>" names)."""
        cats = set(self._cats[target])
        return [self._titles[int(h)] for h in history[-50:] if self._titles[int(h)] and cats & set(self._cats[int(h)])]

    def _other(self, target: int, rng: np.random.Generator) -> str | None:
        """A category the target does not have (None: every category is the target's)."""
        others = [c for c in self._names if c not in self._cats[target]]
        return others[int(rng.integers(len(others)))] if others else None

    def _rejected(self, category: str, target: int, rng: np.random.Generator) -> np.ndarray:
        items = self._members[category]
        items = items[items != target]
        return rng.choice(items, self.max_rejected, replace=False) if len(items) > self.max_rejected else items

    def write(self, target: int, history: np.ndarray, rng: np.random.Generator) -> Written | None:
        """A request `target` satisfies, of a kind drawn uniformly among those possible for it
        (None: none is, e.g. an item without categories, title or year)."""
        cats = self._cats[target]
        examples = self._examples(target, history) if "like" in self.kinds else []
        possible = [k for k in self.kinds if self._possible(k, target, examples)]
        if not possible:
            return None
        kind = possible[int(rng.integers(len(possible)))]
        noun = self.noun
        empty = np.empty(0, np.int64)
        pick = lambda options: options[int(rng.integers(len(options)))]  # noqa: E731
        if kind == "category":
            cat = pick(cats).lower()
            return Written(pick(POSITIVE).format(cat=cat, noun=noun), kind, empty)
        if kind == "like":
            return Written(pick(LIKE).format(title=pick(examples), noun=noun), kind, empty)
        if kind == "period":
            return Written(pick(PERIOD).format(decade=int(self._years[target]), noun=noun), kind, empty)
        other = self._other(target, rng)
        if other is None:  # pragma: no cover - excluded by _possible
            return None
        rejected = self._rejected(other, target, rng)
        negative = pick(NEGATIVE).format(cat=other.lower(), noun=noun)
        if kind == "negative":
            return Written(negative, kind, rejected)
        cat = pick(cats).lower()
        if self._years[target] >= 0 and rng.random() < 0.5:
            return Written(f"{pick(POSITIVE).format(cat=cat, noun=noun)} from the {int(self._years[target])}s", kind,
                           empty)  # fmt: skip
        return Written(f"{pick(POSITIVE).format(cat=cat, noun=noun)}, {negative}", kind, rejected)

    def _possible(self, kind: Kind, target: int, examples: list[str]) -> bool:
        cats = self._cats[target]
        if kind == "category":
            return bool(cats)
        if kind == "like":
            return bool(examples)
        if kind == "period":
            return bool(self._years[target] >= 0)
        if kind == "negative":
            return len(self._names) > len(cats)
        return bool(cats) and len(self._names) > len(cats)  # combination
