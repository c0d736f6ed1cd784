import numpy as np
import pandas as pd
import pytest

from hybrid_rec.data import IdMap
from hybrid_rec.data.ids import as_id_array
from hybrid_rec.errors import ConfigError, DataError, UnknownIdError


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


def test_extend_refuses_a_second_id_type():
    """A map holding integers and text could not be saved (it used to fail only at save time)."""
    ints = IdMap([1, 2], name="item")
    with pytest.raises(DataError, match=r"^item: cannot add text id '2' to a map of integer ids"):
        ints.extend(["2"])
    with pytest.raises(DataError, match=r"^item: at position 1, id '2' is text but the first id 2 is integer"):
        ints.extend([2, "2", 3])
    assert ints.extend([2, 3]).ids.tolist() == [1, 2, 3]


def test_coerce_text_ids_to_the_map_type():
    ints = IdMap([1, 42], name="user")
    assert list(ints.to_internal(ints.coerce(["42", 1, "x", " 7"]), on_unknown="fallback")) == [1, 0, -1, -1]
    strs = IdMap(["42"], name="user")
    assert list(strs.coerce(["42"])) == ["42"]  # a string-keyed map keeps strings


def test_unknown_id_message_names_the_first_five():
    m = IdMap([10, 20], name="user")
    with pytest.raises(UnknownIdError) as err:
        m.to_internal([10, 1, 2, 3, 4, 5, 6])
    assert err.value.args[0] == ("unknown user(s) [1, 2, 3, 4, 5] (6 in all); pass on_unknown='skip' to drop them")
    with pytest.raises(ConfigError, match="on_unknown must be"):
        m.to_internal([10], on_unknown="ignore")  # type: ignore[arg-type]
    # every id known: the policy does not matter
    for policy in ("raise", "skip", "fallback"):
        assert m.to_internal([20, 10], on_unknown=policy).tolist() == [1, 0]
    assert m.to_internal(np.array([], dtype=np.int64)).tolist() == []
    assert m.to_internal([20, 99], on_unknown="fallback").dtype == np.int64  # usable as an index


def test_to_external_bounds():
    m = IdMap(["a", "b", "c"], name="item")
    assert m.to_external([]).tolist() == []
    assert m.to_external(np.array([0, 2])).tolist() == ["a", "c"]
    for bad in ([-1], [3], [0, 5]):
        with pytest.raises(UnknownIdError) as err:
            m.to_external(bad)
        assert err.value.args[0] == "internal item index out of range [0, 3)"


def test_name_repr_equality_and_hash():
    m = IdMap(["x", "y"], name="item")
    assert m.name == "item" and repr(m) == "IdMap(name='item', n=2)"
    assert IdMap([1]).name == "id"
    assert m == IdMap(["x", "y"], name="item") and m != IdMap(["y", "x"], name="item")
    assert m != ["x", "y"]
    assert hash(m) == id(m) and {m: 1}[m] == 1  # hashed by identity
    with pytest.raises(DataError, match=r"^id: duplicate id 'a' in IdMap$"):
        IdMap(["b", "a", "a"])
    with pytest.raises(DataError, match=r"^item: duplicate id 1 in IdMap$"):  # the id as written, not np.int64(1)
        IdMap([1, 2, 1], name="item")
    with pytest.raises(DataError, match=r"^user: ids must not be missing \(NaN/None\)$"):
        IdMap(["a", None], name="user")
    from_index = IdMap(pd.Index([3, 4], name="ignored"), name="user")
    assert from_index.name == "user" and from_index.to_internal([4]).tolist() == [1]


def test_to_array_is_saveable_without_pickle():
    ints = IdMap([3, 1], name="u").to_array()
    assert ints.dtype.kind == "i" and ints.tolist() == [3, 1]
    strs = IdMap(["b", "a"], name="u").to_array()
    assert strs.dtype.kind == "U" and strs.tolist() == ["b", "a"]
    with pytest.raises(DataError, match="^u: at position 1, id 'a' is text but the first id 1 is integer"):
        IdMap([1, "a"], name="u")  # refused when built, not when saved


def test_coerce_rules():
    ints = IdMap([1, -3, 7], name="user")
    assert ints.coerce(["-3", " 7 ", "7x", "X7", 1]).tolist() == [-3, 7, "7x", "X7", 1]
    numeric = np.array([1, 2])
    assert ints.coerce(numeric) is numeric  # already numbers: unchanged
    assert IdMap([], name="user").coerce(["1"]).tolist() == ["1"]  # an empty map has no id type
    floats = IdMap([1.5, 2.0], name="user")
    assert floats.coerce(["2"]).tolist() == ["2"]  # only integer-keyed maps convert text


def test_as_id_array_keeps_arrays_and_types():
    arr = np.array(["a", "b"])
    assert as_id_array(arr) is arr
    mixed = as_id_array([1, "1"])
    assert mixed.tolist() == [1, "1"] and type(mixed[0]) is not str
    assert as_id_array(iter([2, 3])).tolist() == [2, 3]


def test_extend_names_and_order():
    m = IdMap(["a"], name="item").extend(iter(["c", "a", "b", "c"]))
    assert m.name == "item" and m.ids.tolist() == ["a", "c", "b"]
    assert m.extend([]) is m


def test_ids_are_converted_once_and_read_only():
    """`ids` is read per item in hot paths (`to_external` for every item's text): it is converted from
    the index once, not on every call, and cannot be changed behind the map's back."""
    m = IdMap([f"i{n}" for n in range(1000)])
    assert m.ids is m.ids and not m.ids.flags.writeable
    grown = m.extend(["new"])
    assert grown.ids[-1] == "new" and len(m.ids) == 1000  # the old map's cached ids are untouched
