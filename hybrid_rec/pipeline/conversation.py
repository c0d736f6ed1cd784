"""`Conversation`: one user's rounds with a model — the next list, reactions to it, the events to keep.

A conversation holds only external ids (`ConversationState`), so it outlives a model reload: each
call asks whichever model it is given. ``next`` shows a list that never repeats an item shown
before; ``react`` records what the user did with the items (clicked, rejected, "more / less like");
a round in which the user chose something (a click, "more like") marks the rest of its items as
passed over (read as mild negative feedback); a round without a choice only keeps them out of later
lists (paging). Every reaction
reaches the next list through the session (`hybrid_rec.session.Session`), whose weights the model
fitted on simulated validation rounds. ``events`` gives the clicks and rejections as event rows
(click / dislike) for the event log, so that the feedback loop learns from them.

Reactions may name any item the model knows (an item found elsewhere counts the same as a shown
one); an item the model does not know is refused (`UnknownIdError`), before anything is recorded.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from hybrid_rec.errors import ConfigError, UnknownIdError
from hybrid_rec.explain import Recommendation
from hybrid_rec.session import Session

if TYPE_CHECKING:
    from hybrid_rec.pipeline.hybrid import HybridPipeline

__all__ = ["EVENT_TYPES", "Conversation", "ConversationLimits", "ConversationState"]

EVENT_TYPES = {"clicked": "click", "rejected": "dislike"}  # the reactions the event log keeps, as its event types


@dataclass(frozen=True)
class ConversationLimits:
    """Bounds on one conversation: rounds, and items in its reactions (each reaction kind)."""

    max_rounds: int = 50
    max_reacted: int = 500


@dataclass
class ConversationState:
    """What a conversation has seen and been told (external ids, in order)."""

    user_id: object
    request: str | None = None
    rounds: int = 0
    shown: list[object] = field(default_factory=list)
    clicked: list[object] = field(default_factory=list)
    rejected: list[object] = field(default_factory=list)
    more_like: list[object] = field(default_factory=list)
    less_like: list[object] = field(default_factory=list)
    passed: list[object] = field(default_factory=list)
    last_round: list[object] = field(default_factory=list)  # the items of the latest list
    chose_this_round: bool = False  # a click or "more like" in the latest round
    logged: list[tuple[object, str, float]] = field(default_factory=list)  # (item, event type, time) to commit
    committed: int = 0  # events already written to an event log (`logged[:committed]`)

    def to_json(self) -> str:
        """The state as JSON (ids as JSON numbers or strings, as given): what a shared store keeps, never a pickle."""
        return json.dumps(asdict(self), default=_plain_id, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> ConversationState:
        """The state `to_json` wrote."""
        data = json.loads(text)
        data["logged"] = [tuple(row) for row in data.get("logged", [])]
        return cls(**data)

    def session(self) -> Session:
        """The next call's session: clicks as recent items, rejected and shown items banned,
        "more / less like" items (rejected ones count as "less like"), passed-over items."""
        return Session.of(
            recent=self.clicked,
            exclude=[*self.shown, *self.rejected],
            more_like=self.more_like,
            less_like=[*self.less_like, *self.rejected],
            passed=self.passed,
        )

    def close_round(self) -> None:
        """Before the next list: the latest round's items nobody reacted to are passed over, when the
        user chose something in that round (else they were only paged past)."""
        if self.chose_this_round:
            reacted = {*self.clicked, *self.rejected, *self.more_like, *self.less_like}
            self.passed += [i for i in self.last_round if i not in reacted and i not in self.passed]
        self.chose_this_round = False


def _plain_id(value: object) -> object:
    """A numpy id as its Python value (JSON has no numpy types)."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"a conversation holds ids, not {type(value).__name__}")


