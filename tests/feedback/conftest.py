from __future__ import annotations

import numpy as np
import pytest

from hybrid_rec.store import ModelStore


@pytest.fixture()
def store(tiny_models, tmp_path) -> ModelStore:
    """A model store whose version 1 is the `stream` fixture's model (trained on the first 80%)."""
    return tiny_models("stream").publish(tmp_path / "store")


def matrix_total(store: ModelStore) -> float:
    return float(np.load(store.current().path / "model" / "candidates" / "als" / "als.npz")["data"].sum())
