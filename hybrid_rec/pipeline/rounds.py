"""Multi-round sessions with a simulated user: what each kind of feedback puts in the next call.

A round shows a user k items; a simulated user (`data.simulated_user`) who has not found its target
reacts, and the next round's session carries the reactions of every round so far, per feedback kind:

- ``paging``: shown items are not shown again (no feedback; the baseline every kind must beat);
- ``click``: the user clicks the shown item most like its target (it joins the session's recent
  items, read by the LM after the history) and passes over the rest (chosen against: "passed");
- ``more_like``: the user says "more like" that item instead of clicking it, and passes over the rest;
- ``less_like``: the user says "less like" the shown item least like its target (the rest is paged past);
- ``request``: paging, and from the second round the user states a category of its target in words;
- ``click+request``: both.

`play_rounds` runs the loop for any recommender given as a callable, so the fitting of the session
fusion (`pipeline.fitting`) and the `compare` harness's rounds task run the same rounds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import numpy as np
from pydantic import Field

from hybrid_rec.data.ids import IdMap
from hybrid_rec.data.simulated_user import SimulatedUsers
from hybrid_rec.session import Session
from hybrid_rec.topk import TopK

__all__ = ["FEEDBACK_KINDS", "Feedback", "Policy", "RoundState", "RoundsOutcome", "play_rounds", "policy_field"]

Policy = Literal["categories", "text"]


def policy_field() -> Any:
    """The simulated user's policy field, one definition for fitting and evaluation."""
    return Field(
        "categories",
        description="How the simulated user tells which shown item is most like its target: the catalog's "
        "categories (the text vectors without a category field), or the catalog text vectors.",
    )


Feedback = Literal["paging", "click", "more_like", "less_like", "request", "click+request"]
FEEDBACK_KINDS: tuple[str, ...] = get_args(Feedback)


@dataclass
class RoundState:
    """One user's reactions so far (internal item ids, in order)."""

    shown: list[int] = field(default_factory=list)
    clicked: list[int] = field(default_factory=list)
    more_like: list[int] = field(default_factory=list)
    less_like: list[int] = field(default_factory=list)
    passed: list[int] = field(default_factory=list)

    def apply(self, kind: str, shown: np.ndarray, clicked: int, rejected: int, passed: np.ndarray) -> None:
        """Record one round's list and the reactions `kind` lets the user give."""
        self.shown += [int(i) for i in shown if i >= 0]
        if kind == "less_like":  # a dislike alone passes over nothing (the rest is only paged past)
            if rejected >= 0:
                self.less_like.append(int(rejected))
        elif kind in ("click", "more_like", "click+request"):
            if clicked >= 0:
                (self.more_like if kind == "more_like" else self.clicked).append(int(clicked))
            self.passed += [int(i) for i in passed]

    def session(self, items: IdMap) -> Session:
        """The session of the next call (external ids of `items`): everything shown is banned, item
        feedback as recent / "more / less like" / passed-over items."""
        ext = lambda ids: tuple(items.ids[np.asarray(ids, np.int64)]) if ids else ()  # noqa: E731
        return Session(recent=ext(self.clicked), exclude=ext(self.shown), more_like=ext(self.more_like),
                       less_like=ext(self.less_like), passed=ext(self.passed))  # fmt: skip


@dataclass(frozen=True)
class RoundsOutcome:
    """Per user, the round (0-based) in which the target was shown (-1: never) and its place there
    (1-based; 0: never); the lists shown per round ([users, k], -1 for users already done)."""

    found_round: np.ndarray
    found_rank: np.ndarray
    lists: list[np.ndarray]

    def hit_rate(self, upto: int) -> float:
        """The share of users who have seen their target in rounds 1..`upto`."""
        return float(np.mean((self.found_round >= 0) & (self.found_round < upto))) if len(self.found_round) else 0.0


Recommend = Callable[[np.ndarray, Sequence[RoundState], Sequence[str | None] | None], TopK]


def play_rounds(
    recommend: Recommend,
    users: SimulatedUsers,
    rounds: int,
    kind: str,
    requests: Sequence[str | None] | None = None,
) -> RoundsOutcome:
    """`rounds` rounds for every simulated user until it finds its target. ``recommend(rows,
    states, requests)`` returns the next list [len(rows), k] for the users at positions `rows` given
    their states (and requests, None without); `requests` = one stated need per user (the
    ``request`` kinds, from the second round)."""
    if kind not in FEEDBACK_KINDS:
        raise ValueError(f"feedback kind must be one of {FEEDBACK_KINDS}, got {kind!r}")
    n = len(users)
    states = [RoundState() for _ in range(n)]
    found_round, found_rank = np.full(n, -1, np.int64), np.zeros(n, np.int64)
    lists: list[np.ndarray] = []
    for r in range(rounds):
        active = np.flatnonzero(found_round < 0)
        if not len(active):
            break
        asked = None
        if "request" in kind and r > 0 and requests is not None:
            asked = [requests[int(a)] for a in active]
        top = recommend(active, [states[a] for a in active], asked)
        shown = np.asarray(top.items, np.int64)
        react = users.react(shown, active)
        full = np.full((n, shown.shape[1]), -1, np.int64)
        full[active] = shown
        lists.append(full)
        for j, a in enumerate(active):
            if react.found[j]:
                found_round[a] = r
                found_rank[a] = int(react.place[j])
            else:
                states[a].apply(kind, shown[j], int(react.clicked[j]), int(react.rejected[j]), react.passed[j])
    return RoundsOutcome(found_round, found_rank, lists)

