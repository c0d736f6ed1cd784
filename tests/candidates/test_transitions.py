"""The "chosen right after" source: counts of what followed what in the users' time-ordered histories."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hybrid_rec.candidates.generator import CandidateGenerator, CandidatesConfig
from hybrid_rec.candidates.sources import RecentHistory
from hybrid_rec.candidates.transitions import Transitions, TransitionsConfig, transition_pairs
from hybrid_rec.data.interactions import Interactions

# Three users walk a -> b -> c (user z then jumps to d); the time order, not the id order, says so.
ROWS = [("x", "c", 3), ("x", "a", 1), ("x", "b", 2),
        ("y", "a", 5), ("y", "b", 6), ("y", "c", 7),
        ("z", "a", 1), ("z", "b", 2), ("z", "d", 3)]  # fmt: skip


def _events(rows) -> Interactions:
    return Interactions.from_dataframe(pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"]))


def _fit(inter: Interactions, **cfg) -> Transitions:
    config = TransitionsConfig(**cfg)
    return Transitions.fit(inter, RecentHistory(inter, max(config.history, config.window)), config)


def _dense(t: Transitions, inter: Interactions) -> dict[tuple[str, str], float]:
    ids = inter.items.ids
    c = t.counts.tocoo()
    return {(str(ids[i]), str(ids[j])): float(v) for i, j, v in zip(c.row, c.col, c.data, strict=True)}


def test_counts_are_the_pairs_in_time_order_weighted_by_one_over_the_gap():
    inter = _events(ROWS)
    counts = _dense(_fit(inter, window=2), inter)
    assert counts == {("a", "b"): 3.0, ("b", "c"): 2.0, ("a", "c"): 1.0, ("b", "d"): 1.0, ("a", "d"): 0.5}


def test_scores_are_the_decayed_next_item_probabilities_of_the_recent_history():
    inter = _events(ROWS)
    t = _fit(inter, window=1, decay=0.5)
    item = lambda name: int(inter.items.to_internal([name])[0])
    user = int(inter.users.to_internal(["z"])[0])  # z's history, newest first: d, b, a
    got = t.score(user, np.array([item("a"), item("b"), item("c"), item("d")]))
    # P(. | d) = nothing; P(c | b) = 2/3, P(d | b) = 1/3 at weight 0.5; P(b | a) = 1 at weight 0.25
    np.testing.assert_allclose(got, [0.0, 0.25, 0.5 * 2 / 3, 0.5 * 1 / 3])
    assert np.isnan(t.score(-1, np.array([item("a")]))).all(), "a user without history cannot be scored"


def test_generate_proposes_what_followed_never_a_seen_item():
    inter = _events([*ROWS, ("w", "a", 9)])
    t = _fit(inter, window=1)
    user = int(inter.users.to_internal(["w"])[0])
    top = t.generate(np.array([user]), 3, inter.to_csr("binary")[[user]])
    assert inter.items.to_external(top.items[0][top.items[0] >= 0]).tolist() == ["b"], "only b ever followed a"


def test_updating_with_later_events_counts_what_fitting_on_all_of_them_counts():
    rows = [*ROWS, ("x", "d", 8), ("z", "c", 9), ("z", "a", 10), ("v", "b", 11), ("v", "c", 12)]
    before, after = rows[: len(ROWS)], rows[len(ROWS) :]
    whole = _events(rows)
    gen = CandidateGenerator(CandidatesConfig(als={"factors": 2, "iterations": 2})).fit(_events(before))
    gen.update(_events(after))
    ids = gen.items.ids
    c = gen.fitted.transitions.counts.tocoo()
    got = {(str(ids[i]), str(ids[j])): float(v) for i, j, v in zip(c.row, c.col, c.data, strict=True)}
    assert got == _dense(_fit(whole, window=2), whole)


def test_pairs_of_new_events_only_when_asked():
    user, item, ts = np.array([0, 0, 0]), np.array([1, 2, 3]), np.array([1, 2, 3])
    rows, cols, vals = transition_pairs(user, item, ts, 2, new=np.array([False, False, True]))
    assert sorted(zip(rows.tolist(), cols.tolist(), vals.tolist(), strict=True)) == [(1, 3, 0.5), (2, 3, 1.0)]


def test_saved_counts_load_the_same_and_grow_for_new_items(tmp_path):
    inter = _events(ROWS)
    t = _fit(inter)
    t.save(tmp_path / "t.npz")
    loaded = Transitions.load(tmp_path / "t.npz", t.history, t.config)
    assert (loaded.counts != t.counts).nnz == 0
    loaded.grow(t.n_items + 2)
    assert loaded.counts.shape == (t.n_items + 2,) * 2
    user = int(inter.users.to_internal(["x"])[0])
    assert loaded.score(user, np.array([t.n_items + 1]))[0] == 0.0, "a new item has no transitions yet"


@pytest.mark.parametrize("with_source", [True, False])
def test_the_generator_scores_transitions_for_fusion_whether_or_not_they_propose(with_source):
    inter = _events([*ROWS, ("w", "a", 9)])
    sources = ["als", "transitions", "popularity"] if with_source else ["als", "popularity"]
    config = CandidatesConfig(sources=sources, als={"factors": 2, "iterations": 2}, transitions={"window": 1})
    gen = CandidateGenerator(config).fit(inter)
    user = int(inter.users.to_internal(["w"])[0])
    b, c = inter.items.to_internal(["b", "c"])
    scores = gen.score_items(user, np.array([b, c]))["transitions"][0]
    np.testing.assert_allclose(scores, [1.0, 0.0])  # right after a came b, every time


def test_a_history_with_shared_timestamps_survives_saving_and_adding_in_its_order():
    """Events at one time are ordered by input row (the later first). Saved and read back, or extended with
    new events, the kept history keeps that order: reading it in its own newest-first order would swap every
    pair that shares a timestamp on each rebuild (MovieLens rates many films in the same second)."""
    inter = _events([("x", "a", 1), ("x", "b", 1), ("x", "c", 1), ("y", "a", 2), ("y", "d", 2), ("x", "d", 0)])
    history = RecentHistory(inter, 3)
    names = lambda h, u: [str(inter.items.ids[i]) for i in h.of(u)]
    x = int(np.flatnonzero(inter.users.ids == "x")[0])
    assert names(history, x) == ["c", "b", "a"]  # newest first; at one time, the later row first
    again = RecentHistory.from_arrays(history.arrays(), 3, inter.n_users)
    assert all(names(again, u) == names(history, u) for u in range(inter.n_users))
    twice = RecentHistory.from_arrays(again.arrays(), 3, inter.n_users)
    assert names(twice, x) == ["c", "b", "a"]
    old = {k: v for k, v in history.arrays().items() if k != "input_order"}  # a file saved before the fix:
    old = {k: v[::-1] for k, v in old.items()}  # the kept, newest-first order
    assert names(RecentHistory.from_arrays(old, 3, inter.n_users), x) == ["c", "b", "a"]
    d = int(np.flatnonzero(inter.items.ids == "d")[0])
    history.add(np.array([x]), np.array([d]), np.array([1]), inter.n_users)  # a new event at the same time
    assert names(history, x) == ["d", "c", "b"]
