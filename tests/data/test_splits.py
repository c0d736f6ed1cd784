from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hybrid_rec.data import Interactions, leave_last_out, random_holdout, temporal_split
from hybrid_rec.errors import ConfigError, DataError
from tests.conftest import frame


@st.composite
def interaction_tables(draw) -> Interactions:
    """Random small tables with many timestamp ties (unique (user, item, time) triples)."""
    n = draw(st.integers(1, 60))
    users = draw(st.lists(st.integers(0, 7), min_size=n, max_size=n))
    items = draw(st.lists(st.integers(0, 9), min_size=n, max_size=n))
    times = draw(st.lists(st.integers(0, 5), min_size=n, max_size=n))
    df = pd.DataFrame({"user_id": users, "item_id": items, "timestamp": times}).drop_duplicates()
    return Interactions.from_dataframe(df)


def triples(inter: Interactions) -> set[tuple[int, int, float]]:
    return set(zip(inter.user.tolist(), inter.item.tolist(), inter.timestamp.tolist(), strict=True))


def assert_final_fit_is_clean(split) -> None:
    """The final fit (train_valid) holds every validation row and no test row, row for row."""
    rows = lambda inter: sorted(zip(inter.user.tolist(), inter.item.tolist(), inter.timestamp.tolist(), strict=True))
    train_valid = rows(split.train_valid)
    assert not set(train_valid) & set(rows(split.test)), "train_valid and test share rows"
    assert set(rows(split.valid)) <= set(train_valid), "a validation row is missing from train_valid"
    assert set(rows(split.train)) <= set(train_valid), "a training row is missing from train_valid"


def test_leave_last_out_by_time_with_row_order_ties():
    df = frame(
        [
            ("a", 1, 5),
            ("a", 2, 1),
            ("a", 3, 5),
            ("a", 4, 3),  # last by time: items 1 and 3 tie at t=5 -> row order
            ("b", 1, 1),
            ("b", 2, 2),  # only 2 interactions: train only
            ("c", 5, 9),
            ("c", 6, 8),
            ("c", 7, 7),
        ]
    )
    split = leave_last_out(Interactions.from_dataframe(df))
    ext = lambda inter: sorted(
        zip(inter.users.to_external(inter.user), inter.items.to_external(inter.item), strict=True)
    )
    assert ext(split.test) == [("a", 3), ("c", 5)]
    assert ext(split.valid) == [("a", 1), ("c", 6)]
    assert ("b", 1) in ext(split.train) and ("b", 2) in ext(split.train)
    assert len(split.train_valid) == len(split.train) + len(split.valid)
    assert split.fit_data("test") is split.train_valid and split.targets("valid") is split.valid


@settings(max_examples=150, deadline=None)
@given(interaction_tables())
def test_leave_last_out_properties(inter: Interactions):
    split = leave_last_out(inter)
    train, valid, test = triples(split.train), triples(split.valid), triples(split.test)
    assert not (train & test) and not (valid & test) and not (train & valid)
    assert len(split.train) + len(split.valid) + len(split.test) == len(inter)
    assert_final_fit_is_clean(split)
    assert triples(split.train_valid) == train | valid and len(split.train_valid) == len(split.train) + len(split.valid)
    counts = inter.user_counts()
    assert set(split.test.user.tolist()) == set(np.flatnonzero(counts >= 3).tolist())
    assert np.bincount(split.test.user, minlength=inter.n_users).max(initial=0) <= 1
    # nothing a user did in train is later than their test (or validation) interaction
    for u, t in zip(split.test.user, split.test.timestamp, strict=True):
        assert split.train_valid.timestamp[split.train_valid.user == u].max() <= t
    for u, t in zip(split.valid.user, split.valid.timestamp, strict=True):
        assert split.train.timestamp[split.train.user == u].max() <= t


