"""External ids mapped once (`IdBoundary`): coercion, the ``on_unknown`` policy, hints in the caller's spelling."""

from __future__ import annotations

import numpy as np
import pytest

from hybrid_rec.data.ids import IdMap
from hybrid_rec.errors import ConfigError, DataError, UnknownIdError
from hybrid_rec.pipeline.ids import IdBoundary, check_k


@pytest.fixture()
def ids() -> IdBoundary:
    return IdBoundary(IdMap([7, 42, 9], name="user"), IdMap([0, 1, 2, 3], name="item"))


def test_text_ids_are_read_as_the_models_id_type(ids):
    external, internal = ids.users(["42", 7])
    assert external.tolist() == [42, 7] and internal.tolist() == [1, 0]


def test_unknown_users_follow_the_policy(ids):
    _, kept = ids.users(["42", "nobody"], "fallback")
    assert kept.tolist() == [1, -1]
    external, internal = ids.users(["nobody", 9], "skip")
    assert external.tolist() == [9] and internal.tolist() == [2]
    with pytest.raises(ConfigError, match="now called 'fallback'"):
        ids.users([7], "popularity")


def test_the_hint_names_fallback_in_the_spelling_of_the_interface(ids):
    with pytest.raises(UnknownIdError, match=r"pass on_unknown='fallback' .* or 'skip'") as api:
        ids.users(["ghost"])
    assert "'ghost'" in str(api.value)
    with pytest.raises(UnknownIdError, match=r"pass --on-unknown fallback \(.*\) or skip"):
        ids.users(["ghost"], argument="--on-unknown")


def test_candidates_that_are_one_id_once_coerced_are_one_candidate_at_its_first_place(ids):
    """JSON can send "1" and 1 as two distinct values (schema-valid under uniqueItems); for a model
    keyed by integers they are one item, so they count once."""
    external, internal = ids.items([3, "1", 1, "3"])
    assert external.tolist() == [3, 1] and internal.tolist() == [3, 1]
    for twice in (["1", "1"], [2, 5, 2], ["zzz", "zzz"]):  # the same value twice: a caller's mistake
        with pytest.raises(DataError, match="given more than once"):
            ids.items(twice, "fallback")
    external, internal = ids.items(["1", "zzz", 3], "fallback")
    assert external.tolist() == [1, "zzz", 3] and internal.tolist() == [1, -1, 3]


def test_k_is_a_positive_integer_capped_at_what_can_be_filled():
    assert check_k(10**12, 5) == 5 and check_k(np.int64(3), 10) == 3
    for bad in (0, -1, 2.5, True, "3"):
        with pytest.raises(ConfigError, match="k must be a positive integer"):
            check_k(bad, 10)
