"""Feedback events: validation, and the mapping from event type to CF confidence.

An event is ``(event_id, user_id, item_id, type, timestamp, weight)``. Types: view, click,
purchase, rating (weight = the rating), skip, dislike. Positive types become CF confidence
(``confidence[type]``, times the weight where one is given); negative types (skip, dislike) add
no CF confidence, remove a previous positive of the same user and item when
``negatives_remove_positive`` is on, and serve as reranker negatives.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import Field

from hybrid_rec.config import StrictModel
from hybrid_rec.data.ids import ID_RULE, show_id, text_id_problem
from hybrid_rec.errors import DataError

EVENT_TYPES = ("view", "click", "purchase", "rating", "skip", "dislike")
FIELDS = ("event_id", "user_id", "item_id", "type", "timestamp")


class FeedbackConfig(StrictModel):
    """How events become training signal, and what counts as a bad event."""

    confidence: dict[str, float] = Field(
        default_factory=lambda: {
            "view": 0.5,
            "click": 1.0,
            "purchase": 3.0,
            "rating": 0.25,
            "skip": 0.0,
            "dislike": 0.0,
        },
        description="CF confidence per event type, times the event's weight where one is given (0 adds none).",
    )
    negative_types: list[str] = Field(
        default_factory=lambda: ["skip", "dislike"],
        description="Event types that are negative feedback (reranker negatives; see negatives_remove_positive).",
    )
    negatives_remove_positive: bool = Field(
        True, description="A negative event removes an earlier positive of the same user and item."
    )
    max_weight: float = Field(100.0, gt=0, description="Events with a weight outside [0, max_weight] are quarantined.")
    max_future_seconds: float = Field(
        300.0, ge=0, description="Tolerated clock skew in seconds: events further in the future are quarantined."
    )


@dataclass(frozen=True)
class Event:
    event_id: str
    user_id: str
    item_id: str
    type: str
    timestamp: float
    weight: float | None = None

    def is_negative(self, config: FeedbackConfig) -> bool:
        return self.type in config.negative_types

    def confidence(self, config: FeedbackConfig) -> float:
        base = config.confidence.get(self.type, 0.0)
        return base * (self.weight if self.weight is not None else 1.0)


def parse_event(raw: Mapping[str, Any], config: FeedbackConfig, now: float | None = None) -> Event:
    """Validate one raw event (e.g. a CSV row or a JSON body); raise `DataError` saying why not.

    Ids are kept exactly as given (" w1" and "w1" are two ids); one that could not be stored and
    read back exactly (see `hybrid_rec.data.ids`) makes the event invalid.
    """
    missing = [f for f in FIELDS if _is_missing(raw.get(f))]
    if missing:
        raise DataError(f"missing field(s) {missing}")
    ids = [_exact_id(raw, f) for f in ("event_id", "user_id", "item_id")]
    kind = str(raw["type"]).strip().lower()
    if kind not in EVENT_TYPES or kind not in config.confidence:
        raise DataError(f"unknown event type {raw['type']!r}; known: {list(EVENT_TYPES)}")
    try:
        ts = float(raw["timestamp"])
    except (TypeError, ValueError) as exc:
        raise DataError(f"timestamp {raw['timestamp']!r} is not a number (seconds since the epoch)") from exc
    now = time.time() if now is None else now
    if not math.isfinite(ts) or ts < 0:
        raise DataError(f"timestamp {raw['timestamp']!r} is not a valid time")
    if ts > now + config.max_future_seconds:
        raise DataError(f"timestamp {ts:.0f} is in the future (now {now:.0f})")
    weight = raw.get("weight")
    w: float | None = None
    if weight is not None and not _is_missing(weight):
        try:
            w = float(weight)
        except (TypeError, ValueError) as exc:
            raise DataError(f"weight {weight!r} is not a number") from exc
        if not math.isfinite(w) or w < 0 or w > config.max_weight:
            raise DataError(f"weight {w} outside [0, {config.max_weight}]")
    elif kind == "rating":
        raise DataError("a rating event needs a weight (the rating)")
    return Event(ids[0], ids[1], ids[2], kind, ts, w)


def _is_missing(value: object) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def _exact_id(raw: Mapping[str, Any], field: str) -> str:
    """``raw[field]`` as the exact text id (a number as its digits), or `DataError` saying why it cannot be one."""
    value = raw[field]
    text = value if isinstance(value, str) else str(value)
    why = text_id_problem(text)
    if why is not None:
        raise DataError(f"{field} {show_id(value)} {why}; {ID_RULE}")
    return text
