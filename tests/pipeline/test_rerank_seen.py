"""Seen items in rerank (`exclude_seen`): what the user already has is left out by default, as `recommend` leaves
it out, kept on request; `left_out` names every candidate the answer drops, and why."""

from __future__ import annotations

import pytest

from hybrid_rec.api import HybridRecommender
from hybrid_rec.errors import UnknownIdError
from hybrid_rec.pipeline import HybridPipeline
from hybrid_rec.session import Session


@pytest.fixture(scope="module")
def pipe(tiny_store) -> HybridPipeline:
    return HybridPipeline.load(tiny_store)


def _user_lists(pipe: HybridPipeline) -> tuple[object, list[object], list[object]]:
    """A user with at least three seen items: (user, three seen ids, three unseen ids)."""
    ids = pipe.generator.items.ids
    for user in pipe.generator.users.ids:
        seen = pipe.fitted.seen(pipe.generator.users.to_internal([user]))[0].indices
        if len(seen) >= 3:
            unseen = [i for i in range(len(ids)) if i not in set(seen)][:3]
            return user, list(ids[seen[:3]]), list(ids[unseen])
    raise AssertionError("no user with three seen items in the tiny store")


def test_seen_candidates_are_left_out_by_default_and_named(pipe):
    user, seen, unseen = _user_lists(pipe)
    given = [seen[0], unseen[0], "not-an-item", seen[1], unseen[1], seen[2], unseen[2]]
    ranked = [r.item_id for r in pipe.rerank(user, given)]
    assert sorted(ranked, key=str) == sorted(unseen, key=str)
    assert pipe.left_out(user, given) == [(seen[0], "seen"), ("not-an-item", "unknown"), (seen[1], "seen"),
                                          (seen[2], "seen")]  # fmt: skip
    kept = [r.item_id for r in pipe.rerank(user, given, exclude_seen=False)]
    assert set(kept) == set(seen) | set(unseen)
    assert pipe.left_out(user, given, exclude_seen=False) == [("not-an-item", "unknown")]
    assert pipe.left_out(user, given, exclude_seen=False, on_unknown_items="fallback") == []
    with pytest.raises(UnknownIdError):
        pipe.left_out(user, given, on_unknown_items="raise")


def test_a_sessions_items_and_many_lists_are_left_out_alike(pipe):
    user, seen, unseen = _user_lists(pipe)
    given = [*seen, *unseen]
    session = Session(exclude=[unseen[0]])
    assert [r.item_id for r in pipe.rerank(user, given, session=session)] and unseen[0] not in [
        r.item_id for r in pipe.rerank(user, given, session=session)
    ]
    assert (unseen[0], "session") in pipe.left_out(user, given, session=session)
    alone = [[r.item_id for r in pipe.rerank(user, given, exclude_seen=flag)] for flag in (True, False)]
    many = [[r.item_id for r in pipe.rerank_many([(user, given)], exclude_seen=flag)[0]] for flag in (True, False)]
    assert many == alone and alone[0] != alone[1]
    # a user the model does not know has seen nothing
    assert pipe.left_out("nobody", given) == []


def test_the_python_api_reports_what_it_left_out(tiny_store):
    rec = HybridRecommender.load(tiny_store)
    user, seen, unseen = _user_lists(rec.pipeline)
    frame = rec.rerank(user, [*seen, *unseen])
    assert set(frame["item_id"]) == set(unseen)
    assert frame.attrs["left_out"] == [(i, "seen") for i in seen]
    assert set(rec.rerank(user, [*seen, *unseen], exclude_seen=False)["item_id"]) == set(seen) | set(unseen)
