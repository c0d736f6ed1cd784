import numpy as np
import pandas as pd
import pytest

from hybrid_rec.data import ColumnMapping, IdMap, Interactions
from hybrid_rec.errors import ConfigError, DataError
from tests.conftest import frame


def test_from_dataframe_builds_dense_ids_in_first_seen_order():
    inter = Interactions.from_dataframe(frame([("u2", "a", 1), ("u1", "b", 2), ("u2", "b", 3)]))
    assert list(inter.users.ids) == ["u2", "u1"]
    assert list(inter.items.ids) == ["a", "b"]
    assert inter.user.tolist() == [0, 1, 0]
    assert inter.item.tolist() == [0, 1, 1]
    assert inter.weight.tolist() == [1.0, 1.0, 1.0]
    df = inter.to_dataframe()
    assert df["user_id"].tolist() == ["u2", "u1", "u2"]


def test_column_mapping_weight_and_event():
    df = pd.DataFrame({"u": [1, 2], "i": [5, 6], "ts": [10, 20], "r": [4.0, 2.5], "e": ["click", "buy"]})
    inter = Interactions.from_dataframe(df, ColumnMapping(user="u", item="i", timestamp="ts", weight="r", event="e"))
    assert inter.weight.tolist() == [4.0, 2.5]
    assert inter.event.tolist() == ["click", "buy"]
    with pytest.raises(ConfigError, match="usr"):
        Interactions.from_dataframe(df, {"usr": "u"})


def test_datetime_timestamps_become_seconds():
    df = pd.DataFrame({"user_id": [1], "item_id": [2], "timestamp": pd.to_datetime(["1970-01-01 00:01:00"])})
    assert Interactions.from_dataframe(df).timestamp.tolist() == [60.0]


def test_to_csr_sums_repeats_and_binary():
    inter = Interactions.from_dataframe(
        pd.DataFrame({"user_id": [1, 1, 2], "item_id": [7, 7, 7], "timestamp": [1, 2, 3], "w": [2.0, 3.0, 1.0]}),
        ColumnMapping(weight="w"),
    )
    assert inter.to_csr("weight").toarray().tolist() == [[5.0], [1.0]]
    assert inter.to_csr("binary").toarray().tolist() == [[1.0], [1.0]]
    assert inter.to_csr("count").toarray().tolist() == [[2.0], [1.0]]


def test_extends_existing_maps():
    users = IdMap(["x"], name="user")
    inter = Interactions.from_dataframe(frame([("y", 1, 0), ("x", 1, 1)]), users=users)
    assert list(inter.users.ids) == ["x", "y"]
    assert inter.user.tolist() == [1, 0]


def test_subset_and_concat_share_maps():
    inter = Interactions.from_dataframe(frame([(1, 1, 0), (2, 2, 1), (1, 2, 2)]))
    a, b = inter.subset(np.array([True, False, True])), inter.subset(np.array([False, True, False]))
    both = a.concat(b)
    assert len(both) == 3 and both.users is inter.users
    foreign = Interactions(
        user=np.array([0], np.int32),
        item=np.array([0], np.int32),
        timestamp=np.array([0.0]),
        weight=np.array([1.0], np.float32),
        users=IdMap([99]),
        items=inter.items,
    )
    with pytest.raises(DataError, match="different user id maps"):
        a.concat(foreign)


# --------------------------------------------------------------------------- bad input


def test_missing_columns_named():
    with pytest.raises(DataError, match=r"missing column\(s\) \['timestamp'\]"):
        Interactions.from_dataframe(pd.DataFrame({"user_id": [1], "item_id": [2]}), source="x.csv")


def test_nan_id_names_column_and_row():
    df = frame([(1, 1, 0), (None, 2, 1)])
    with pytest.raises(DataError, match=r"x.csv: column 'user_id', row 1: missing id"):
        Interactions.from_dataframe(df, source="x.csv")
    df = frame([(1, 1, 0), (2, np.nan, 1)])
    with pytest.raises(DataError, match=r"column 'item_id', row 1"):
        Interactions.from_dataframe(df)


def test_non_numeric_timestamp_names_row():
    df = frame([(1, 1, "5"), (2, 2, "yesterday")])
    with pytest.raises(DataError, match=r"column 'timestamp', row 1: timestamp value 'yesterday' is not numeric"):
        Interactions.from_dataframe(df)


def test_bad_weight():
    df = pd.DataFrame({"user_id": [1, 2], "item_id": [1, 2], "timestamp": [0, 1], "w": [1.0, -3.0]})
    with pytest.raises(DataError, match=r"column 'w', row 1: weight must be finite"):
        Interactions.from_dataframe(df, ColumnMapping(weight="w"))