@settings(max_examples=150, deadline=None)
@given(interaction_tables(), st.floats(0.05, 0.95), st.one_of(st.just(0.0), st.floats(0.1, 1.0)))
def test_temporal_properties(inter: Interactions, q_test: float, frac: float):
    try:
        split = temporal_split(inter, test_quantile=q_test, valid_quantile=q_test * frac if frac > 0 else None)
    except DataError as exc:  # legal only when no row falls before the first cut
        assert "training part is empty" in str(exc)
        return
    assert_final_fit_is_clean(split)
    if len(split.test):
        assert split.train_valid.timestamp.max(initial=-np.inf) < split.test.timestamp.min()
        seen_u, seen_i = set(split.train_valid.user.tolist()), set(split.train_valid.item.tolist())
        assert set(split.test.user.tolist()) <= seen_u and set(split.test.item.tolist()) <= seen_i
    if len(split.valid):
        assert split.train.timestamp.max() < split.valid.timestamp.min()
    kept = len(split.train_valid) + len(split.test) + split.info["dropped_test_rows"]
    assert kept == len(inter)


@settings(max_examples=100, deadline=None)
@given(interaction_tables(), st.integers(0, 1000))
def test_random_holdout_properties(inter: Interactions, seed: int):
    try:
        split = random_holdout(inter, test_fraction=0.3, valid_fraction=0.2, seed=seed)
    except DataError as exc:
        assert "training part is empty" in str(exc)
        return
    assert not (triples(split.train) & triples(split.test)) and not (triples(split.train) & triples(split.valid))
    assert_final_fit_is_clean(split)
    again = random_holdout(inter, test_fraction=0.3, valid_fraction=0.2, seed=seed)
    assert triples(again.test) == triples(split.test)


def test_temporal_drops_unseen_and_counts():
    df = frame([("a", 1, 1), ("a", 2, 2), ("b", 1, 3), ("a", 3, 10), ("c", 1, 11), ("a", 1, 12)])
    split = temporal_split(Interactions.from_dataframe(df), test_start=10)
    # item 3 and user c are unseen before t=10
    assert split.info["dropped_test_rows"] == 2
    assert len(split.test) == 1 and len(split.valid) == 0


def test_split_argument_errors():
    inter = Interactions.from_dataframe(frame([("a", 1, 1), ("a", 2, 2), ("a", 3, 3)]))
    with pytest.raises(ConfigError, match="exactly one"):
        temporal_split(inter)
    with pytest.raises(ConfigError, match="after the test cut"):
        temporal_split(inter, test_start=2, valid_start=3)
    with pytest.raises(ConfigError, match="test_quantile"):
        temporal_split(inter, test_quantile=1.5)
    with pytest.raises(ConfigError, match="fractions"):
        random_holdout(inter, test_fraction=0.6, valid_fraction=0.5)
    with pytest.raises(ConfigError, match="min_interactions"):
        leave_last_out(inter, min_interactions=2)


def ext(inter: Interactions) -> list[tuple[object, object, float]]:
    """External (user, item, time) rows, sorted."""
    users, items = inter.users.to_external(inter.user), inter.items.to_external(inter.item)
    return sorted(zip(users.tolist(), items.tolist(), inter.timestamp.tolist(), strict=True))


def test_split_stages_pick_the_right_parts():
    split = leave_last_out(Interactions.from_dataframe(frame([("a", 1, 1), ("a", 2, 2), ("a", 3, 3)])))
    assert split.fit_data("valid") is split.train and split.fit_data("test") is split.train_valid
    assert split.targets("valid") is split.valid and split.targets("test") is split.test


def test_leave_last_out_info_and_min_interactions():
    rows = [("a", i, i) for i in range(4)] + [("b", i, i) for i in range(3)] + [("c", 1, 1), ("c", 2, 2), ("d", 1, 5)]
    inter = Interactions.from_dataframe(frame([*rows, ("z", 9, 0)]))
    inter = inter.subset(inter.users.to_external(inter.user) != "z")  # user z: known to the map, no rows
    split = leave_last_out(inter)
    assert split.info == {"kind": "leave_last_out", "min_interactions": 3, "train_only_users": 2}  # c and d
    assert ext(split.test) == [("a", 3, 3.0), ("b", 2, 2.0)] and ext(split.valid) == [("a", 2, 2.0), ("b", 1, 1.0)]
    four = leave_last_out(inter, min_interactions=4)  # b (3 rows) now stays in train too
    assert four.info["train_only_users"] == 3 and ext(four.test) == [("a", 3, 3.0)]
    assert ext(four.train) == sorted([("a", 0, 0.0), ("a", 1, 1.0), *[(u, i, float(t)) for u, i, t in rows[4:]]])


