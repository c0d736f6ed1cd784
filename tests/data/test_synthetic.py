import numpy as np

from hybrid_rec.data import SyntheticConfig, make_synthetic


def test_seeded_and_deterministic():
    a = make_synthetic(n_users=50, n_items=40, seed=3)
    b = make_synthetic(SyntheticConfig(n_users=50, n_items=40, seed=3))
    c = make_synthetic(n_users=50, n_items=40, seed=4)
    assert np.array_equal(a.interactions.item, b.interactions.item)
    assert not np.array_equal(a.interactions.item, c.interactions.item)


def test_planted_structure(synthetic):
    inter, truth = synthetic.interactions, synthetic.truth
    in_group = truth.item_group[inter.item] == truth.user_cluster[inter.user]
    assert in_group.mean() > 0.7  # p_preferred = 0.8, plus sequential moves inside the group
    assert (truth.item_group[truth.successor] == truth.item_group).all()
    order = np.lexsort((inter.timestamp, inter.user))
    u, i = inter.user[order], inter.item[order]
    same_user = u[1:] == u[:-1]
    follows = truth.successor[i[:-1]] == i[1:]
    assert follows[same_user].mean() > 0.2  # p_sequential = 0.3


def test_catalog_and_timestamps(synthetic):
    inter, catalog = synthetic.interactions, synthetic.catalog
    assert len(catalog) == inter.n_items
    fields = catalog.item(inter.items.ids[0])
    assert set(fields) == {"title", "year", "genres"} and fields["genres"]
    # one user's events are strictly increasing in time: no (user, item, time) repeats
    df = inter.to_dataframe()
    assert not df.duplicated(["user_id", "timestamp"]).any()


def test_scales_to_a_million_rows():
    ds = make_synthetic(n_users=10_000, n_items=5_000, interactions_per_user=100, seed=1)
    assert 950_000 < len(ds.interactions) < 1_050_000
