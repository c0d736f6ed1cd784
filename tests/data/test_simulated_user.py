"""The simulated user of the multi-round task: what it clicks, rejects and passes over, from its own inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hybrid_rec.data.catalog import ItemCatalog
from hybrid_rec.data.ids import IdMap
from hybrid_rec.data.simulated_user import SimulatedUsers, category_vectors
from hybrid_rec.errors import DataError

VECTORS = np.array([[1, 0], [1, 0.1], [1, 0.2], [0, 1], [0.1, 1], [0.2, 1]], float)


def test_the_click_is_the_shown_item_most_like_the_target():
    users = SimulatedUsers(VECTORS, np.array([4, 1]))
    react = users.react(np.array([[0, 3, 2], [1, 5, -1]]))
    assert react.found.tolist() == [False, True] and react.place.tolist() == [0, 1]
    assert react.clicked.tolist() == [3, -1] and react.rejected.tolist() == [0, -1]
    assert react.passed[0].tolist() == [0, 2] and react.passed[1].tolist() == []


def test_ties_go_to_the_higher_place_and_bad_shapes_are_refused():
    users = SimulatedUsers(np.array([[1.0, 0], [1.0, 0], [0, 1.0], [0, 0]]), np.array([0]))
    react = users.react(np.array([[2, 1, 3]]))
    assert react.clicked.tolist() == [1] and react.rejected.tolist() == [3]
    twice = SimulatedUsers(np.array([[1.0, 0], [1.0, 0], [1.0, 0], [0, 1.0]]), np.array([0]))
    assert twice.react(np.array([[1, 2]])).clicked.tolist() == [1]  # equals: the higher place
    with pytest.raises(DataError, match="shown must be"):
        users.react(np.array([1, 2]))
    with pytest.raises(DataError, match="target"):
        SimulatedUsers(VECTORS, np.array([9]))


def test_category_vectors_are_the_catalogs_multi_hot():
    catalog = ItemCatalog(pd.DataFrame({"title": ["a", "b", "c"], "genres": [("x",), ("x", "y"), ()]},
                                       index=pd.Index(["i1", "i2", "i3"])))
    got = category_vectors(catalog, IdMap(["i2", "i1", "i3", "ghost"]))
    assert got.tolist() == [[1, 1], [1, 0], [0, 0], [0, 0]]
    assert category_vectors(ItemCatalog(pd.DataFrame({"title": ["a"]}, index=pd.Index(["i1"]))), IdMap(["i1"])) is None