def test_temporal_split_by_hand():
    rows = [
        ("a", 1, 1), ("a", 2, 2), ("b", 1, 3), ("b", 3, 4),  # train: t < 5
        ("a", 3, 5),  # valid (the cut is inclusive)
        ("c", 1, 6),  # valid, but user c is unseen in train: dropped from valid (still fitted on for test)
        ("b", 2, 7),  # valid
        ("c", 2, 8),  # test (inclusive); c was seen in train + valid
        ("d", 1, 9),  # test, unseen user d: dropped
        ("a", 4, 10),  # test, unseen item 4: dropped
    ]  # fmt: skip
    inter = Interactions.from_dataframe(frame(rows))
    split = temporal_split(inter, test_start=8, valid_start=5)
    assert ext(split.train) == [("a", 1, 1.0), ("a", 2, 2.0), ("b", 1, 3.0), ("b", 3, 4.0)]
    assert ext(split.valid) == [("a", 3, 5.0), ("b", 2, 7.0)]
    assert ext(split.train_valid) == sorted([*ext(split.train), ("a", 3, 5.0), ("b", 2, 7.0), ("c", 1, 6.0)])
    assert ext(split.test) == [("c", 2, 8.0)]
    assert split.info == {
        "kind": "temporal",
        "test_start": 8.0,
        "valid_start": 5.0,
        "dropped_valid_rows": 1,
        "dropped_test_rows": 2,
    }
    # quantile cuts over the timestamps 1..10; no validation cut: no validation rows
    q = temporal_split(inter, test_quantile=0.5)
    assert q.info["test_start"] == 5.5 and q.info["valid_start"] == 5.5 and len(q.valid) == 0
    assert len(q.train) == 5 and len(q.train_valid) == 5
    q2 = temporal_split(inter, test_quantile=0.5, valid_quantile=0.25)
    assert q2.info["valid_start"] == pytest.approx(3.25) and ext(q2.train) == ext(split.train)[:3]
    with pytest.raises(DataError, match="^temporal split: the training part is empty; move the cut later$"):
        temporal_split(inter, test_start=1)


def test_temporal_split_argument_messages():
    inter = Interactions.from_dataframe(frame([("a", 1, 1), ("a", 2, 2), ("a", 3, 3)]))
    with pytest.raises(ConfigError, match="^temporal_split: give exactly one of test_start or test_quantile$"):
        temporal_split(inter, test_start=2, test_quantile=0.5)
    with pytest.raises(ConfigError, match="^temporal_split: give at most one of valid_start or valid_quantile$"):
        temporal_split(inter, test_start=3, valid_start=2, valid_quantile=0.5)
    for bad in (0.0, 1.0, -0.1):
        with pytest.raises(ConfigError, match=rf"test_quantile must be in \(0, 1\), got {bad}"):
            temporal_split(inter, test_quantile=bad)
        with pytest.raises(ConfigError, match=rf"valid_quantile must be in \(0, 1\), got {bad}"):
            temporal_split(inter, test_quantile=0.5, valid_quantile=bad)
    with pytest.raises(ConfigError, match=r"the validation cut \(3.0\) is after the test cut \(2.0\)"):
        temporal_split(inter, test_start=2, valid_start=3)
    same = temporal_split(inter, test_start=3, valid_start=3)  # equal cuts: no validation rows
    assert len(same.valid) == 0 and len(same.train_valid) == 2 and same.info["dropped_test_rows"] == 1


