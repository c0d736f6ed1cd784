import numpy as np
import pytest

from hybrid_rec.data import IdMap
from hybrid_rec.errors import DataError, UnknownIdError


def test_round_trip_and_order():
    m = IdMap(["b", "a", "c"], name="item")
    assert list(m.to_internal(["a", "c", "b"])) == [1, 2, 0]
    assert list(m.to_external([2, 0])) == ["c", "b"]
    assert len(m) == 3 and "a" in m and "z" not in m


def test_unknown_policies():
    m = IdMap([10, 20, 30], name="user")
    with pytest.raises(UnknownIdError, match="user"):
        m.to_internal([10, 99])
    assert list(m.to_internal([10, 99, 30], on_unknown="skip")) == [0, 2]
    assert list(m.to_internal([10, 99], on_unknown="fallback")) == [0, -1]
    with pytest.raises(UnknownIdError):
        m.to_external([3])


def test_extend_keeps_existing_indices():
    m = IdMap([1, 2], name="item")
    m2 = m.extend([2, 3, 4, 3])
    assert list(m2.ids) == [1, 2, 3, 4]
    assert list(m2.to_internal([1, 2])) == [0, 1]
    assert m.extend([1]) is m


def test_rejects_duplicates_and_missing():
    with pytest.raises(DataError, match="duplicate"):
        IdMap([1, 1])
    with pytest.raises(DataError, match="missing"):
        IdMap([1.0, np.nan])


def test_mixed_type_queries_keep_their_types():
    m = IdMap([1, 2, 3], name="user")
    assert list(m.to_internal([1, 2, "x"], on_unknown="fallback")) == [0, 1, -1]
    assert list(m.to_internal(["1"], on_unknown="fallback")) == [-1]  # a string is not the integer id


def test_extend_keeps_mixed_types():
    m = IdMap([1, 2], name="item").extend([2, "2", 3])
    assert list(m.ids) == [1, 2, "2", 3]


def test_coerce_text_ids_to_the_map_type():
    ints = IdMap([1, 42], name="user")
    assert list(ints.to_internal(ints.coerce(["42", 1, "x", " 7"]), on_unknown="fallback")) == [1, 0, -1, -1]
    strs = IdMap(["42"], name="user")
    assert list(strs.coerce(["42"])) == ["42"]  # a string-keyed map keeps strings
