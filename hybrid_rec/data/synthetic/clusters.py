"""Seeded synthetic interactions with planted user clusters and item successors (`make_synthetic`).

Users belong to clusters; each cluster prefers one group of items (Zipf popularity inside the
group); each item has a successor in its group, and with probability ``p_sequential`` a user's
next item is the successor of their previous one. Item titles and genres come from a small
vocabulary, the genres naming the item's group. The ground truth is returned beside the data,
so tests can assert that a method finds the structure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import Field

from hybrid_rec.config import StrictModel
from hybrid_rec.data.catalog import ItemCatalog
from hybrid_rec.data.datasets import Dataset
from hybrid_rec.data.synthetic.stream import event_stream, zipf_cdf, zipf_draw
from hybrid_rec.errors import ConfigError

_WORDS = [
    "red",
    "blue",
    "green",
    "silent",
    "golden",
    "dark",
    "bright",
    "lost",
    "hidden",
    "last",
    "first",
    "wild",
    "quiet",
    "broken",
    "secret",
    "river",
    "city",
    "night",
    "star",
    "road",
    "garden",
    "winter",
    "summer",
    "ocean",
    "mountain",
    "dream",
    "storm",
    "shadow",
    "fire",
    "king",
    "queen",
    "stranger",
    "journey",
    "letter",
    "island",
    "mirror",
    "machine",
    "song",
    "house",
    "door",
    "bridge",
]
_GENRES = [
    "action",
    "comedy",
    "drama",
    "horror",
    "romance",
    "thriller",
    "western",
    "fantasy",
    "mystery",
    "documentary",
    "animation",
    "musical",
    "crime",
    "war",
    "scifi",
    "family",
]


class SyntheticConfig(StrictModel):
    """Size and structure of a synthetic dataset."""

    n_users: int = Field(1000, gt=0, description="Number of users.")
    n_items: int = Field(500, gt=0, description="Number of items (at least n_clusters).")
    n_clusters: int = Field(
        8, gt=0, description="User clusters; each prefers its own group of items (as many groups as clusters)."
    )
    interactions_per_user: float = Field(
        20.0, gt=0, description="Mean events per user (Poisson-distributed, at least min_interactions)."
    )
    min_interactions: int = Field(3, ge=1, description="Fewest events any user gets.")
    p_sequential: float = Field(
        0.3, ge=0, le=1, description="Probability that the next item is the planted successor of the previous one."
    )
    p_preferred: float = Field(
        0.8, ge=0, le=1, description="Probability that an item is drawn from the user's cluster's group, not globally."
    )
    zipf_exponent: float = Field(1.0, ge=0, description="Skew of item popularity (Zipf exponent; 0 = uniform).")
    seed: int = Field(0, description="Random seed: the same seed gives the same data.")


@dataclass(frozen=True, eq=False)
class SyntheticTruth:
    """The planted structure, in internal ids."""

    user_cluster: np.ndarray
    item_group: np.ndarray
    successor: np.ndarray


@dataclass(frozen=True, eq=False)
class SyntheticDataset(Dataset):
    truth: SyntheticTruth | None = None


def make_synthetic(config: SyntheticConfig | None = None, **overrides: object) -> SyntheticDataset:
    """Generate a dataset; keyword overrides replace fields of `config` (same seed, same data)."""
    cfg = (config or SyntheticConfig()).model_copy(update=overrides)
    cfg = SyntheticConfig.model_validate(cfg.model_dump())
    if cfg.n_items < cfg.n_clusters:
        raise ConfigError(f"n_items ({cfg.n_items}) must be >= n_clusters ({cfg.n_clusters})")
    rng = np.random.default_rng(cfg.seed)
    n_u, n_i, n_c = cfg.n_users, cfg.n_items, cfg.n_clusters

    # Items: round-robin groups over a random permutation; equal-size member table per group.
    perm = rng.permutation(n_i)
    item_group = np.empty(n_i, dtype=np.int64)
    item_group[perm] = np.arange(n_i) % n_c
    size = n_i // n_c
    members = perm[: size * n_c].reshape(size, n_c).T  # members[g, rank], rank 0 most popular
    successor = np.arange(n_i)
    successor[members] = np.roll(members, -1, axis=1)
    group_cdf = zipf_cdf(size, cfg.zipf_exponent)
    global_rank = rng.permutation(n_i)
    global_cdf = zipf_cdf(n_i, cfg.zipf_exponent)

    user_cluster = rng.integers(0, n_c, size=n_u)
    lengths = np.maximum(cfg.min_interactions, rng.poisson(cfg.interactions_per_user, size=n_u))
    max_len = int(lengths.max())

    cols_u, cols_i, cols_t = [], [], []
    prev = np.full(n_u, -1)
    clock = rng.uniform(0, 3.0e7, size=n_u).round()
    for step in range(max_len):
        active = np.flatnonzero(lengths > step)
        m = len(active)
        draw = rng.random(m)
        pref = members[user_cluster[active], zipf_draw(rng, group_cdf, m)]
        glob = global_rank[zipf_draw(rng, global_cdf, m)]
        item = np.where(draw < cfg.p_preferred, pref, glob)
        if step > 0:
            seq = rng.random(m) < cfg.p_sequential
            item = np.where(seq, successor[prev[active]], item)
        prev[active] = item
        clock[active] += 1 + rng.exponential(3600.0, size=m).round()
        cols_u.append(active)
        cols_i.append(item)
        cols_t.append(clock[active].copy())

    inter = event_stream(np.concatenate(cols_u), np.concatenate(cols_i), np.concatenate(cols_t), n_u, n_i, "synthetic")
    items = inter.items
    catalog = ItemCatalog(_texts(rng, item_group, items.ids, n_c), noun="movie")  # film-like genres
    truth = SyntheticTruth(user_cluster=user_cluster, item_group=item_group, successor=successor)
    return SyntheticDataset("synthetic", inter, catalog, truth)


def _texts(rng: np.random.Generator, item_group: np.ndarray, ids: np.ndarray, n_groups: int) -> pd.DataFrame:
    words = np.array(_WORDS)
    first = words[rng.integers(0, len(words), size=len(ids))]
    second = words[rng.integers(0, len(words), size=len(ids))]
    group_genres = [
        (_GENRES[g % len(_GENRES)],)
        if g < len(_GENRES)
        else (_GENRES[g % len(_GENRES)], _GENRES[(g // len(_GENRES)) % len(_GENRES)])
        for g in range(n_groups)
    ]
    frame = pd.DataFrame(
        {
            "title": np.char.add(np.char.add(np.char.capitalize(first), " "), second),
            "year": rng.integers(1950, 2024, size=len(ids)).astype(str),
            "genres": [group_genres[g] for g in item_group],
        },
        index=pd.Index(ids, name="item_id"),
    )
    return frame
