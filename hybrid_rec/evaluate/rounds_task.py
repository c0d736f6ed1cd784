"""The multi-round task of `compare` (``[evaluation.rounds]``): does feedback make the next list better?

Each sampled test user has a hidden target (its held-out test item) and is shown `k` items per round
for `rounds` rounds; a simulated user (`data.simulated_user`: it reads only the catalog, its target
and the lists) reacts per feedback kind (`pipeline.rounds`: paging, click, "more like", "less like",
a stated category, click + category), and the next round's session carries every reaction so far.
Reported per method and kind, by round: the share of users who have seen their target (hit rate)
and the discounted gain of the list where they saw it (1 / log2(1 + place), 0 until then), with
95% CIs over users, and each kind against paging at `compare_round` (paired bootstrap).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol, cast, runtime_checkable

import numpy as np
import scipy.sparse as sp
from pydantic import Field, field_validator

from hybrid_rec.config import StrictModel
from hybrid_rec.data.catalog import ItemCatalog, genre_request
from hybrid_rec.data.simulated_user import SimulatedUsers, category_vectors
from hybrid_rec.data.splits import Split
from hybrid_rec.errors import ConfigError
from hybrid_rec.metrics import bootstrap_mean
from hybrid_rec.pipeline.rounds import FEEDBACK_KINDS, Policy, RoundsOutcome, RoundState, play_rounds, policy_field
from hybrid_rec.text.config import TextEncoderConfig, shared_encoder
from hybrid_rec.topk import TopK

__all__ = ["RoundsMethod", "RoundsTaskConfig", "rounds_entry"]


class RoundsTaskConfig(StrictModel):
    """The simulated multi-round task: rounds, list size, the simulated user's policy, feedback kinds."""

    rounds: int = Field(5, ge=1, le=50, description="Rounds per user (a user who found its target stops).")
    k: int = Field(10, gt=0, description="Items shown per round.")
    users: int = Field(200, gt=0, description="Test users simulated (a seeded sample of those with a test item).")
    policy: Policy = policy_field()
    kinds: list[str] = Field(
        default_factory=lambda: list(FEEDBACK_KINDS),
        description=f"Feedback kinds simulated, among {list(FEEDBACK_KINDS)} ('paging' is always run: the baseline).",
    )
    compare_round: int = Field(3, ge=1, description="The round at which every kind is compared with paging.")
    methods: list[str] | None = Field(
        None, description="Methods run (default: every method that reads sessions: the hybrid and the LM alone)."
    )
    seed: int = Field(0, description="Seed of the user sample and the stated requests.")

    @field_validator("kinds")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        unknown = [k for k in v if k not in FEEDBACK_KINDS]
        if unknown:
            raise ValueError(f"rounds.kinds: {unknown} are not feedback kinds {list(FEEDBACK_KINDS)}")
        return ["paging", *[k for k in dict.fromkeys(v) if k != "paging"]]


@runtime_checkable
class RoundsMethod(Protocol):
    """A method that reads a session's reactions (`RoundState`) in its next list."""

    def recommend_rounds(
        self,
        users: np.ndarray,
        k: int,
        exclude: sp.csr_matrix,
        requests: Sequence[str | None] | None,
        states: Sequence[RoundState],
    ) -> TopK: ...


def simulated_vectors(catalog: ItemCatalog, items: Any, policy: str) -> np.ndarray:
    """The simulated user's item vectors: category multi-hot, or text vectors of the descriptions."""
    if policy == "categories" and (vectors := category_vectors(catalog, items)) is not None:
        return vectors
    encoder = shared_encoder(TextEncoderConfig().model_dump_json())
    return encoder.encode(catalog.describe_many(items.ids))


