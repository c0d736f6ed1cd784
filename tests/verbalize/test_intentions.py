"""Training intentions written from the catalog: each kind says something its target satisfies."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hybrid_rec.data.catalog import ItemCatalog
from hybrid_rec.data.ids import IdMap
from hybrid_rec.verbalize.intentions import LIKE, NEGATIVE, PERIOD, POSITIVE, IntentionWriter
from hybrid_rec.verbalize.verbalizer import Verbalizer


@pytest.fixture(scope="module")
def writer() -> IntentionWriter:
    rows = {
        "a": ("Trail Headlamp", ("Camping",), 1995),
        "b": ("Folding Camp Stove", ("Camping", "Kitchen"), 2003),
        "c": ("Chef Knife", ("Kitchen",), 2011),
        "d": ("Plush Bear", ("Toys",), 1987),
        "e": ("Mystery Box", (), None),
    }
    items = pd.DataFrame(
        {"title": [r[0] for r in rows.values()], "category": [r[1] for r in rows.values()],
         "year": [r[2] for r in rows.values()]},
        index=pd.Index(list(rows), name="item_id"),
    )  # fmt: skip
    catalog = ItemCatalog(items, noun="product")
    return IntentionWriter(Verbalizer(IdMap(list(rows)), catalog))


def _forms(templates: tuple[str, ...], **values: object) -> set[str]:
    return {t.format(**values) for t in templates}


def test_each_kind_names_what_its_target_satisfies(writer):
    rng = np.random.default_rng(0)
    cats = {0: {"camping"}, 1: {"camping", "kitchen"}, 2: {"kitchen"}, 3: {"toys"}}
    decades = {0: 1990, 1: 2000, 2: 2010, 3: 1980}
    seen = set()
    for _ in range(400):
        target = int(rng.integers(4))
        history = np.array([i for i in range(4) if i != target])
        w = writer.write(target, history, rng)
        assert w is not None
        seen.add(w.kind)
        if w.kind == "category":
            assert any(w.request in _forms(POSITIVE, cat=c, noun="product") for c in cats[target])
        elif w.kind == "like":  # an earlier item sharing a category, by its title
            titles = [writer._titles[h] for h in history if cats[h] & cats[target]]
            assert any(w.request in _forms(LIKE, title=t, noun="product") for t in titles)
        elif w.kind == "period":
            assert w.request in _forms(PERIOD, decade=decades[target], noun="product")
        if w.kind in ("negative", "combination") and len(w.rejected):
            rejected = {c for c in ("camping", "kitchen", "toys") if any(w.request.endswith(n) for n in
                        _forms(NEGATIVE, cat=c, noun="product"))}  # fmt: skip
            assert len(rejected) == 1 and not rejected & cats[target], (w.request, target)
            (other,) = rejected
            assert target not in w.rejected and all(other in cats[int(i)] for i in w.rejected)
    assert seen == {"category", "like", "negative", "period", "combination"}


def test_an_item_with_nothing_to_say_gets_no_request(writer):
    """An item without categories or a year, and no history: only a rejected category could be written."""
    only = IntentionWriter(writer.verbalizer, ["category", "like", "period"])
    assert only.write(4, np.empty(0, np.int64), np.random.default_rng(0)) is None
    assert writer.write(4, np.empty(0, np.int64), np.random.default_rng(0)).kind == "negative"


def test_requests_speak_of_the_catalogs_noun(writer):
    rng = np.random.default_rng(1)
    texts = [writer.write(2, np.array([1]), rng).request for _ in range(200)]
    assert any("product" in t for t in texts) and not any("movie" in t for t in texts)
