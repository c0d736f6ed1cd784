"""Rounds with a simulated user: what each feedback kind records, when a target counts as found, and
that the recommender sees nothing of the simulated user but the reactions."""

from __future__ import annotations

import numpy as np
import pytest

from hybrid_rec.data.ids import IdMap
from hybrid_rec.data.simulated_user import SimulatedUsers
from hybrid_rec.pipeline.rounds import FEEDBACK_KINDS, RoundState, play_rounds
from hybrid_rec.topk import TopK

# 6 items on a line of two clusters: items 0-2 point one way, 3-5 the other
VECTORS = np.array([[1, 0], [1, 0.1], [1, 0.2], [0, 1], [0.1, 1], [0.2, 1]], float)


def test_each_kind_records_its_reactions():
    for kind, expect in [
        ("paging", ([], [], [], [])),
        ("click", ([3], [], [], [0, 2])),
        ("more_like", ([], [3], [], [0, 2])),
        ("less_like", ([], [], [0], [])),
        ("request", ([], [], [], [])),
        ("click+request", ([3], [], [], [0, 2])),
    ]:
        state = RoundState()
        state.apply(kind, np.array([0, 3, 2]), clicked=3, rejected=0, passed=np.array([0, 2]))
        assert (state.clicked, state.more_like, state.less_like, state.passed) == tuple(expect), kind
        assert state.shown == [0, 3, 2]
    assert set(FEEDBACK_KINDS) == {"paging", "click", "more_like", "less_like", "request", "click+request"}
    session = RoundState([0, 3, 2], [3], [], [0], [2]).session(IdMap(["a", "b", "c", "d", "e", "f"]))
    assert session.recent == ("d",) and set(session.exclude) == {"a", "d", "c"} and session.less_like == ("a",)
    assert session.passed == ("c",)


def test_play_rounds_pages_until_found_and_the_recommender_sees_only_reactions():
    targets = np.array([1, 4, 5])
    seen_args = []

    def recommend(rows, states, asked):
        seen_args.append((rows.copy(), [RoundState(list(s.shown), list(s.clicked)) for s in states], asked))
        out = []
        for s in states:  # the next two unseen items in catalog order
            out.append([i for i in range(6) if i not in s.shown][:2])
        return TopK(np.array(out), np.zeros((len(out), 2)))

    outcome = play_rounds(recommend, SimulatedUsers(VECTORS, targets), 4, "click", ["x", "y", "z"])
    assert outcome.found_round.tolist() == [0, 2, 2] and outcome.found_rank.tolist() == [2, 1, 2]
    assert outcome.hit_rate(1) == pytest.approx(1 / 3) and outcome.hit_rate(3) == 1.0
    assert [a[0].tolist() for a in seen_args] == [[0, 1, 2], [1, 2], [1, 2]]  # a user who found it stops
    for rows, states, asked in seen_args:
        assert asked is None  # no request for the click kind
        for r, s in zip(rows, states, strict=True):
            assert targets[r] not in s.shown  # the recommender never sees a found target as a reaction
    with pytest.raises(ValueError, match="feedback kind"):
        play_rounds(recommend, SimulatedUsers(VECTORS, targets), 2, "shout")


def test_request_kinds_state_the_need_from_round_two():
    asked_by_round = []

    def recommend(rows, states, asked):
        asked_by_round.append(asked)
        return TopK(np.array([[0]] * len(rows)), np.zeros((len(rows), 1)))

    play_rounds(recommend, SimulatedUsers(VECTORS, np.array([5])), 3, "request", ["a drama"])
    assert asked_by_round == [None, ["a drama"], ["a drama"]]
