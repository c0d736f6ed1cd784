"""Exposure for new items (`FusionConfig.new_item_slots`): a list's last places go to its best-fused new
candidates when none made the list on its score."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from hybrid_rec.pipeline import HybridPipeline
from hybrid_rec.pipeline.scoring import with_new_items
from hybrid_rec.topk import TopK

NEW = np.array([False, False, False, False, True, True, True])  # items 4, 5, 6 have no interactions


def _top(rows: list[list[int]]) -> TopK:
    items = np.array(rows)
    return TopK(items, np.where(items >= 0, 10.0 - np.arange(items.shape[1]), np.nan))


def test_the_last_places_go_to_the_best_new_candidates():
    items = np.array([[0, 1, 2, 3, 4, 5, 6]] * 4)
    fused = np.array([[9, 8, 7, 6, 1, 3, 2]] * 4, float)
    fused[2, 5] = np.nan  # excluded: never brought in
    top = _top([[0, 1, 2], [0, 4, 1], [0, 1, 2], [0, 1, -1]])
    one = with_new_items(top, items, fused, NEW, 1)
    assert one.items.tolist() == [[0, 1, 5], [0, 4, 1], [0, 1, 6], [0, 1, 5]]  # row 1 holds one already
    assert one.scores[0, 2] == 3.0 and one.scores[3, 2] == 3.0  # its own fused score; a short row appends
    two = with_new_items(top, items, fused, NEW, 2)
    assert two.items.tolist() == [[0, 5, 6], [0, 4, 5], [0, 6, 4], [0, 5, 6]]  # a held new item is kept
    assert with_new_items(top, items, fused, NEW, 0).items.tolist() == top.items.tolist()
    assert with_new_items(top, items, fused, NEW, 9).items.tolist() == [[5, 6, 4], [4, 5, 6], [0, 6, 4], [5, 6, 4]]


def test_new_items_take_the_last_of_the_first_places_and_the_rest_moves_down():
    """In a longer list the slot is the last of the first `within` places: a new item further down
    moves up, the item it displaces moves down one place, the list keeps its length."""
    items = np.array([[0, 1, 2, 3, 4, 5, 6]])
    fused = np.array([[9, 8, 7, 6, 1, 3, 2]], float)
    top = _top([[0, 1, 2, 3, 5]])
    got = with_new_items(top, items, fused, NEW, 1, within=3)
    assert got.items.tolist() == [[0, 1, 5, 2, 3]]
    assert got.scores[0].tolist() == [10.0, 9.0, 3.0, 8.0, 7.0]
    assert with_new_items(top, items, fused, NEW, 1, within=5).items.tolist() == [[0, 1, 2, 3, 5]]  # already there


@pytest.fixture(scope="module")
def grown(tiny_store, tmp_path_factory) -> HybridPipeline:
    """The tiny model with two catalog items added after training (no interactions: new)."""
    path = tmp_path_factory.mktemp("grown") / "model"
    shutil.copytree(tiny_store, path)
    pipe = HybridPipeline.load(path)
    genre = sorted({g for gs in pipe.reranker.catalog.items["genres"] for g in gs})[0]
    pipe.add_items(pd.DataFrame({"title": ["Brand new", "Also new"], "year": ["2024", "2024"],
                                 "genres": [(genre,), (genre,)]}, index=pd.Index(["new-a", "new-b"], name="item_id")))  # fmt: skip
    return pipe


def test_a_new_item_gets_a_place_and_says_so(grown):
    every = list(grown.generator.users.ids)
    plain = grown.recommend(every, 10)
    users = [u for u, recs in zip(every, plain, strict=True) if not {"new-a", "new-b"} & {r.item_id for r in recs}]
    assert len(users) >= 5  # most lists hold no new item on its score
    users = users[:5]
    plain = grown.recommend(users, 10)
    grown.config = grown.config.with_params({"fusion.new_item_slots": 1})
    try:
        shown = grown.recommend(users, 10)
    finally:
        grown.config = grown.config.with_params({"fusion.new_item_slots": 0})
    for before, after in zip(plain, shown, strict=True):
        assert after[-1].item_id in ("new-a", "new-b") and "new here: nobody has chosen it yet" in after[-1].reasons
        assert [r.item_id for r in after[:-1]] == [r.item_id for r in before[:-1]]  # the rest as before


def test_a_new_items_text_is_matched_against_requests_at_once(grown):
    from hybrid_rec.rerank.request_text import request_match_of

    reranker = grown.reranker
    match = request_match_of(reranker.model)
    new = grown.generator.items.to_internal(["new-a", "new-b"])
    assert match is not None and match.n_items == len(grown.generator.items)
    np.testing.assert_allclose(match.items[new].numpy(), reranker.text_vectors(new), atol=1e-6)
    asked = reranker.item_logprobs(np.array([0]), ["Brand new"])[0, new]
    plain = reranker.item_logprobs(np.array([0]))[0, new]
    assert np.isfinite(asked).all() and not np.allclose(asked, plain)
