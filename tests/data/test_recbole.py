import numpy as np
import pytest

from hybrid_rec.data import load_recbole
from hybrid_rec.data.recbole import read_atomic
from hybrid_rec.errors import DataError

INTER = "user_id:token\titem_id:token\trating:float\ttimestamp:float\n1\t10\t4\t100\n2\t10\t5\t101\n2\t11\t3\t102\n"
ITEM = 'item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n10\tThe "Big" One\t1999\tAction Comedy\n11\tSmall\t2001\tDrama\n'
USER = "user_id:token\tage:token\tgender:token\n1\t24\tM\n2\t53\tF\n"


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_load_with_catalog(tmp_path):
    inter, catalog = load_recbole(
        write(tmp_path, "d.inter", INTER),
        write(tmp_path, "d.item", ITEM),
        write(tmp_path, "d.user", USER),
        weight_field="rating",
    )
    assert len(inter) == 3 and inter.weight.tolist() == [4.0, 5.0, 3.0]
    assert list(inter.items.ids) == ["10", "11"]  # tokens stay strings
    assert catalog.item("10")["title"] == 'The "Big" One'  # no quote processing
    assert catalog.item("10")["genres"] == ("Action", "Comedy")
    assert catalog.describe("11") == "Small (2001); Drama"
    assert catalog.user("2") == {"age": "53", "gender": "F"}


def test_int_ids(tmp_path):
    inter, _ = load_recbole(write(tmp_path, "d.inter", INTER), id_type="int")
    assert list(inter.users.ids) == [1, 2]


def test_catalog_items_without_interactions_are_kept_with_a_warning(tmp_path, caplog):
    item = ITEM + "99\tGhost\t2000\tHorror\n"
    with caplog.at_level("WARNING"):
        inter, catalog = load_recbole(write(tmp_path, "d.inter", INTER), write(tmp_path, "d.item", item))
    assert "1 catalog items have no interactions" in caplog.text
    assert "99" in inter.items and inter.item_counts()[inter.items.to_internal(["99"])[0]] == 0
    assert catalog is not None and catalog.cold_items(inter.items).size == 0


def test_bad_header(tmp_path):
    with pytest.raises(DataError, match="header cell 'user_id'"):
        read_atomic(write(tmp_path, "d.inter", "user_id\titem_id:token\n1\t2\n"))
    with pytest.raises(DataError, match="header cell"):
        read_atomic(write(tmp_path, "d.inter", "user_id:integer\n1\n"))


def test_missing_timestamp_field(tmp_path):
    with pytest.raises(DataError, match="missing field 'timestamp'"):
        load_recbole(write(tmp_path, "d.inter", "user_id:token\titem_id:token\n1\t2\n"))


def test_non_float_value_names_line(tmp_path):
    bad = INTER.replace("\t101\n", "\tlater\n")
    with pytest.raises(DataError, match=r"column 'timestamp', row 1 \(line 3\)"):
        load_recbole(write(tmp_path, "d.inter", bad))


def test_missing_id_and_empty_file(tmp_path):
    with pytest.raises(DataError, match=r"column 'item_id', row 0 \(line 2\): missing id"):
        load_recbole(write(tmp_path, "d.inter", "user_id:token\titem_id:token\ttimestamp:float\n1\t\t5\n"))
    with pytest.raises(DataError, match="empty"):
        load_recbole(write(tmp_path, "e.inter", ""))


def test_duplicate_item_rows(tmp_path):
    item = ITEM + "11\tAgain\t2001\tDrama\n"
    with pytest.raises(DataError, match="'11' repeats"):
        load_recbole(write(tmp_path, "d.inter", INTER), write(tmp_path, "d.item", item))


@pytest.mark.parametrize("bad", ["1.5", "1e3", "x"])
def test_int_ids_refuse_text_that_is_not_an_integer(tmp_path, bad):
    """With id_type='int', '1.5' must not silently become user 1 (nor '1e3' user 1000)."""
    inter = INTER.replace("\n2\t11", f"\n{bad}\t11")
    with pytest.raises(DataError, match=f"id '{bad}' is not an integer"):
        load_recbole(write(tmp_path, "d.inter", inter), id_type="int")


@pytest.mark.parametrize(
    ("text", "value"), [("007", 7), (" 42 ", 42), ("-3", -3), ("1234567890123456789", 1234567890123456789)]
)
def test_int_ids_parse_the_same_on_the_fast_and_the_careful_path(tmp_path, text, value):
    """Plain ids of up to 18 digits take the vectorised path, longer ones the per-value one: one meaning."""
    inter = INTER.replace("\n2\t11", f"\n{text}\t11")
    loaded, _ = load_recbole(write(tmp_path, "d.inter", inter), id_type="int")
    assert value in list(loaded.users.ids) and all(isinstance(u, int | np.integer) for u in loaded.users.ids)
