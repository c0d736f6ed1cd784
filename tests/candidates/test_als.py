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


def _events(rows):
    import pandas as pd

    from hybrid_rec.data import Interactions

    return Interactions.from_dataframe(pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"]))


def test_partial_fit_users_equals_recalculation(synthetic):
    inter = synthetic.interactions
    model = ALSModel(factors=8, iterations=5).fit(inter)
    user = inter.users.ids[3]
    history = list(inter.items.to_external(model.user_items[3].indices))
    new_items = [i for i in inter.items.ids[:40] if i not in history][:3]
    model.partial_fit_users(_events([(user, item, 1e12 + k) for k, item in enumerate(new_items)]))
    expected = ALSModel(factors=8, iterations=5).fit(inter).recalculate_user(history + new_items)
    np.testing.assert_allclose(model.user_factors[3], expected, rtol=1e-4, atol=1e-5)
    scores = model.score(np.array([3]))[0]
    np.testing.assert_array_equal(np.argsort(-scores)[:10], np.argsort(-(model.item_factors @ expected))[:10])
    assert set(new_items) <= set(model.items.to_external(model.user_items[3].indices))


def test_new_users_and_items_grow_the_maps(synthetic):
    inter = synthetic.interactions
    model = ALSModel(factors=8, iterations=3).fit(inter)
    n_users, n_items = len(model.users), len(model.items)
    known = inter.items.ids[:5].tolist()
    events = _events([("newcomer", i, 1e12) for i in known] + [(inter.users.ids[0], "brand_new_item", 1e12)])
    users, items = model.update(events)
    assert len(model.users) == n_users + 1 and len(model.items) == n_items + 1
    assert model.user_factors.shape[0] == n_users + 1 and model.item_factors.shape[0] == n_items + 1
    new_u = model.users.to_internal(["newcomer"])[0]
    new_i = model.items.to_internal(["brand_new_item"])[0]
    assert new_u in users and new_i in items
    assert np.abs(model.user_factors[new_u]).sum() > 0 and np.abs(model.item_factors[new_i]).sum() > 0
    assert model.item_support()[new_i] == 1


def test_recalculate_user_ignores_unknown_items(synthetic):
    model = ALSModel(factors=8, iterations=3).fit(synthetic.interactions)
    items = synthetic.interactions.items.ids[:4].tolist()
    np.testing.assert_allclose(model.recalculate_user([*items, "nope"]), model.recalculate_user(items))


def test_save_load_identical(synthetic, tmp_path):
    model = ALSModel(factors=8, iterations=3).fit(synthetic.interactions)
    model.save(tmp_path / "als")
    loaded = ALSModel.load(tmp_path / "als")
    np.testing.assert_array_equal(loaded.score(np.arange(5)), model.score(np.arange(5)))
    assert loaded.users == model.users and loaded.items == model.items
    assert (loaded.user_items != model.user_items).nnz == 0
    events = _events([(synthetic.interactions.users.ids[0], synthetic.interactions.items.ids[7], 1e12)])
    model.update(events)
    loaded.update(events)
    np.testing.assert_allclose(loaded.user_factors, model.user_factors, rtol=1e-5, atol=1e-6)
