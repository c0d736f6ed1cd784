"""The updater's helpers on small fakes with hand-computed answers (fast: no trained pipeline).
The end-to-end paths (`apply_pending`, the guard on a real model, the fine-tune) are in test_updater.py."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
import scipy.sparse as sp

from hybrid_rec.data import IdMap
from hybrid_rec.feedback.events import Event, FeedbackConfig
from hybrid_rec.feedback.updater import apply_negatives, guard_ndcg, negatives_by_user, to_interactions
from hybrid_rec.topk import TopK


class FakeALS:
    def __init__(self, matrix: sp.csr_matrix) -> None:
        self.user_items = matrix
        self.removed: list[tuple[list[int], list[int]]] = []

    def remove_pairs(self, users: np.ndarray, items: np.ndarray) -> None:
        self.removed.append((users.tolist(), items.tolist()))


def fake_pipeline(users: list, items: list, matrix: sp.csr_matrix | None = None, lists: np.ndarray | None = None):
    calls: list[tuple[list[int], int]] = []

    def recommend_internal(u: np.ndarray, k: int) -> TopK:
        calls.append((np.asarray(u).tolist(), k))
        rows = lists[np.asarray(u)][:, :k]
        return TopK(rows, np.zeros(rows.shape))

    gen = SimpleNamespace(users=IdMap(users, name="user"), items=IdMap(items, name="item"), als=FakeALS(matrix))
    return SimpleNamespace(generator=gen, recommend_internal=recommend_internal, calls=calls)


def e(user: str, item: str, kind: str, t: float = 1.0, weight: float | None = None, eid: str = "x") -> Event:
    return Event(eid, user, item, kind, t, weight)


def test_to_interactions_keeps_positive_confidence_in_the_model_id_types():
    pipe = fake_pipeline([1, 2], [10, 11])
    events = [
        e("1", "10", "click", 5.0),
        e("2", "11", "view", 6.0, weight=3.0),  # confidence 0.5 * 3
        e("1", "11", "skip", 7.0),  # negative: not a positive
        e("2", "10", "purchase", 8.0, weight=0.0),  # confidence 0: nothing to add
        e("3", "12", "purchase", 9.0),  # new ids are kept (the update adds them); "12" is an integer id
        e("1", "10", "click", 5.0),  # a repeat of the first (same user, item, time): dropped
    ]
    got = to_interactions(events, pipe, FeedbackConfig())
    rows = sorted(
        zip(
            got.users.to_external(got.user).tolist(),
            got.items.to_external(got.item).tolist(),
            got.timestamp.tolist(),
            got.weight.tolist(),
            strict=True,
        ),
        key=str,
    )
    assert rows == sorted([(1, 10, 5.0, 1.0), (2, 11, 6.0, 1.5), (3, 12, 9.0, 3.0)], key=str)
    assert type(got.users.to_external(got.user)[0]) is not str  # "1" became the integer id 1


def test_to_interactions_skips_a_text_id_for_an_integer_keyed_model(caplog):
    """A model could not save a map holding integers and text (this used to fail only at save time,
    after the update, and then on every later apply): such events are skipped with a warning and the
    rest of the batch applies."""
    pipe = fake_pipeline([1, 2], [10, 11])
    events = [e("1", "10", "click", 5.0), e("stranger", "11", "purchase", 9.0), e("2", "11", "click", 6.0)]
    with caplog.at_level("WARNING"):
        got = to_interactions(events, pipe, FeedbackConfig())
    assert got.users.to_external(got.user).tolist() == [1, 2] and "1 events name ids" in caplog.text
    text_keyed = fake_pipeline(["a", "7"], ["x"])
    got = to_interactions([e(7, "x", "click", 1.0)], text_keyed, FeedbackConfig())
    assert got.users.to_external(got.user).tolist() == ["7"]  # 7 read as the text id "7"


def test_to_interactions_of_no_positives_is_empty():
    pipe = fake_pipeline([1], [10])
    got = to_interactions([e("1", "10", "skip"), e("1", "10", "dislike")], pipe, FeedbackConfig())
    assert len(got) == 0 and got.users.name == "user" and got.items.name == "item"
    assert len(got.users) == 0 and len(got.items) == 0 and got.weight.dtype == np.float32
    assert got.user.dtype == np.int32 and got.item.dtype == np.int32  # internal ids, like any Interactions


def test_apply_negatives_removes_only_present_known_pairs():
    matrix = sp.csr_matrix(np.array([[1.0, 0.0, 2.0], [0.0, 3.0, 0.0]]))
    pipe = fake_pipeline(["a", "b"], ["x", "y", "z"], matrix)
    events = [
        e("a", "x", "dislike"),  # present (internal ids 0, 0): removed
        e("a", "z", "dislike"),  # present: removed
        e("b", "y", "skip"),  # present: removed
        e("a", "y", "skip"),  # not in the matrix: nothing to remove
        e("ghost", "x", "dislike"),  # unknown user
        e("a", "new", "dislike"),  # unknown item
        e("b", "x", "click"),  # positive: ignored
    ]
    assert apply_negatives(events, pipe, FeedbackConfig()) == 3
    assert pipe.generator.als.removed == [([0, 0, 1], [0, 2, 1])]
    off = FeedbackConfig(negatives_remove_positive=False)
    assert apply_negatives(events, pipe, off) == 0 and len(pipe.generator.als.removed) == 1
    # nothing known, nothing present, no negatives: no call at all
    assert apply_negatives([e("ghost", "x", "skip")], pipe, FeedbackConfig()) == 0
    assert apply_negatives([e("a", "y", "skip")], pipe, FeedbackConfig()) == 0
    assert apply_negatives([e("a", "x", "click")], pipe, FeedbackConfig()) == 0
    assert len(pipe.generator.als.removed) == 1


def test_negatives_by_user():
    pipe = fake_pipeline([5, 6], [50, 60, 70])
    events = [
        e("6", "70", "skip"),
        e("5", "50", "dislike"),
        e("6", "50", "dislike"),
        e("5", "99", "skip"),  # unknown item
        e("7", "50", "skip"),  # unknown user
        e("5", "60", "click"),  # positive
    ]
    got = negatives_by_user(events, pipe, FeedbackConfig())
    assert {u: v.tolist() for u, v in got.items()} == {1: [2, 0], 0: [0]}
    assert all(v.dtype == np.int64 for v in got.values())
    assert negatives_by_user([e("5", "60", "click")], pipe, FeedbackConfig()) == {}


def test_guard_ndcg_hand_computed():
    lists = np.array(
        [
            [5, 3, 9, 0, 1, 2, 4, 6, 7, 8],  # target 3 at rank 2
            [0, 2, 4, 6, 8, 7, 5, 3, 9, 1],  # target 1 at rank 10: counts at the default k = 10 only
            [7, 1, 0, 2, 3, 4, 5, 6, 8, 9],  # target 7 at rank 1
        ]
    )
    pipe = fake_pipeline([], [], lists=lists)
    users, targets = np.array([0, 1, 2]), np.array([3, 1, 7])
    got = guard_ndcg(pipe, users, targets)
    assert pipe.calls == [([0, 1, 2], 10)]
    assert got == pytest.approx((1 / math.log2(3) + 1 / math.log2(11) + 1.0) / 3, abs=1e-12)
    assert guard_ndcg(pipe, users, targets, k=3) == pytest.approx((1 / math.log2(3) + 1.0) / 3, abs=1e-12)


def test_guard_ndcg_targets_and_listed_items_beyond_each_other():
    """The target matrix is as wide as the largest target *and* the largest listed item, so a listed
    item past every target never aliases another row's target."""
    lists = np.array([[5, 0], [2, 3]])
    pipe = fake_pipeline([], [], lists=lists)
    # row 0 lists item 5 (> every target); row 1's target is 1: with 4 columns, 0 * 4 + 5 == 1 * 4 + 1
    assert guard_ndcg(pipe, np.array([0, 1]), np.array([3, 1]), k=2) == 0.0
    # a target past every listed item
    assert guard_ndcg(pipe, np.array([0, 1]), np.array([9, 3]), k=2) == pytest.approx(1 / math.log2(3) / 2)