def test_random_holdout_shares_and_seed():
    n_users, n_items = 50, 100
    rows = [(u, i, u * n_items + i) for u in range(n_users) for i in range(n_items)]
    inter = Interactions.from_dataframe(frame(rows))
    split = random_holdout(inter, test_fraction=0.2, valid_fraction=0.1, seed=3)
    assert split.info == {
        "kind": "random",
        "test_fraction": 0.2,
        "valid_fraction": 0.1,
        "seed": 3,
        "dropped_valid_rows": 0,
        "dropped_test_rows": 0,
    }
    n = len(inter)
    assert abs(len(split.test) / n - 0.2) < 0.02 and abs(len(split.valid) / n - 0.1) < 0.02
    assert len(split.train) + len(split.valid) + len(split.test) == n
    other = random_holdout(inter, test_fraction=0.2, valid_fraction=0.1, seed=4)
    assert triples(other.test) != triples(split.test)
    assert random_holdout(inter, seed=3).info["test_fraction"] == 0.2  # defaults 0.2 / 0.1 / seed 0
    assert random_holdout(inter).info == {**split.info, "seed": 0}
    no_valid = random_holdout(inter, test_fraction=0.5, valid_fraction=0.0)
    assert len(no_valid.valid) == 0 and abs(len(no_valid.test) / n - 0.5) < 0.03
    for test_fraction, valid_fraction in ((0.0, 0.1), (1.0, 0.0), (0.5, 0.5), (0.3, -0.1), (0.3, 1.0)):
        with pytest.raises(
            ConfigError,
            match=rf"^random_holdout: fractions must be in \[0, 1\) and sum below 1, got test={test_fraction}, valid={valid_fraction}$",
        ):
            random_holdout(inter, test_fraction=test_fraction, valid_fraction=valid_fraction)


def test_cold_item_split_holds_items_out_entirely(synthetic):
    from hybrid_rec.data.splits import cold_item_split

    inter = synthetic.interactions
    split = cold_item_split(inter, fraction=0.2, seed=1)
    fitted_items = set(np.unique(split.train_valid.item).tolist())
    present = set(np.unique(inter.item).tolist())
    cold = present - fitted_items
    assert len(cold) == split.info["cold_items"] == round(0.2 * len(present))
    # the test rows are exactly the leave-last-out test rows of cold items; no fit sees a cold item
    lloo = leave_last_out(inter)
    expected = {(u, i) for u, i in zip(lloo.test.user.tolist(), lloo.test.item.tolist(), strict=True) if i in cold}
    got = set(zip(split.test.user.tolist(), split.test.item.tolist(), strict=True))
    assert got == expected and len(got) > 0
    assert not (set(np.unique(split.train.item).tolist()) | set(np.unique(split.valid.item).tolist())) & cold
    assert_final_fit_is_clean(split)
    unused = split.info["cold_rows_removed"] + split.info["warm_test_rows_dropped"]
    assert len(split.train_valid) + len(split.test) + unused == len(inter)
    again = cold_item_split(inter, fraction=0.2, seed=1)
    assert np.array_equal(again.test.item, split.test.item)
    assert not np.array_equal(cold_item_split(inter, fraction=0.2, seed=2).test.item, split.test.item)


@settings(max_examples=60, deadline=None)
@given(interaction_tables(), st.integers(1, 6), st.integers(0, 3))
def test_sampled_scored_users_cut_only_what_is_scored(inter: Interactions, n: int, seed: int):
    """Validation and test keep every row of at most `n` of their users, the same ones for a seed;
    the fit rows are untouched (so no fit changes, only what is scored)."""
    from hybrid_rec.data.splits import sample_scored_users

    split = leave_last_out(inter)
    cut = sample_scored_users(split, n, seed)
    assert cut.train is split.train and cut.train_valid is split.train_valid
    for full, part in ((split.valid, cut.valid), (split.test, cut.test)):
        users = np.unique(part.user)
        assert len(users) == min(n, len(np.unique(full.user)))
        assert triples(part) == {t for t in triples(full) if t[0] in set(users.tolist())}
    again = sample_scored_users(split, n, seed)
    assert triples(again.test) == triples(cut.test) and triples(again.valid) == triples(cut.valid)
    assert sample_scored_users(split, None, seed) is split
