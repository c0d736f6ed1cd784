"""Events -> `Interactions`: the one place the synthetic generators turn drawn items into a dataset.

Each generator draws per-user item sequences; this module gives them timestamps (a random start per
user, then gaps of about an hour), merges them into one global event stream ordered by time, and
wraps it with ``u<i>`` / ``i<i>`` id maps, so every generator's data reads the same way.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from hybrid_rec.config import StrictModel
from hybrid_rec.data.ids import IdMap
from hybrid_rec.data.interactions import Interactions


class EventsConfig(StrictModel):
    """How many users there are, how many events each gets, and the seed (the shop and series
    generators' shared options)."""

    n_users: int = Field(1500, gt=0, description="Number of users.")
    interactions_per_user: float = Field(
        15.0, gt=0, description="Mean events per user (Poisson-distributed, at least min_interactions)."
    )
    min_interactions: int = Field(3, ge=1, description="Fewest events any user gets.")
    seed: int = Field(0, description="Random seed: the same seed gives the same data.")

    def lengths(self, rng: np.random.Generator) -> np.ndarray:
        """Events per user: Poisson around ``interactions_per_user``, at least ``min_interactions``."""
        return np.maximum(self.min_interactions, rng.poisson(self.interactions_per_user, size=self.n_users))


def zipf_cdf(n: int, exponent: float) -> np.ndarray:
    """Cumulative Zipf weights of ranks 1..n (exponent 0: uniform); search it with uniform draws."""
    w = 1.0 / np.arange(1, n + 1) ** exponent
    cdf = np.cumsum(w)
    return cdf / cdf[-1]


def zipf_draw(rng: np.random.Generator, cdf: np.ndarray, size: int | None = None) -> np.ndarray:
    """Ranks (0 = most popular) drawn from `cdf` (`zipf_cdf`)."""
    return np.minimum(np.searchsorted(cdf, rng.random(size)), len(cdf) - 1)


def timed_sequences(rng: np.random.Generator, sequences: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(user, item, timestamp) of per-user item sequences, oldest first within each user: a random
    start per user in about a year, then 1 s plus an exponential gap of mean one hour per event."""
    lengths = np.array([len(s) for s in sequences], dtype=np.int64)
    user = np.repeat(np.arange(len(sequences)), lengths)
    item = np.concatenate(sequences) if len(sequences) else np.empty(0, np.int64)
    start = rng.uniform(0, 3.0e7, size=len(sequences)).round()
    gaps = 1 + rng.exponential(3600.0, size=len(item)).round()
    ends = np.cumsum(lengths)
    clock = np.cumsum(gaps)
    before = np.concatenate([[0.0], clock])[ends - lengths]  # the clock just before each user's first event
    ts = np.repeat(start - before, lengths) + clock  # restarts each user's clock at their own start
    return user, item, ts


def event_stream(
    user: np.ndarray, item: np.ndarray, ts: np.ndarray, n_users: int, n_items: int, source: str
) -> Interactions:
    """`Interactions` of the events, in one global stream ordered by time (ties: the given order)."""
    order = np.argsort(ts, kind="stable")
    return Interactions(
        user=user[order].astype(np.int32),
        item=item[order].astype(np.int32),
        timestamp=ts[order].astype(np.float64),
        weight=np.ones(len(user), np.float32),
        users=IdMap([f"u{i}" for i in range(n_users)], name="user"),
        items=IdMap([f"i{i}" for i in range(n_items)], name="item"),
        meta={"source": source},
    )