class Conversation:
    """One user's rounds with `pipeline` (see the module doc); `limits` bound its size."""

    def __init__(
        self,
        pipeline: HybridPipeline,
        user_id: object,
        *,
        request: str | None = None,
        state: ConversationState | None = None,
        limits: ConversationLimits | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.state = state or ConversationState(user_id, request)
        self.limits = limits or ConversationLimits()

    @property
    def user_id(self) -> object:
        return self.state.user_id

    def next(self, k: int = 10, *, request: str | None = None, on_unknown: str = "raise") -> list[Recommendation]:
        """The next `k` items (none shown before in this conversation), read with every reaction so
        far; `request` replaces the conversation's request from now on (None: keep it)."""
        state = self.state
        if state.rounds >= self.limits.max_rounds:
            raise ConfigError(f"this conversation reached its {self.limits.max_rounds} rounds; start a new one")
        if request is not None:
            state.request = request
        state.close_round()
        recs = self.pipeline.recommend([state.user_id], k, request=state.request, session=state.session(),
                                       on_unknown=on_unknown)  # type: ignore[arg-type]  # fmt: skip
        items = recs[0] if recs else []
        state.last_round = [r.item_id for r in items]
        state.shown += state.last_round
        state.rounds += 1
        return items

    def react(
        self,
        *,
        clicked: Iterable[object] = (),
        rejected: Iterable[object] = (),
        more_like: Iterable[object] = (),
        less_like: Iterable[object] = (),
        at: float | None = None,
    ) -> int:
        """Record reactions (external item ids; any item the model knows); returns how many.
        `at`: their time (default now), for `events`."""
        kinds = {"clicked": list(clicked), "rejected": list(rejected), "more_like": list(more_like),
                 "less_like": list(less_like)}  # fmt: skip
        ids = self.pipeline.ids
        for name, given in kinds.items():
            ext, internal = ids.items(list(dict.fromkeys(given)), "fallback", name)
            if (internal < 0).any():
                raise UnknownIdError(f"{name}: items {list(ext[internal < 0][:5])} are not known to the model; "
                                     "react to items it recommends or knows")  # fmt: skip
            kinds[name] = [v.item() if hasattr(v, "item") else v for v in ext]  # the model's spelling of each id
            held = getattr(self.state, name)
            if len(held) + len(kinds[name]) > self.limits.max_reacted:
                raise ConfigError(f"{name}: at most {self.limits.max_reacted} items per conversation")
        when = time.time() if at is None else float(at)
        n = 0
        for name, given in kinds.items():
            held = getattr(self.state, name)
            fresh = [g for g in dict.fromkeys(given) if g not in held]
            held += fresh
            if name in EVENT_TYPES:
                self.state.logged += [(item, EVENT_TYPES[name], when) for item in fresh]
            if name in ("clicked", "more_like") and fresh:
                self.state.chose_this_round = True
            n += len(fresh)
        return n

    def events(self) -> pd.DataFrame:
        """Clicks and rejections as event rows (``user_id``, ``item_id``, ``type`` = click / dislike,
        ``timestamp``), in the order given, for the event log (`hybrid-rec ingest`, ``POST /feedback``)."""
        logged = self.state.logged
        return pd.DataFrame({"user_id": [self.state.user_id] * len(logged), "item_id": [i for i, _, _ in logged],
                             "type": [t for _, t, _ in logged], "timestamp": [w for _, _, w in logged]})  # fmt: skip

    def summary(self) -> dict[str, object]:
        """The state in plain values (what REST returns for a conversation)."""
        return self.summary_of(self.state)

    @staticmethod
    def summary_of(s: ConversationState) -> dict[str, object]:
        """`summary` of any state (the REST store holds states, not conversations)."""
        return {"user_id": s.user_id, "request": s.request, "rounds": s.rounds, "shown": list(s.shown),
                "clicked": list(s.clicked), "rejected": list(s.rejected), "more_like": list(s.more_like),
                "less_like": list(s.less_like), "passed": list(s.passed)}  # fmt: skip
