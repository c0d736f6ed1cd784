"""The shop (`make_products`) and series (`make_series`) generators against their own ground truth,
and the series benchmark's title-reading rule on them (small data, no training)."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.series_next import NextPartRule, parse_part
from hybrid_rec.data import leave_last_out
from hybrid_rec.data.synthetic import (
    MUSIC_CATEGORIES,
    PRODUCT_CATEGORIES,
    ProductConfig,
    SeriesConfig,
    make_products,
    make_series,
    series_title,
)
from hybrid_rec.data.synthetic.vocabularies import VOCABULARIES
from hybrid_rec.errors import ConfigError


@pytest.fixture(scope="module")
def products():
    return make_products(n_users=300, n_items=200, seed=1)


@pytest.fixture(scope="module")
def series():
    return make_series(n_users=400, n_franchises=40, n_standalone=30, seed=2)


def _frames_equal(a, b) -> bool:
    ia, ib = a.interactions, b.interactions
    same = all(
        np.array_equal(x, y)
        for x, y in zip((ia.user, ia.item, ia.timestamp), (ib.user, ib.item, ib.timestamp), strict=True)
    )
    return same and a.catalog.items.equals(b.catalog.items)


def _ordered(inter):
    order = np.lexsort((inter.timestamp, inter.user))
    return inter.user[order], inter.item[order], inter.timestamp[order]


# ------------------------------------------------------------------ products
def test_products_seeded_and_reproducible(products):
    again = make_products(ProductConfig(n_users=300, n_items=200, seed=1))
    other = make_products(n_users=300, n_items=200, seed=2)
    assert _frames_equal(products, again)
    assert not np.array_equal(products.interactions.item, other.interactions.item)


def test_each_title_names_its_category(products):
    truth, items = products.truth, products.catalog.items
    for pos, (title, category) in enumerate(zip(items["title"], items["category"], strict=True)):
        owners = [name for name, words in PRODUCT_CATEGORIES.items() if any(title.endswith(n) for n in words.nouns)]
        assert owners == [truth.categories[truth.item_category[pos]]] == list(category), title
        words = PRODUCT_CATEGORIES[owners[0]]
        assert title.split(" ")[0] in {q.split(" ")[0] for q in words.qualifiers}, title
    assert items["title"].is_unique and items["description"].str.endswith(".").all()


def test_a_music_catalog_is_built_the_same_way_from_its_own_vocabulary():
    """kind="music": album titles of music genres, each noun in one genre, items called albums; the shop's
    catalog is the default (the same seed gives the same events: only the words differ)."""
    music, shop = make_products(n_users=50, n_items=100, seed=3, kind="music"), make_products(n_users=50, n_items=100, seed=3)
    assert music.catalog.noun == "album" and shop.catalog.noun == "product"
    assert set(music.catalog.items["category"].explode()) == set(MUSIC_CATEGORIES)
    for title, (genre,) in zip(music.catalog.items["title"], music.catalog.items["category"], strict=True):
        assert [g for g, words in MUSIC_CATEGORIES.items() if any(title.endswith(n) for n in words.nouns)] == [genre]
    assert np.array_equal(music.interactions.item, shop.interactions.item)
    assert not set(MUSIC_CATEGORIES) & set(PRODUCT_CATEGORIES)


@pytest.mark.parametrize(("kind", "noun", "second"), [("books", "book", "author"), ("trips", "trip", "destination")])
def test_a_kind_with_a_second_field_draws_it_from_the_items_category(kind, noun, second):
    """kind="books" / "trips": each item's second field (a book's author, a trip's destination) is one of its
    category's values, every value is used, and titles still name their category."""
    data = make_products(n_users=50, n_items=200, seed=4, kind=kind)
    vocabulary, items = VOCABULARIES[kind], data.catalog.items
    assert data.catalog.noun == noun and vocabulary.second is not None and vocabulary.second[0] == second
    per_category = vocabulary.second[1]
    for title, (category,), value in zip(items["title"], items["category"], items[second], strict=True):
        assert value in per_category[category], (title, value)
        assert [c for c, words in vocabulary.categories.items() if any(title.endswith(n) for n in words.nouns)] == [category]
    assert set(items[second]) == {v for values in per_category.values() for v in values}


