"""Values of other catalog fields a request names word for word (`text.named.NamedFields`)."""

from __future__ import annotations

import pandas as pd
import pytest

from hybrid_rec.data.catalog import ItemCatalog
from hybrid_rec.errors import ConfigError
from hybrid_rec.text import HashingEncoder
from hybrid_rec.text.named import NamedFields, names_things


@pytest.fixture(scope="module")
def catalog() -> ItemCatalog:
    rows = [(f"b{i}", f"Book {i}", ("Fiction",), author, f"sku-{i}")
            for i, author in enumerate(["Rosa Bellamy", "Rosa Bell", "Orson Pike", "Ada"] * 3)]  # fmt: skip
    frame = pd.DataFrame(rows, columns=["item_id", "title", "category", "author", "sku"]).set_index("item_id")
    return ItemCatalog(frame)


def test_a_field_of_names_is_found_and_a_field_of_ids_is_not(catalog: ItemCatalog) -> None:
    assert names_things(catalog.items["author"], len(catalog.items))
    assert not names_things(catalog.items["sku"], len(catalog.items))  # one value per item: an id, not a name
    named = NamedFields(catalog, None, "category", HashingEncoder(dim=64))
    assert {field for field, _ in named.labels.values()} == {"author"}


def test_the_longest_name_said_is_read_once(catalog: ItemCatalog) -> None:
    named = NamedFields(catalog, None, "category", HashingEncoder(dim=64))
    assert named.named_in("anything by rosa bellamy, or orson pike") == ["author: Rosa Bellamy", "author: Orson Pike"]
    assert named.named_in("rosa bell please") == ["author: Rosa Bell"]
    assert named.named_in("a rosa bellamyish novel") == []  # a name is said whole
    assert named.vector("author: Orson Pike").shape == (1, 64)


def test_an_unknown_field_is_a_config_error(catalog: ItemCatalog) -> None:
    with pytest.raises(ConfigError, match="'brand' is not a catalog field"):
        NamedFields(catalog, ["brand"], "category", HashingEncoder(dim=64))
