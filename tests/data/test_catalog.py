"""`ItemCatalog`: descriptions, items without interactions, and a save/load round trip."""

from __future__ import annotations

import pandas as pd
import pytest

from hybrid_rec.data.catalog import ItemCatalog
from hybrid_rec.data.ids import IdMap
from hybrid_rec.errors import UnknownIdError


def _catalog() -> ItemCatalog:
    items = pd.DataFrame(
        {"title": ["Alpha", "Beta", "Gamma"], "year": ["1995", "", "2001"],
         "genres": [("Comedy", "Drama"), None, ("Horror",)], "tags": [("x", "y"), ("z",), ()]},
        index=pd.Index(["a", "b", "c"], name="item_id"),
    )
    users = pd.DataFrame({"age": ["20", "30"]}, index=pd.Index(["u1", "u2"], name="user_id"))
    return ItemCatalog(items, users)


def test_every_list_field_survives_a_round_trip(tmp_path):
    catalog = _catalog()
    catalog.save(tmp_path)
    loaded = ItemCatalog.load(tmp_path)
    assert loaded is not None
    assert loaded.item("a") == {"title": "Alpha", "year": "1995", "genres": ("Comedy", "Drama"), "tags": ("x", "y")}
    assert loaded.item("b")["genres"] == () and loaded.item("c")["tags"] == ()  # None / empty: an empty tuple
    assert loaded.describe("a") == catalog.describe("a") == "Alpha (1995); Comedy, Drama"
    assert loaded.user("u2") == {"age": "30"}
    assert ItemCatalog.load(tmp_path / "nothing-here") is None


def test_cold_items_are_the_catalog_items_the_interactions_lack():
    assert list(_catalog().cold_items(IdMap(["b", "zzz"]))) == ["a", "c"]


def test_membership_and_lookup_by_id():
    frame = pd.DataFrame({"title": ["A", "B"], "genres": [("x",), ()]}, index=pd.Index(["a", "b"], name="item_id"))
    catalog = ItemCatalog(frame)
    assert "a" in catalog and "zz" not in catalog and ["unhashable"] not in catalog
    assert catalog.item("b") == {"title": "B", "genres": ()}
    with pytest.raises(UnknownIdError):
        catalog.item("zz")


def _shop(**fields) -> ItemCatalog:
    return ItemCatalog(pd.DataFrame({"title": ["Trail Headlamp", "Chef Knife"], **fields}, index=["a", "b"]))


def test_the_category_field_is_genres_or_the_only_list_field():
    """Any catalog: a shop's 'category' list is its category field when it has no 'genres'."""
    shop = _shop(category=[("camping",), ("kitchen",)])
    assert shop.category_field() == "category" and shop.describe("a") == "Trail Headlamp; camping"
    both = _shop(category=[("camping",), ("kitchen",)], genres=[("x",), ("y",)])
    assert both.category_field() == "genres" and both.category_field("category") == "category"
    assert _shop(category=[("c",), ("k",)], tags=[("t",), ("u",)]).category_field() is None  # two lists: say which
    assert _shop(brand=["A", "B"]).category_field() is None and _shop().category_field("nope") is None


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every `ItemCatalog.item` call from here on, by item id."""
    calls: list[object] = []
    original = ItemCatalog.item

    def item(self: ItemCatalog, item_id: object) -> dict[str, object]:
        calls.append(item_id)
        return original(self, item_id)

    monkeypatch.setattr(ItemCatalog, "item", item)
    return calls


def test_describe_many_is_describe_without_a_row_per_item(monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole-catalog paths read each column once (issue #40): `describe_many` and `values_of` give what a row
    lookup per item gives, an unknown id as its own text / None, and never call `item`."""
    frame = pd.DataFrame(
        {"title": [f"Film {i}" for i in range(300)], "year": [1990 + i % 20 if i % 7 else None for i in range(300)],
         "genres": [("Comedy", "Drama") if i % 3 else () for i in range(300)]},
        index=pd.Index([f"m{i}" for i in range(300)], name="item_id"),
    )  # fmt: skip
    catalog = ItemCatalog(frame)
    ids = [*frame.index[::-1], "nobody", 42]
    expected = [catalog.describe(i) for i in frame.index[::-1]] + ["nobody", "42"]
    calls = _counting(monkeypatch)
    assert catalog.describe_many(ids) == expected
    assert catalog.values_of("genres", ["m1", "m3", "nobody"]) == [("Comedy", "Drama"), (), None]
    assert catalog.values_of("no such field", ["m1"]) == [None]
    assert calls == []


def test_category_vectors_read_the_column_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from hybrid_rec.data.simulated_user import category_vectors

    frame = pd.DataFrame({"title": ["A", "B", "C"], "genres": [("Comedy",), ("Drama", "Comedy"), ()]},
                         index=pd.Index(["a", "b", "c"], name="item_id"))  # fmt: skip
    calls = _counting(monkeypatch)
    vectors = category_vectors(ItemCatalog(frame), IdMap(["c", "b", "zz", "a"]))
    assert vectors is not None and vectors.tolist() == [[0, 0], [1, 1], [0, 0], [0, 1]]
    assert calls == []
