import numpy as np
import pytest

from hybrid_rec.candidates import ALSConfig, ALSModel
from hybrid_rec.candidates.als import _has_cuda
from hybrid_rec.errors import ConfigError, NotFittedError
from hybrid_rec.evaluate.metrics import topk_from_scores


def test_checkerboard_recommends_the_missing_same_parity_item(checkerboard):
    model = ALSModel(factors=4, regularization=0.01, iterations=20, seed=0).fit(checkerboard)
    users = np.arange(checkerboard.n_users)
    top = topk_from_scores(model.score(users), 1, checkerboard.to_csr()).items[:, 0]
    for u, i in zip(users, top, strict=True):
        uid = int(checkerboard.users.to_external([u])[0].removeprefix("user"))
        iid = int(checkerboard.items.to_external([i])[0].removeprefix("item"))
        assert iid % 2 == uid % 2, f"user{uid} got item{iid} of the other parity"


def test_factors_shapes_and_determinism(synthetic):
    inter = synthetic.interactions
    a = ALSModel(factors=8, iterations=3, seed=1).fit(inter)
    b = ALSModel(ALSConfig(factors=8, iterations=3, seed=1)).fit(inter)
    assert a.user_factors.shape == (inter.n_users, 8) and a.item_factors.shape == (inter.n_items, 8)
    np.testing.assert_allclose(a.user_factors, b.user_factors, rtol=1e-5, atol=1e-6)
    assert a.users is inter.users


def test_not_fitted_and_bad_config():
    model = ALSModel()
    assert not model.is_fitted
    with pytest.raises(NotFittedError, match="fit"):
        model.score(np.array([0]))
    with pytest.raises(ConfigError, match="factors"):
        ALSModel(factors=0)
    with pytest.raises(ConfigError, match="unknown key"):
        ALSModel(factor=8)


@pytest.mark.skipif(_has_cuda(), reason="implicit has CUDA on this machine")
def test_cuda_requested_without_cuda(synthetic):
    with pytest.raises(ConfigError, match="device='cuda'"):
        ALSModel(device="cuda").fit(synthetic.interactions)
