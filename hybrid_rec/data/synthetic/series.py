"""A seeded catalog of series (`make_series`): franchises whose titles carry the part number, watched in
order with noise, with a long tail of rare franchises, for measuring what the titles' order is worth.

Each franchise has 2..``max_parts`` parts and one title format ("Shadow Road Part 3", "The Lost City
4", "Iron Crown: Chapter 2", "Silent Harbor III", "Wild Frontier - Episode 5"); its first part is
often the plain name, as with films. Standalone titles are franchises of one part. Franchises are
ranked by Zipf popularity, so a few are watched by many and most by few. A user starts a franchise
(usually at part 1) and then, step by step, watches the next part, skips one, watches something
else, or moves on to another franchise; nobody watches a title twice.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import Field

from hybrid_rec.data.catalog import ItemCatalog
from hybrid_rec.data.datasets import Dataset
from hybrid_rec.data.synthetic.stream import EventsConfig, event_stream, timed_sequences, zipf_cdf, zipf_draw
from hybrid_rec.errors import ConfigError

_ADJECTIVES = ("Lost", "Silent", "Golden", "Dark", "Hidden", "Broken", "Secret", "Last", "Wild", "Burning",
               "Frozen", "Crimson", "Iron", "Distant", "Fallen", "Endless")  # fmt: skip
_NOUNS = ("City", "Road", "Kingdom", "Shadow", "River", "Island", "Empire", "Garden", "Signal", "Harbor", "Forest",
          "Crown", "Mirror", "Storm", "Frontier", "Tower", "Valley", "Legacy", "Voyage", "Horizon")  # fmt: skip
# Title formats of a numbered part; {name} is the franchise, {k} the part, {roman} it in Roman numerals.
FORMATS = ("{name} Part {k}", "{name} {k}", "{name}: Chapter {k}", "{name} {roman}", "{name} - Episode {k}")
_ROMAN = (("X", 10), ("IX", 9), ("V", 5), ("IV", 4), ("I", 1))


class SeriesConfig(EventsConfig):
    """Size and structure of a synthetic series catalog and its viewing histories (an event is a title
    watched)."""

    n_franchises: int = Field(150, gt=0, description="Franchises with several numbered parts.")
    min_parts: int = Field(2, ge=2, description="Fewest parts of a franchise.")
    max_parts: int = Field(8, ge=2, le=30, description="Most parts of a franchise (uniform between the two).")
    n_standalone: int = Field(150, ge=0, description="Titles that belong to no franchise (one part, no number).")
    franchise_zipf: float = Field(
        1.0, ge=0, description="Skew of franchise popularity (Zipf over franchises and standalones; 0 = uniform)."
    )
    p_next: float = Field(0.7, ge=0, le=1, description="Probability that the next title is the next part.")
    p_skip: float = Field(0.1, ge=0, le=1, description="Probability that the next title skips one part (k -> k+2).")
    p_noise: float = Field(
        0.15, ge=0, le=1, description="Probability that the next title is any other one (by popularity); the rest of "
        "the probability (1 - p_next - p_skip - p_noise) starts another franchise.",
    )  # fmt: skip
    p_from_start: float = Field(0.85, ge=0, le=1, description="Probability that a franchise is started at part 1.")
    p_plain_first: float = Field(
        0.5, ge=0, le=1, description="Probability that a franchise's first part is titled by its name alone."
    )


@dataclass(frozen=True, eq=False)
class SeriesTruth:
    """The planted structure, in internal ids: each item's franchise and part (1-based; standalones
    are franchises of one part), each franchise's name and number of parts."""

    franchise: np.ndarray
    part: np.ndarray
    names: tuple[str, ...]
    sizes: np.ndarray

    def item_of(self, franchise: int, part: int) -> int:
        """The item of a franchise's part, or -1 when the franchise has no such part."""
        hit = np.flatnonzero((self.franchise == franchise) & (self.part == part))
        return int(hit[0]) if len(hit) else -1


@dataclass(frozen=True, eq=False)
class SeriesDataset(Dataset):
    truth: SeriesTruth | None = None


def series_title(name: str, part: int, fmt: str, plain_first: bool = False) -> str:
    """The title of part `part` of franchise `name` in format `fmt` (one of `FORMATS`); part 1 is the
    name alone when `plain_first`."""
    if part == 1 and plain_first:
        return name
    roman, rest = "", part
    for letters, value in _ROMAN:
        while rest >= value:
            roman, rest = roman + letters, rest - value
    return fmt.format(name=name, k=part, roman=roman)


