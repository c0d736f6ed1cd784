"""A seeded shop catalog (`make_products`): descriptive product titles, a category list field and users
who prefer a few categories, for measuring requests on a catalog that is not films.

Each category has its own vocabulary (`PRODUCT_CATEGORIES`): an item's title is one or two of its
category's qualifiers and one of its nouns ("Waterproof Trail Headlamp"), so the title alone tells
the category (every noun belongs to one category); its optional description says what the item is
for in the category's words. Users belong to clusters, each preferring a few categories; inside a
category, items follow Zipf popularity; a user never buys the same item twice. The catalog names
no film and has no year, so nothing film-specific can read it. ``kind="music"`` makes a record shop's
catalog the same way (`MUSIC_CATEGORIES`: music genres, album titles such as "Smoky Bebop Piano Trio",
items called "albums"): a second catalog of another kind for the same measurements; ``kind="books"`` a
bookshop's (`BOOK_CATEGORIES`: subjects, book titles such as "Midnight Alibi", each book with an author);
``kind="trips"`` a travel agency's (`TRIP_CATEGORIES`: kinds of holiday, trip titles such as "Turquoise Lagoon
Retreat", each trip with a destination country). The words are data (`vocabularies`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from hybrid_rec.data.catalog import ItemCatalog
from hybrid_rec.data.datasets import Dataset
from hybrid_rec.data.synthetic.stream import EventsConfig, event_stream, timed_sequences, zipf_cdf
from hybrid_rec.data.synthetic.vocabularies import (
    BOOK_AUTHORS,
    BOOK_CATEGORIES,
    MUSIC_CATEGORIES,
    PRODUCT_CATEGORIES,
    TRIP_CATEGORIES,
    TRIP_DESTINATIONS,
    VOCABULARIES,
    CategoryWords,
)

__all__ = [
    "BOOK_AUTHORS", "BOOK_CATEGORIES", "MUSIC_CATEGORIES", "PRODUCT_CATEGORIES", "TRIP_CATEGORIES", "TRIP_DESTINATIONS",
    "VOCABULARIES", "CategoryWords", "ProductConfig", "ProductDataset", "ProductTruth", "make_products",
]  # fmt: skip
from hybrid_rec.errors import ConfigError


class ProductConfig(EventsConfig):
    """Size and structure of a synthetic shop catalog and its purchases (an event is a purchase)."""

    kind: Literal["shop", "music", "books", "trips"] = Field(
        "shop",
        description="Which catalog: 'shop' (PRODUCT_CATEGORIES: camping, kitchen, audio, ...; items are "
        "'products'), 'music' (MUSIC_CATEGORIES: jazz, rock, classical, ...; items are 'albums'), 'books' "
        "(BOOK_CATEGORIES: mystery & thriller, romance, history, ...; items are 'books', each with an 'author') or "
        "'trips' (TRIP_CATEGORIES: beach, city break, skiing, ...; items are 'trips', each with a 'destination').",
    )
    n_items: int = Field(600, gt=0, description="Number of products, spread evenly over the categories.")
    n_categories: int = Field(
        10, gt=0, le=len(PRODUCT_CATEGORIES), description="Categories used: the first n of the kind's vocabulary."
    )
    n_clusters: int = Field(20, gt=0, description="User clusters; each prefers its own few categories.")
    categories_per_cluster: int = Field(2, gt=0, description="Categories a cluster prefers (at most n_categories).")
    p_preferred: float = Field(
        0.85, ge=0, le=1, description="Probability that a purchase is in one of the cluster's categories, not any."
    )
    zipf_exponent: float = Field(1.0, ge=0, description="Skew of popularity inside a category (Zipf; 0 = uniform).")
    field: str = Field(
        "category",
        min_length=1,
        description="Name of the list field holding each item's category (e.g. 'genres', the field the library's "
        "film defaults read).",
    )
    descriptions: bool = Field(True, description="Give each item a one-sentence 'description' field.")


@dataclass(frozen=True, eq=False)
class ProductTruth:
    """The planted structure, in internal ids: each item's category (index into `categories`), each
    user's cluster and each cluster's preferred categories."""

    categories: tuple[str, ...]
    item_category: np.ndarray
    user_cluster: np.ndarray
    cluster_categories: np.ndarray  # [n_clusters, categories_per_cluster]


@dataclass(frozen=True, eq=False)
class ProductDataset(Dataset):
    truth: ProductTruth | None = None


def make_products(config: ProductConfig | None = None, **overrides: object) -> ProductDataset:
    """Generate a shop dataset; keyword overrides replace fields of `config` (same seed, same data)."""
    cfg = ProductConfig.from_dict({**(config or ProductConfig()).model_dump(), **overrides}, source="make_products")
    _check(cfg)
    rng = np.random.default_rng(cfg.seed)
    vocabulary, noun = VOCABULARIES[cfg.kind].categories, VOCABULARIES[cfg.kind].noun
    names = tuple(list(vocabulary)[: cfg.n_categories])
    n_u, n_i, n_c = cfg.n_users, cfg.n_items, len(names)

    perm = rng.permutation(n_i)  # round-robin categories; position in a category = popularity rank
    item_category = np.empty(n_i, np.int64)
    item_category[perm] = np.arange(n_i) % n_c
    members = [perm[c::n_c] for c in range(n_c)]
    cdfs = [zipf_cdf(len(m), cfg.zipf_exponent) for m in members]
    cluster_categories = np.stack(
        [rng.choice(n_c, cfg.categories_per_cluster, replace=False) for _ in range(cfg.n_clusters)]
    )
    user_cluster = rng.integers(0, cfg.n_clusters, size=n_u)
    lengths = cfg.lengths(rng)

    draws = 3 * lengths + 10  # per user: enough to leave `length` distinct items after repeats
    owner = np.repeat(user_cluster, draws)
    total = int(draws.sum())
    preferred = rng.random(total) < cfg.p_preferred
    pick = cluster_categories[owner, rng.integers(0, cfg.categories_per_cluster, total)]
    category = np.where(preferred, pick, rng.integers(0, n_c, total))
    rank = rng.random(total)
    bought = np.empty(total, np.int64)
    for c in range(n_c):
        rows = category == c
        bought[rows] = members[c][np.minimum(np.searchsorted(cdfs[c], rank[rows]), len(members[c]) - 1)]
    sequences = []
    for u, drawn in enumerate(np.split(bought, np.cumsum(draws)[:-1])):
        _, first = np.unique(drawn, return_index=True)  # a user buys an item once: keep first purchases
        sequences.append(drawn[np.sort(first)][: lengths[u]])
    inter = event_stream(*timed_sequences(rng, sequences), n_u, n_i, "products")
    catalog = ItemCatalog(_texts(rng, cfg, names, item_category, inter.items.ids), noun=noun)
    truth = ProductTruth(names, item_category, user_cluster, cluster_categories)
    return ProductDataset("products", inter, catalog, truth)


def _check(cfg: ProductConfig) -> None:
    if cfg.categories_per_cluster > cfg.n_categories:
        raise ConfigError(
            f"categories_per_cluster ({cfg.categories_per_cluster}) must be <= n_categories ({cfg.n_categories})"
        )
    if cfg.n_items < cfg.n_categories:
        raise ConfigError(f"n_items ({cfg.n_items}) must be >= n_categories ({cfg.n_categories})")
    if cfg.field in ("title", "description"):
        raise ConfigError(f"field {cfg.field!r} would overwrite the item's {cfg.field}; pick another name")
    per_category = -(-cfg.n_items // cfg.n_categories)
    vocabulary = VOCABULARIES[cfg.kind].categories
    for name in list(vocabulary)[: cfg.n_categories]:
        if per_category > len(_title_parts(vocabulary[name])):
            raise ConfigError(
                f"n_items ({cfg.n_items}) gives {per_category} items per category, more than the "
                f"{len(_title_parts(vocabulary[name]))} distinct titles of {name!r}; lower n_items"
            )


def _title_parts(words: CategoryWords) -> list[tuple[str, ...]]:
    """Every distinct title of a category: one or two different qualifiers, then a noun."""
    singles = [(q,) for q in words.qualifiers]
    pairs = list(itertools.permutations(words.qualifiers, 2))
    return [(*q, n) for q in singles + pairs for n in words.nouns]


def _texts(
    rng: np.random.Generator, cfg: ProductConfig, names: tuple[str, ...], item_category: np.ndarray, ids: np.ndarray
) -> pd.DataFrame:
    """Title, category (a one-value tuple) and, when asked, a description per item."""
    titles = np.empty(len(ids), object)
    descriptions = np.empty(len(ids), object)
    for c, name in enumerate(names):
        words = VOCABULARIES[cfg.kind].categories[name]
        parts = _title_parts(words)
        items = np.flatnonzero(item_category == c)
        chosen = rng.choice(len(parts), len(items), replace=False)
        uses = rng.integers(0, len(words.uses), len(items))
        for item, p, use in zip(items, chosen, uses, strict=True):
            titles[item] = " ".join(parts[p])
            descriptions[item] = f"{titles[item]} for {words.uses[use]}."
    frame = pd.DataFrame(
        {"title": titles.astype(str), cfg.field: [(names[c],) for c in item_category]},
        index=pd.Index(ids, name="item_id"),
    )
    if cfg.descriptions:
        frame["description"] = descriptions.astype(str)
    if (second := VOCABULARIES[cfg.kind].second) is not None:  # a field a request may name: a book's author, ...
        name_, per_category = second
        values = np.empty(len(ids), object)
        for c, name in enumerate(names):
            items = np.flatnonzero(item_category == c)
            values[items] = np.asarray(per_category[name], object)[rng.integers(0, len(per_category[name]), len(items))]
        frame[name_] = values.astype(str)
    return frame
