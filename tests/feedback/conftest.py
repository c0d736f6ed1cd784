from __future__ import annotations

import numpy as np
import pytest

from hybrid_rec.store import ModelStore


@pytest.fixture()
def store(stream, tmp_path):
    pipeline, _, _ = stream
    s = ModelStore(tmp_path / "store")
    s.publish(pipeline.save, {"applied_offset": 0, "events": 0})
    return s


def matrix_total(store: ModelStore) -> float:
    return float(np.load(store.current().path / "model" / "candidates" / "als" / "als.npz")["data"].sum())