def make_series(config: SeriesConfig | None = None, **overrides: object) -> SeriesDataset:
    """Generate a series dataset; keyword overrides replace fields of `config` (same seed, same data)."""
    cfg = SeriesConfig.from_dict({**(config or SeriesConfig()).model_dump(), **overrides}, source="make_series")
    _check(cfg)
    rng = np.random.default_rng(cfg.seed)
    n_f = cfg.n_franchises + cfg.n_standalone
    sizes = np.concatenate([rng.integers(cfg.min_parts, cfg.max_parts + 1, cfg.n_franchises),
                            np.ones(cfg.n_standalone, np.int64)])  # fmt: skip
    names = _names(rng, n_f)
    n_i = int(sizes.sum())
    ids = rng.permutation(n_i)  # item ids say nothing of the order
    franchise, part = np.empty(n_i, np.int64), np.empty(n_i, np.int64)
    franchise[ids] = np.repeat(np.arange(n_f), sizes)
    part[ids] = np.concatenate([np.arange(1, s + 1) for s in sizes])
    first = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    item_at = lambda f, p: int(ids[first[f] + p - 1])  # noqa: E731 - franchise f's part p (1-based)

    popular = rng.permutation(n_f)  # popularity rank -> franchise
    cdf = zipf_cdf(n_f, cfg.franchise_zipf)
    lengths = cfg.lengths(rng)
    sequences = [_watch(rng, cfg, int(n), sizes, lambda: int(popular[zipf_draw(rng, cdf)]), item_at) for n in lengths]
    inter = event_stream(*timed_sequences(rng, sequences), cfg.n_users, n_i, "series")

    formats = rng.integers(0, len(FORMATS), n_f)
    plain = rng.random(n_f) < cfg.p_plain_first
    titles = [
        names[f] if sizes[f] == 1 else series_title(names[f], int(p), FORMATS[formats[f]], bool(plain[f]))
        for f, p in zip(franchise, part, strict=True)
    ]
    catalog = ItemCatalog(pd.DataFrame({"title": titles}, index=pd.Index(inter.items.ids, name="item_id")), noun="title")
    return SeriesDataset("series", inter, catalog, SeriesTruth(franchise, part, names, sizes))


def _check(cfg: SeriesConfig) -> None:
    if cfg.min_parts > cfg.max_parts:
        raise ConfigError(f"min_parts ({cfg.min_parts}) must be <= max_parts ({cfg.max_parts})")
    if cfg.p_next + cfg.p_skip + cfg.p_noise > 1:
        raise ConfigError(f"p_next + p_skip + p_noise ({cfg.p_next} + {cfg.p_skip} + {cfg.p_noise}) must be <= 1; "
                          "lower one of them")  # fmt: skip
    most = 2 * len(_ADJECTIVES) * len(_NOUNS) + len(_NOUNS) * (len(_NOUNS) - 1)
    if cfg.n_franchises + cfg.n_standalone > most:
        raise ConfigError(f"n_franchises + n_standalone ({cfg.n_franchises + cfg.n_standalone}) must be <= {most}, "
                          "the distinct names there are")  # fmt: skip


def _names(rng: np.random.Generator, n: int) -> tuple[str, ...]:
    """`n` distinct franchise names: "The Lost City", "Silent Harbor", "Shadow Road"."""
    forms = [f"The {a} {b}" for a, b in itertools.product(_ADJECTIVES, _NOUNS)]
    forms += [f"{a} {b}" for a, b in itertools.product(_ADJECTIVES, _NOUNS)]
    forms += [f"{a} {b}" for a, b in itertools.permutations(_NOUNS, 2)]
    return tuple(forms[i] for i in rng.choice(len(forms), n, replace=False))


def _watch(
    rng: np.random.Generator, cfg: SeriesConfig, n: int, sizes: np.ndarray, draw: Callable[[], int],
    item_at: Callable[[int, int], int],
) -> np.ndarray:  # fmt: skip
    """One user's `n` titles: start a franchise (`draw`: one by popularity), then the next part / one
    part skipped / any other title / another franchise; a finished franchise is left for another."""
    seq: list[int] = []
    seen: set[int] = set()
    current, at = -1, 0  # the franchise being watched and its last part watched
    for _ in range(5 * n):  # bounded: a user who has seen most of what they draw stops early
        if len(seq) == n:
            break
        if current >= 0 and at == sizes[current]:
            current = -1
        r = rng.random()
        if current >= 0 and r < cfg.p_next + cfg.p_skip:
            at = min(at + (1 if r < cfg.p_next else 2), int(sizes[current]))
            item = item_at(current, at)
        elif current >= 0 and r < cfg.p_next + cfg.p_skip + cfg.p_noise:
            f = draw()
            item = item_at(f, int(rng.integers(1, sizes[f] + 1)))
        else:
            current = draw()
            at = 1 if rng.random() < cfg.p_from_start else int(rng.integers(1, sizes[current] + 1))
            item = item_at(current, at)
        if item not in seen:
            seen.add(item)
            seq.append(item)
    return np.array(seq, np.int64)