def run_rounds(
    method: RoundsMethod,
    task: RoundsTaskConfig,
    users: np.ndarray,
    targets: np.ndarray,
    seen: sp.csr_matrix,
    vectors: np.ndarray,
    requests: Sequence[str | None],
) -> dict[str, RoundsOutcome]:
    """Every feedback kind's rounds for `users` (internal, with their `targets` and `seen` rows)."""
    out = {}
    for kind in task.kinds:
        def recommend(rows: np.ndarray, states: Sequence[RoundState], asked: Sequence[str | None] | None) -> TopK:
            return method.recommend_rounds(users[rows], task.k, seen[rows], asked, states)

        out[kind] = play_rounds(recommend, SimulatedUsers(vectors, targets), task.rounds, kind, requests)
    return out


def sample_users(split: Split, task: RoundsTaskConfig) -> tuple[np.ndarray, np.ndarray]:
    """A seeded sample of test users and their targets (each one's first test item)."""
    test = split.test.to_csr("binary")
    users = np.flatnonzero(np.diff(test.indptr) > 0)
    rng = np.random.default_rng(task.seed)
    users = np.sort(rng.choice(users, min(task.users, len(users)), replace=False))
    return users, test.indices[test.indptr[users]]


def rounds_entry(outcomes: dict[str, RoundsOutcome], task: RoundsTaskConfig, bootstrap: int, seed: int) -> dict[str, Any]:
    """Per kind: hit rate and gain by round (with CIs), and the paired difference with paging at
    `compare_round`."""
    if task.compare_round > task.rounds:
        raise ConfigError(f"rounds.compare_round ({task.compare_round}) is after the last round ({task.rounds})")
    out: dict[str, Any] = {}
    base = _per_user(outcomes["paging"], task.compare_round)
    for kind, outcome in outcomes.items():
        hits = [_per_user(outcome, r) for r in range(1, task.rounds + 1)]
        entry: dict[str, Any] = {
            "hit_rate": [float(h[0].mean()) for h in hits],
            "hit_rate_ci95": [_ci(h[0], bootstrap, seed) for h in hits],
            "gain": [float(h[1].mean()) for h in hits],
            "gain_ci95": [_ci(h[1], bootstrap, seed) for h in hits],
        }
        if kind != "paging":
            mine = _per_user(outcome, task.compare_round)
            diff = mine[0] - base[0]
            entry["vs_paging"] = {
                "round": task.compare_round,
                "hit_rate_delta": float(diff.mean()),
                "hit_rate_delta_ci95": _ci(diff, bootstrap, seed),
                "ratio": float(mine[0].mean() / base[0].mean()) if base[0].mean() > 0 else None,
            }
        out[kind] = entry
    return out


def _ci(values: np.ndarray, bootstrap: int, seed: int) -> list[float]:
    b = bootstrap_mean(values, bootstrap, seed)
    return [b.low, b.high]


def stated_requests(catalog: ItemCatalog, items: Any, targets: np.ndarray, seed: int) -> list[str | None]:
    """What each simulated user says it wants from round 2 of the request kinds: a category of its
    target, in the phrasing of the intention task ("a comedy movie"; None without categories)."""
    field = catalog.category_field()
    rng = np.random.default_rng(seed)
    noun = catalog.noun or "item"
    out: list[str | None] = []
    held_by = catalog.values_of(field, items.to_external(targets)) if field else [None] * len(targets)
    for value in held_by:
        held = cast(Iterable[str], value or ())
        values = [g for g in held if g != "unknown"]
        out.append(genre_request(values, rng, noun))
    return out


def _per_user(outcome: RoundsOutcome, upto: int) -> tuple[np.ndarray, np.ndarray]:
    """Per user: found in rounds 1..`upto` (0/1) and the gain 1 / log2(1 + place) of that list (0: not found)."""
    found = (outcome.found_round >= 0) & (outcome.found_round < upto)
    gain = np.where(found, 1.0 / np.log2(1.0 + np.maximum(outcome.found_rank, 1)), 0.0)
    return found.astype(np.float64), gain
