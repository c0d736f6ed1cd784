"""Shared fixtures: tiny data with known right answers, built offline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hybrid_rec.data import Interactions, make_synthetic


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the user's real dataset cache."""
    monkeypatch.setenv("HYBRID_REC_HOME", str(tmp_path_factory.mktemp("hybrid_rec_home")))


@pytest.fixture(scope="session")
def synthetic():
    return make_synthetic(n_users=300, n_items=120, n_clusters=4, interactions_per_user=15, seed=7)


@pytest.fixture()
def checkerboard() -> Interactions:
    """Even users like even items, odd users like odd items (implicit's checkerboard idea).

    Each user misses one item of their parity, so the right recommendation is known.
    """
    rows = []
    t = 0
    for u in range(20):
        for i in range(20):
            if u % 2 == i % 2 and i != (u + 2) % 20:
                rows.append((f"user{u}", f"item{i}", t))
                t += 1
    return Interactions.from_dataframe(pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"]))


def frame(rows: list[tuple], columns: tuple[str, ...] = ("user_id", "item_id", "timestamp")) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(columns))


@pytest.fixture()
def rng() -> np.random.Generator:
    return np.random.default_rng(0)
