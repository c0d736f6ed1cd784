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
