"""Ids stay exact: what enters as an id is saved and loaded back unchanged, or is refused where it enters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from hybrid_rec.data import ColumnMapping, IdMap, Interactions
from hybrid_rec.errors import DataError
from tests.conftest import frame

UNSAFE_IDS = {
    "trailing NUL": "i1\0",
    "inner NUL": "a\0b",
    "unit separator": "a\x1fb",
    "newline": "a\nb",
    "C1 control": "a\x85",
    "lone surrogate": "a\ud800",
    "empty": "",
    "too long": "x" * 257,
}


def _reloaded(m: IdMap, tmp_path) -> list[object]:
    np.savez(tmp_path / "ids.npz", ids=m.to_array())
    with np.load(tmp_path / "ids.npz", allow_pickle=False) as z:
        return IdMap(z["ids"], name=m.name).ids.tolist()


# ------------------------------------------------------------------------------------- IdMap


@pytest.mark.parametrize("bad", UNSAFE_IDS.values(), ids=UNSAFE_IDS.keys())
def test_idmap_refuses_ids_that_cannot_round_trip(bad):
    with pytest.raises(DataError, match=r"^item: at position 1, id .* ids must be non-empty text of at most 256"):
        IdMap(["ok", bad], name="item")
    with pytest.raises(DataError, match=r"^item: at position 0, id "):
        IdMap(["ok"], name="item").extend([bad])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.text(st.characters(codec="utf-8") | st.sampled_from("\0\x1f "), max_size=8),
        min_size=1,
        max_size=6,
        unique=True,
    )
)
@example(["i1\0", "i1"])  # reloaded as two "i1": a model version that could not be loaded
@example(["brandnew\0"])  # reloaded as "brandnew": silently renamed
def test_text_ids_an_idmap_accepts_load_back_exactly(tmp_path_factory, ids):
    try:
        m = IdMap(ids, name="item")
    except DataError:
        return
    assert _reloaded(m, tmp_path_factory.mktemp("ids")) == ids


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(), min_size=1, max_size=6, unique=True), st.lists(st.integers(), max_size=6))
@example([1], [2**63 + 1])  # int64 + uint64 made a float64 map: 2**63 + 1 became 2**63
@example([2**70], [])  # an object map that np.save cannot store without pickle
def test_integer_ids_an_idmap_accepts_stay_exact(tmp_path_factory, first, more):
    try:
        m = IdMap(first, name="user").extend(more)
    except DataError:
        return
    expected = first + [v for v in dict.fromkeys(more) if v not in first]
    assert m.to_array().dtype == np.int64 and m.ids.tolist() == expected
    assert _reloaded(m, tmp_path_factory.mktemp("ids")) == expected


def test_blank_padded_ids_stay_distinct(tmp_path):
    m = IdMap(["w1", " w1", "w1 "], name="user")
    assert len(m) == 3 and _reloaded(m, tmp_path) == ["w1", " w1", "w1 "]


@pytest.mark.parametrize("big", [2**63, 2**70, -(2**63) - 1])
def test_idmap_refuses_integers_beyond_int64(big):
    with pytest.raises(DataError, match=r"^user: at position 0, id -?\d+ is beyond the int64 range$"):
        IdMap([big], name="user")
    with pytest.raises(DataError, match="beyond the int64 range"):  # not a silent float64 map
        IdMap([1, 2], name="user").extend([big])


def test_object_integer_ids_are_saved_as_integers(tmp_path):
    users = IdMap(np.array([1, 2], dtype=object), name="user")  # e.g. from an object column
    assert users.to_array().dtype == np.int64 and _reloaded(users, tmp_path) == [1, 2]


def test_lookups_of_unencodable_ids_are_unknown_not_a_crash():
    m = IdMap(["a", "b"], name="user")
    assert m.to_internal(["b", "\ud800"], on_unknown="fallback").tolist() == [1, -1]
    assert "\ud800" not in m


def test_coerce_leaves_text_that_is_not_an_ascii_integer():
    m = IdMap([1, 42], name="user")
    assert m.coerce(["²", "--7", "42", "99999999999999999999"]).tolist() == ["²", "--7", 42, "99999999999999999999"]


# ---------------------------------------------------------------------- Interactions.from_dataframe


@pytest.mark.parametrize("bad", UNSAFE_IDS.values(), ids=UNSAFE_IDS.keys())
def test_from_dataframe_names_column_and_row_of_an_unsafe_id(bad):
    df = pd.DataFrame(
        {"user_id": ["u1", "u2", "u3"], "item_id": ["i1", "i2", bad], "timestamp": [1, 2, 3]}, dtype=object
    )
    df["timestamp"] = [1, 2, 3]
    with pytest.raises(DataError, match=r"^x\.csv: column 'item_id', row 2: (id |missing id \(empty\))"):
        Interactions.from_dataframe(df, source="x.csv")


def test_from_dataframe_refuses_a_column_mixing_integers_and_text():
    df = frame([(1, "a", 0), ("u2", "b", 1)]).astype({"user_id": object})
    with pytest.raises(DataError, match=r"column 'user_id', row 1: id 'u2' is text but the first id 1 is integer"):
        Interactions.from_dataframe(df)
    assert Interactions.from_dataframe(df, ColumnMapping(id_type="str")).users.ids.tolist() == ["1", "u2"]


def test_from_dataframe_refuses_ids_of_another_type_than_the_given_map():
    with pytest.raises(DataError, match=r"^feedback: user: cannot add text id 'u9' to a map of integer ids"):
        Interactions.from_dataframe(frame([("u9", "a", 0)]), source="feedback", users=IdMap([1, 2], name="user"))


@pytest.mark.parametrize("ts", [np.inf, -np.inf, np.nan])
def test_from_dataframe_refuses_timestamps_that_are_not_finite(ts):
    df = frame([("u1", "a", 1.0), ("u2", "b", ts)])
    with pytest.raises(
        DataError, match=r"column 'timestamp', row 1: timestamp value .* is not (a finite number|numeric)"
    ):
        Interactions.from_dataframe(df)


def test_id_type_int_parses_text_and_names_the_row_that_is_not_an_integer():
    df = frame([("007", "1", 0), ("7", "2", 1)])
    inter = Interactions.from_dataframe(df, ColumnMapping(id_type="int"))
    assert inter.users.ids.tolist() == [7] and inter.users.to_array().dtype == np.int64
    with pytest.raises(DataError, match=r"column 'item_id', row 1: id 'i2' is not an integer"):
        Interactions.from_dataframe(frame([("1", "1", 0), ("2", "i2", 1)]), ColumnMapping(id_type="int"))


def test_id_type_str_turns_integers_into_text():
    inter = Interactions.from_dataframe(frame([(7, 1, 0), (8, 1, 1)]), ColumnMapping(id_type="str"))
    assert inter.users.ids.tolist() == ["7", "8"] and inter.items.ids.tolist() == ["1"]
    with pytest.raises(DataError, match=r"column 'user_id', row 0: id 7.5 is a float"):
        Interactions.from_dataframe(frame([(7.5, 1, 0)]), ColumnMapping(id_type="str"))


# ------------------------------------------------------------------------------- from_file


def test_csv_ids_stay_the_text_they_are(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("user_id,item_id,timestamp\n007,0003,1\n7,NA,2\nnull,None,3\n")
    inter = Interactions.from_file(path)
    assert inter.users.ids.tolist() == ["007", "7", "null"]  # "007" and "7" are two users
    assert inter.items.ids.tolist() == ["0003", "NA", "None"]


def test_csv_empty_id_is_missing_and_names_the_line(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("user_id,item_id,timestamp\nu1,i1,1\n,i2,2\n")
    with pytest.raises(DataError, match=r"events\.csv: column 'user_id', row 3: missing id \(empty\)$"):
        Interactions.from_file(path)


def test_csv_id_type_int_reads_integers(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("user_id,item_id,timestamp\n007,3,1\n7,4,2\n")
    inter = Interactions.from_file(path, ColumnMapping(id_type="int"))
    assert inter.users.ids.tolist() == [7] and inter.items.ids.tolist() == [3, 4]


def test_csv_infinite_timestamp_names_the_line(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("user_id,item_id,timestamp\nu1,i1,1\nu2,i2,inf\n")
    with pytest.raises(DataError, match=r"column 'timestamp', row 3: timestamp value 'inf' is not a finite number"):
        Interactions.from_file(path)


def test_csv_control_character_in_an_id_names_the_line(tmp_path):
    path = tmp_path / "events.csv"
    path.write_bytes(b"user_id,item_id,timestamp\nu1,i1,1\nu2,i1\x01,2\n")
    with pytest.raises(DataError, match=r"column 'item_id', row 3: id 'i1\\x01' holds the control character"):
        Interactions.from_file(path)


def test_csv_that_is_not_utf8_is_a_data_error(tmp_path):
    path = tmp_path / "events.csv"
    path.write_bytes("user_id,item_id,timestamp\nu1,caf\xe9,1\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"events\.csv: not UTF-8 text \(byte 0xe9"):
        Interactions.from_file(path)


def test_parquet_keeps_its_id_types(tmp_path):
    path = tmp_path / "events.parquet"
    pd.DataFrame({"user_id": [7, 8], "item_id": ["007", "7"], "timestamp": [1, 2]}).to_parquet(path)
    inter = Interactions.from_file(path)
    assert inter.users.ids.tolist() == [7, 8] and inter.items.ids.tolist() == ["007", "7"]
