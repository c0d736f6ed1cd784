from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from hybrid_rec.errors import NotFittedError
from hybrid_rec.rerank.fusion import FusionConfig, LinearFusion, mmr, rank, zscore_rows


def test_zscore_rows_puts_missing_values_last():
    z = zscore_rows(np.array([[1.0, 2.0, np.nan, 3.0], [np.nan, np.nan, np.nan, np.nan]]))
    np.testing.assert_allclose(z[0, [0, 1, 3]], [-1.2247449, 0.0, 1.2247449], rtol=1e-6)
    assert z[0, 2] < z[0, [0, 1, 3]].min()
    assert np.isfinite(z[1]).all()


def test_fit_finds_the_informative_feature():
    rng = np.random.default_rng(0)
    n, c = 300, 20
    items = np.tile(np.arange(c), (n, 1))
    target = rng.integers(0, c, n)
    good = rng.standard_normal((n, c))
    good[np.arange(n), target] += 2.5
    features = {"lm": rng.standard_normal((n, c)), "als": good}
    targets = sp.csr_matrix((np.ones(n), (np.arange(n), target)), shape=(n, c))
    fusion = LinearFusion(FusionConfig(features=["lm", "als"])).fit(features, items, targets)
    assert fusion.weights["als"] > 0 and fusion.weights["als"] >= 4 * fusion.weights["lm"]
    fused = fusion.transform(features, items)
    assert (rank(items, fused, 1).items[:, 0] == target).mean() > 0.5
    with pytest.raises(NotFittedError):
        LinearFusion().transform(features, items)


def test_rank_and_mmr():
    items = np.array([[5, 6, 7, -1]])
    scores = np.array([[0.1, 0.9, 0.5, np.nan]])
    assert rank(items, scores, 4).items.tolist() == [[6, 7, 5, -1]]
    vectors = np.zeros((8, 2))
    vectors[5], vectors[6], vectors[7] = [0.0, 1.0], [1.0, 0.0], [1.0, 0.01]  # 6 and 7 alike, 5 orthogonal
    assert mmr(items, scores, vectors, 3, lam=1.0).items.tolist() == [[6, 7, 5]]
    # 6 and 7 point the same way; with a diversity preference, 5 (orthogonal) moves up
    assert mmr(items, scores, vectors, 3, lam=0.3).items.tolist()[0][:2] == [6, 5]