def test_users_buy_their_clusters_categories_once_each(products):
    inter, truth = products.interactions, products.truth
    category = truth.item_category[inter.item]
    preferred = truth.cluster_categories[truth.user_cluster[inter.user]]
    assert (preferred == category[:, None]).any(axis=1).mean() > 0.8  # p_preferred 0.85, plus chance
    assert not inter.to_dataframe().duplicated(["user_id", "item_id"]).any()
    counts = np.sort(inter.item_counts())[::-1]
    assert counts[: len(counts) // 10].sum() > 0.3 * counts.sum()  # Zipf inside each category


def test_products_options():
    genres = make_products(n_users=20, n_items=40, n_categories=4, field="genres", descriptions=False, seed=0)
    assert genres.catalog.fields == ["title", "genres"]
    assert set(genres.catalog.items["genres"].explode()) == set(list(PRODUCT_CATEGORIES)[:4])
    with pytest.raises(ConfigError, match="categories_per_cluster"):
        make_products(n_categories=2, categories_per_cluster=3)
    with pytest.raises(ConfigError, match="n_items"):
        make_products(n_items=10_000)
    with pytest.raises(ConfigError, match="field 'title'"):
        make_products(field="title")
    with pytest.raises(ConfigError, match="n_user"):
        make_products(n_user=3)


# ------------------------------------------------------------------ series
def test_series_seeded_and_reproducible(series):
    again = make_series(SeriesConfig(n_users=400, n_franchises=40, n_standalone=30, seed=2))
    other = make_series(n_users=400, n_franchises=40, n_standalone=30, seed=3)
    assert _frames_equal(series, again)
    assert not np.array_equal(series.interactions.item, other.interactions.item)


def test_titles_carry_the_franchise_and_part(series):
    truth, titles = series.truth, series.catalog.items["title"].tolist()
    parsed = [parse_part(t) for t in titles]
    assert [p for _, p in parsed] == truth.part.tolist()
    names = {}
    for (base, _), f in zip(parsed, truth.franchise, strict=True):
        names.setdefault(base, set()).add(int(f))
    assert all(len(fs) == 1 for fs in names.values()) and len(names) == len(truth.sizes)  # one name per franchise
    assert all(truth.item_of(f, p) >= 0 for f in range(len(truth.sizes)) for p in range(1, truth.sizes[f] + 1))
    assert (truth.sizes[:40] >= 2).all() and (truth.sizes[40:] == 1).all()  # 40 franchises, then standalones
    formats = {
        t.removeprefix(truth.names[f]) for t, f, p in zip(titles, truth.franchise, truth.part, strict=True) if p == 2
    }
    assert {" Part 2", " 2", ": Chapter 2", " II", " - Episode 2"} <= formats  # every format in use


def test_series_titles():
    assert series_title("Shadow Road", 3, "{name} Part {k}") == "Shadow Road Part 3"
    assert series_title("The Lost City", 14, "{name} {roman}") == "The Lost City XIV"
    assert series_title("The Lost City", 1, "{name} {k}", plain_first=True) == "The Lost City"
    assert parse_part("Silent Harbor XIV") == ("Silent Harbor", 14) and parse_part("Iron Crown") == ("Iron Crown", 1)


def test_users_watch_franchises_in_order(series):
    truth = series.truth
    user, item, ts = _ordered(series.interactions)
    same = (user[1:] == user[:-1]) & (truth.franchise[item[1:]] == truth.franchise[item[:-1]])
    step = truth.part[item[1:]] - truth.part[item[:-1]]
    assert (step[same] > 0).mean() > 0.9  # forward, with noise
    assert ((step == 1) & same)[user[1:] == user[:-1]].mean() > 0.4  # often the very next part (p_next 0.7)
    assert (np.diff(ts)[user[1:] == user[:-1]] > 0).all()
    assert not series.interactions.to_dataframe().duplicated(["user_id", "item_id"]).any()


def test_franchises_have_a_long_tail(series):
    truth = series.truth
    per_franchise = np.bincount(truth.franchise[series.interactions.item], minlength=len(truth.sizes))
    ranked = np.sort(per_franchise)[::-1]
    assert ranked[: len(ranked) // 10].sum() > 0.35 * ranked.sum()
    assert np.median(ranked) < 0.25 * ranked[0]


def test_series_config_errors():
    with pytest.raises(ConfigError, match="p_next"):
        make_series(p_next=0.6, p_skip=0.3, p_noise=0.2)
    with pytest.raises(ConfigError, match="min_parts"):
        make_series(min_parts=5, max_parts=3)


def test_next_part_rule_ranks_the_next_part_first(series):
    truth = series.truth
    split = leave_last_out(series.interactions)
    rule = NextPartRule(series.catalog).fit(split.train_valid)
    users = np.arange(series.interactions.n_users)
    seen = split.train_valid.to_csr("binary")
    top = rule.recommend(users, 10, seen[users]).items
    checked = 0
    for u, history in rule.histories.items():
        last = history[-1]
        nxt = truth.item_of(int(truth.franchise[last]), int(truth.part[last]) + 1)
        if nxt >= 0 and nxt not in history:
            assert top[u, 0] == nxt
            checked += 1
    assert checked > 100
    assert not np.isin(top, seen.indices[seen.indptr[0] : seen.indptr[1]])[0].any()
