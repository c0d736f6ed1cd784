"""A conversation with a tiny trained model: lists never repeat, reactions move the next list
(toward a clicked item's neighbours, away from rejected ones), unknown items are refused, clicks
become events."""

from __future__ import annotations

import numpy as np
import pytest

from hybrid_rec.api import HybridRecommender
from hybrid_rec.errors import UnknownIdError
from hybrid_rec.pipeline.conversation import Conversation


@pytest.fixture(scope="module")
def pipe(tiny_models):
    return tiny_models().load()


def _neighbourliness(pipe, items, anchor) -> float:
    """Mean cosine of the ALS item factors of `items` to `anchor`'s (external ids)."""
    f = pipe.generator.als.item_factors
    unit = f / np.maximum(np.linalg.norm(f, axis=1, keepdims=True), 1e-12)
    ids = pipe.generator.items.to_internal(list(items))
    return float(np.mean(unit[ids] @ unit[pipe.generator.items.to_internal([anchor])[0]]))


def test_the_model_carries_a_fitted_session_term(pipe):
    term = pipe.fitted.session_fusion
    assert term is not None and term.fitted_on == "session_rounds"
    assert set(term.weights) == {f"{k}_{s}" for k in ("liked", "passed", "disliked") for s in ("cf", "text", "cat")}


def test_clicks_move_toward_neighbours_and_rejections_away(pipe):
    """Averaged over users, after the same first list: the next list is closer (ALS factors) to an item
    when the user clicked that item than when they clicked another shown one (everything else the
    same: the rest passed over), and farther from it when they rejected it than when they rejected another."""
    toward, away = [], []
    for n in range(1, 31):
        user = f"u{n}"
        chats = [Conversation(pipe, user) for _ in range(4)]
        lists = [[r.item_id for r in chat.next(5)] for chat in chats]  # every chat shows its first list
        assert all(one == lists[0] for one in lists)
        first = lists[0]
        anchor, other = first[1], first[3]
        chats[0].react(clicked=[anchor])
        chats[1].react(clicked=[other])
        chats[2].react(rejected=[anchor])
        chats[3].react(rejected=[other])
        near = [_neighbourliness(pipe, [r.item_id for r in chat.next(5)], anchor) for chat in chats]
        toward.append(near[0] - near[1])
        away.append(near[2] - near[3])
    assert np.mean(toward) > 0 and np.mean(away) < 0, (np.mean(toward), np.mean(away))


def test_lists_never_repeat_and_reactions_are_recorded(pipe):
    chat = Conversation(pipe, "u2")
    seen: list[object] = []
    for _ in range(4):
        items = [r.item_id for r in chat.next(4)]
        assert len(items) == 4 and not set(items) & set(seen)
        seen += items
        chat.react(clicked=[items[0]], more_like=[items[1]])
    state = chat.state
    assert state.shown == seen and state.rounds == 4
    assert set(state.passed) == {i for n, i in enumerate(seen[:-4]) if n % 4 >= 2}  # rounds 1-3 closed
    chat.next(4)  # closes round 4
    before = list(state.passed)
    last = [r.item_id for r in chat.next(4)]
    chat.react(rejected=[last[0]])  # a rejection alone chooses nothing: the rest is only paged past
    chat.next(4)
    assert state.passed == before and last[0] in state.rejected
    state.rejected.clear()
    with pytest.raises(UnknownIdError, match="not known"):
        chat.react(rejected=["no-such-item"])
    assert state.rejected == []
    events = chat.events()
    assert list(events.columns) == ["user_id", "item_id", "type", "timestamp"] and len(events) == 5
    assert events["item_id"].tolist() == [*seen[0:16:4], last[0]]
    assert events["type"].tolist() == ["click"] * 4 + ["dislike"]


def test_the_api_conversation_gives_frames_with_the_reading(pipe):
    rec = HybridRecommender(pipe.config)
    rec.pipeline = pipe
    chat = rec.start("u3", request="a comedy")
    frame = chat.next(3)
    assert len(frame) == 3 and frame.attrs["request_reading"]["text"] == "a comedy"
    assert chat.react(clicked=[frame["item_id"].iloc[0]]) == 1
    assert not set(chat.next(3)["item_id"]) & set(frame["item_id"])


def test_the_lm_reads_the_reactions_in_its_prompt(pipe, tiny_models):
    """An LM trained on simulated rounds (`trainer.round_windows_per_user`) is told what was passed
    over, liked and disliked, after the history; a plain list's prompt has none of it; an LM trained
    without them (the default) is not told."""
    chat = Conversation(pipe, "u4")
    shown = chat.next(4)
    chat.react(clicked=[shown[0].item_id])
    assert not pipe.reranker.reads_reactions and "passed over:" not in chat.next(4)[0].instruction
    pipe = tiny_models(variant="rounds").load()
    assert pipe.reranker.reads_reactions
    chat = Conversation(pipe, "u4")
    first = chat.next(4)
    assert "passed over:" not in first[0].instruction and " next:" not in first[0].instruction
    chat.react(clicked=[first[0].item_id], less_like=[first[3].item_id])
    prompt = chat.next(4)[0].instruction
    passed = [pipe.reranker.verbalizer.text_of(r.item_id) for r in first[1:3]]
    assert "passed over:" in prompt and "less like:" in prompt and prompt.endswith(" next:")
    assert all(f"[{t}]" in prompt for t in passed)


def test_warm_up_builds_the_session_vectors(tiny_models):
    """A served model must not encode the catalog on its first call with reactions."""
    pipe = tiny_models().load()
    assert "session_vectors" not in vars(pipe.fitted)
    pipe.warm_up()
    assert "session_vectors" in vars(pipe.fitted)
