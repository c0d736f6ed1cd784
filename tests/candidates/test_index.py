from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from hybrid_rec.candidates.index import IndexConfig, ItemIndex
from hybrid_rec.errors import ConfigError, DataError, NotFittedError, UnknownIdError

KINDS = [
    pytest.param({"kind": "flat"}, id="flat"),
    pytest.param({"kind": "ivf", "nlist": 8, "nprobe": 8}, id="ivf"),  # nprobe = nlist: exhaustive
    pytest.param({"kind": "hnsw", "m": 16, "ef_search": 400}, id="hnsw"),
]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((400, 8)).astype(np.float32), rng.standard_normal((12, 8)).astype(np.float32)


def brute(queries, vectors, ids, k, exclude=None):
    scores = queries @ vectors.T
    out = []
    for r, row in enumerate(scores):
        order = [ids[j] for j in np.argsort(-row, kind="stable") if exclude is None or ids[j] not in exclude[r]]
        out.append(order[:k])
    return np.array(out)


@pytest.mark.parametrize("cfg", KINDS)
def test_search_matches_brute_force_with_exclusions(cfg, data):
    vectors, queries = data
    ids = np.arange(400) * 5 + 7  # ids unrelated to positions
    index = ItemIndex(8, IndexConfig(**cfg))
    index.add(ids, vectors)
    exclude = [set(brute(queries[r : r + 1], vectors, ids, 30)[0][::2].tolist()) for r in range(len(queries))]
    got, scores = index.search(queries, 10, [np.array(sorted(e)) for e in exclude])
    want = brute(queries, vectors, ids, 10, exclude)
    assert (got == want).mean() >= (1.0 if cfg["kind"] != "hnsw" else 0.95)
    assert not any(set(got[r]) & exclude[r] for r in range(len(queries)))
    assert (np.diff(scores, axis=1) <= 1e-6).all()


def test_exclusions_never_shorten_the_list(data):
    vectors, queries = data
    index = ItemIndex(8, kind="flat")
    index.add(np.arange(400), vectors)
    exclude = sp.csr_matrix(np.ones((len(queries), 400)))
    exclude[:, :15] = 0
    exclude.eliminate_zeros()
    got, scores = index.search(queries, 10, exclude)
    assert ((got >= 0) & (got < 15)).all(), "all 10 slots filled from the 15 allowed ids"
    got, scores = index.search(queries[:1], 20, exclude[:1])
    assert (got[0, :15] >= 0).all() and (got[0, 15:] == -1).all() and np.isnan(scores[0, 15:]).all()


def test_ivf_few_probes_pads_with_minus_one_never_returns_it():
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((300, 4)).astype(np.float32)
    index = ItemIndex(4, kind="ivf", nlist=30, nprobe=1)
    index.add(np.arange(300), vectors)
    got, _ = index.search(vectors[:5], 50)
    assert ((got >= 0) | (got == -1)).all()
    assert (got >= 0).all(), "retries probe more cells until every list is full"


@pytest.mark.parametrize("cfg", KINDS)
def test_add_remove_update_and_save_load(cfg, data, tmp_path):
    vectors, queries = data
    index = ItemIndex(8, IndexConfig(**cfg))
    index.add(np.arange(400), vectors)
    index.remove([0, 1, 2])
    assert len(index) == 397 and 0 not in index and 5 in index
    got, _ = index.search(queries, 50)
    assert not np.isin(got, [0, 1, 2]).any()
    index.update([5], vectors[10])
    np.testing.assert_allclose(index.reconstruct([5])[0], vectors[10], rtol=1e-6)
    index.save(tmp_path / "ix")
    loaded = ItemIndex.load(tmp_path / "ix")
    assert np.array_equal(loaded.search(queries, 20)[0], index.search(queries, 20)[0])
    assert sorted(loaded.ids) == sorted(index.ids)


def test_cosine_normalises(data):
    vectors, _ = data
    index = ItemIndex(8, metric="cosine")
    index.add(np.arange(3), vectors[:3] * np.array([[1.0], [10.0], [100.0]], np.float32))
    np.testing.assert_allclose(np.linalg.norm(index.reconstruct([0, 1, 2]), axis=1), 1.0, rtol=1e-5)
    _, scores = index.search(vectors[:1] * 7, 1)
    assert scores[0, 0] == pytest.approx(1.0, abs=1e-5)


def test_bad_input(data):
    vectors, _ = data
    index = ItemIndex(8)
    with pytest.raises(NotFittedError):
        index.search(vectors[:1], 5)
    with pytest.raises(DataError, match=r"shape \(n, 8\)"):
        index.add([0], np.zeros((1, 7), np.float32))
    with pytest.raises(DataError, match="NaN"):
        index.add([0, 1], np.array([[0.0] * 8, [np.nan] * 8], np.float32))
    with pytest.raises(DataError, match="floating-point"):
        index.add([0], np.zeros((1, 8), np.int64))
    with pytest.raises(DataError, match="integer"):
        index.add(np.array(["a"]), np.zeros((1, 8), np.float32))
    with pytest.raises(DataError, match="unique"):
        index.add([1, 1], np.zeros((2, 8), np.float32))
    index.add([0, 1], vectors[:2])
    with pytest.raises(DataError, match="already present"):
        index.add([1], vectors[:1])
    with pytest.raises(UnknownIdError, match="99"):
        index.remove([99])
    with pytest.raises(UnknownIdError):
        index.update([99], vectors[:1])
    with pytest.raises(DataError, match=r"shape \(n, 8\)"):
        index.search(np.zeros((1, 3), np.float32), 1)
    with pytest.raises(ConfigError):
        index.search(vectors[:1], 0)
    with pytest.raises(ConfigError):
        ItemIndex(8, kind="annoy")
    with pytest.raises(DataError, match="nlist"):
        ItemIndex(8, kind="ivf", nlist=100).add(np.arange(10), vectors[:10])
    with pytest.raises(DataError, match="not a saved ItemIndex"):
        ItemIndex.load("/nonexistent")


def test_hnsw_inner_product_survives_longer_vectors_added_later(data, tmp_path):
    vectors, queries = data
    index = ItemIndex(8, kind="hnsw", m=16, ef_search=400)
    index.add(np.arange(200), vectors[:200] * 0.1)
    index.add(np.arange(200, 400), vectors[200:] * 3.0)  # longer than the first max norm: rebuild
    scaled = np.vstack([vectors[:200] * 0.1, vectors[200:] * 3.0])
    got, scores = index.search(queries, 10)
    want = brute(queries, scaled, np.arange(400), 10)
    assert (got == want).mean() >= 0.95
    np.testing.assert_allclose(scores, np.take_along_axis(queries @ scaled.T, got, axis=1), rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(index.reconstruct([399])[0], scaled[399], rtol=1e-5)
    index.save(tmp_path / "h")
    assert np.array_equal(ItemIndex.load(tmp_path / "h").search(queries, 10)[0], got)