def test_duplicate_rows_raise_or_drop():
    df = frame([(1, 1, 0), (1, 2, 0), (1, 1, 0)])
    with pytest.raises(DataError, match=r"row 2 repeats an earlier"):
        Interactions.from_dataframe(df)
    assert len(Interactions.from_dataframe(df, duplicates="drop")) == 2


def test_empty_dataframe():
    with pytest.raises(DataError, match="no interaction rows"):
        Interactions.from_dataframe(frame([]))


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet"])
def test_from_file_formats(tmp_path, suffix):
    df = pd.DataFrame({"uid": [1, 2, 2], "iid": ["a", "b", "a"], "t": [3, 1, 2]})
    path = tmp_path / f"events{suffix}"
    if suffix == ".parquet":
        df.to_parquet(path)
    else:
        df.to_csv(path, sep="\t" if suffix == ".tsv" else ",", index=False)
    inter = Interactions.from_file(path, ColumnMapping(user="uid", item="iid", timestamp="t"))
    assert len(inter) == 3 and list(inter.items.ids) == ["a", "b"]


def test_file_errors_report_lines(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("user_id,item_id,timestamp\n1,1,10\n2,2,soon\n")
    with pytest.raises(DataError, match=r"events.csv: column 'timestamp', row 3"):
        Interactions.from_file(path)


@pytest.mark.parametrize("content", ["", "user_id,item_id,timestamp\n"])
def test_empty_files(tmp_path, content):
    path = tmp_path / "empty.csv"
    path.write_text(content)
    with pytest.raises(DataError, match="empty|no interaction rows"):
        Interactions.from_file(path)


def test_missing_and_corrupt_files(tmp_path):
    with pytest.raises(DataError, match="not found"):
        Interactions.from_file(tmp_path / "nope.csv")
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet at all")
    with pytest.raises(DataError, match="Parquet"):
        Interactions.from_file(bad)


def _same_rows(a: Interactions, b: Interactions) -> None:
    assert list(a.users.ids) == list(b.users.ids) and list(a.items.ids) == list(b.items.ids)
    for name in ("user", "item", "timestamp", "weight"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert (a.event is None and b.event is None) or list(a.event) == list(b.event)  # type: ignore[arg-type]


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet"])
@pytest.mark.parametrize("chunk_rows", [1, 3, 7, 1000])
def test_reading_in_chunks_gives_what_reading_at_once_gives(tmp_path, suffix, chunk_rows):
    """Ids first seen in later chunks, text ids like "007" and "NA", weights and event types: the
    chunked reader builds the same maps and rows as the whole-file reader."""
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "uid": rng.choice(["007", "7", "NA", "u1", "u2", "u3"], 40),
            "iid": rng.choice([f"i{k}" for k in range(15)], 40),
            "t": np.arange(40) * 10,
            "w": rng.integers(1, 5, 40),
            "ev": rng.choice(["click", "purchase"], 40),
        }
    )
    path = tmp_path / f"events{suffix}"
    if suffix == ".parquet":
        df.to_parquet(path)
    else:
        df.to_csv(path, sep="\t" if suffix == ".tsv" else ",", index=False)
    cols = ColumnMapping(user="uid", item="iid", timestamp="t", weight="w", event="ev")
    _same_rows(Interactions.from_file(path, cols, chunk_rows=chunk_rows), Interactions.from_file(path, cols))


def test_chunked_reading_finds_repeats_across_chunks_and_reports_lines(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("user_id,item_id,timestamp\na,x,1\nb,y,2\nc,z,3\na,x,1\n")  # line 5 repeats line 2
    with pytest.raises(DataError, match="repeats an earlier"):
        Interactions.from_file(path, chunk_rows=2)
    dropped = Interactions.from_file(path, chunk_rows=2, duplicates="drop")
    _same_rows(dropped, Interactions.from_file(path, duplicates="drop"))
    assert len(dropped) == 3
    path.write_text("user_id,item_id,timestamp\n1,1,10\n2,2,20\n3,3,30\n4,4,soon\n")
    with pytest.raises(DataError, match=r"events.csv: column 'timestamp', row 5"):  # the file's line, chunk 2
        Interactions.from_file(path, chunk_rows=2)
    with pytest.raises(ConfigError, match="chunk_rows"):
        Interactions.from_file(path, chunk_rows=0)
    empty = tmp_path / "empty.csv"
    empty.write_text("user_id,item_id,timestamp\n")
    with pytest.raises(DataError, match="empty|no interaction rows"):
        Interactions.from_file(empty, chunk_rows=2)
