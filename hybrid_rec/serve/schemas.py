"""The service's request and response models (pydantic) and its configured limits.

Everything a client sends is checked here before a route runs: ids of at most 256 characters, text
that is valid Unicode, JSON numbers that are numbers, unknown fields refused (all a 422). The
server's own limits (`ServeConfig`) are checked by the routes and written into the OpenAPI schema.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, field_validator

from hybrid_rec.config import StrictModel
from hybrid_rec.errors import DataError
from hybrid_rec.policy import OnUnknown, check_on_unknown
from hybrid_rec.session import Session

MAX_ID_CHARS = 256  # the library's id rule (hybrid_rec.data.ids): 1..256 characters


def _unicode(value: str) -> str:
    """Reject a lone UTF-16 surrogate (JSON allows the escape "\\ud800"): no tokenizer, log or JSON
    encoder downstream can encode it, so it is a 422 here instead of a 500 later."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode (a lone surrogate such as \\ud800 is not)") from None
    return value


def _number(value: object) -> object:
    """JSON numbers only: pydantic's lax mode would read true as 1 and "3" as 3, which the
    documented schema (integer, number) does not allow."""
    if isinstance(value, (bool, str)):
        raise ValueError("must be a JSON number")
    return value


# constraints before the number check, so that they stay in the published schema
Text = Annotated[str, AfterValidator(_unicode)]
Number = Annotated[float, BeforeValidator(_number)]
PositiveInt = Annotated[int, Field(ge=1), BeforeValidator(_number)]
# integers in JSON stay within what every client reads exactly (RFC 8259, section 6); larger
# integer ids travel as text ("9007199254740993"), which an integer-keyed model reads as the number
JsonInt = Annotated[int, Field(ge=-(2**53 - 1), le=2**53 - 1), BeforeValidator(_number)]
Id = Annotated[str, Field(min_length=1, max_length=MAX_ID_CHARS), AfterValidator(_unicode)] | JsonInt
# a new catalog item's id is stored: no control characters either
NewId = (
    Annotated[
        str,
        Field(min_length=1, max_length=MAX_ID_CHARS, pattern=r"^[^\x00-\x1f\x7f-\x9f]+$"),
        AfterValidator(_unicode),
    ]
    | JsonInt
)


class ServeConfig(StrictModel):
    """Limits every request is checked against, and the key that guards the write endpoint."""

    max_k: int = Field(100, gt=0, description="Largest k a client may ask for.")
    max_candidates: int = Field(1000, gt=0, description="Most candidate items per /rerank request (per list of /rerank/batch).")
    max_rerank_users: int = Field(100, gt=0, description="Most users' lists per POST /rerank/batch request.")
    max_events: int = Field(10_000, gt=0, description="Most events per /feedback request.")
    max_items: int = Field(1_000, gt=0, description="Most catalog items per /items request.")
    max_body_bytes: int = Field(
        2_000_000, gt=0, description="Largest request body in bytes, counted as it arrives (larger: 413)."
    )
    max_request_chars: int = Field(200, gt=0, description="Longest request text (the 'request' field).")
    max_conversations: int = Field(
        1_000, gt=0, description="Conversations held at once (the least recently used one is dropped beyond it)."
    )
    conversation_ttl_s: float = Field(
        1_800.0, gt=0, description="A conversation unused this long is dropped (its id then answers 404)."
    )
    max_conversation_rounds: int = Field(50, gt=0, description="Lists per conversation (POST .../next).")
    state: str | None = Field(
        None,
        description="Where conversations live: unset, in this process's memory (a second worker or replica answers 404 "
        "for them); 'redis://HOST:PORT/DB', in a Redis every worker and replica naming it shares (the 'redis' extra).",
        pattern=r"^rediss?://",
    )
    events: str | None = Field(
        None,
        description="The event log POST /feedback and committed conversations write to: unset, the model store's SQLite "
        "file (one host); 'postgresql://USER@HOST:PORT/DB', a PostgreSQL database replicas on several hosts share "
        "(the 'postgres' extra).",
        pattern=r"^postgres(ql)?://",
    )
    ui: bool = Field(
        False, description="Serve the playground page at /ui (static; every call it makes carries the API key)."
    )
    api_key: str | None = Field(
        None, description="Key clients must send as X-API-Key to POST /feedback and /items, GET /users and /users/{id}, "
        "and a conversation's feedback with commit = true; unset: no key needed."
    )
    feedback_busy_s: float = Field(
        2.0,
        gt=0,
        description="How long POST /feedback waits for a busy (locked) event log before answering 503.",
    )
    reload_wait_s: float = Field(
        300.0,
        gt=0,
        description="How long POST /items waits for the version it published to be served before answering.",
    )


class ReadingBody(BaseModel):
    """How the request was read (`hybrid_rec.explain.RequestReading`): null when none was given."""

    text: str = Field(description="The request as read (whitespace collapsed).")
    understood: bool = Field(
        description="False: it named no category, period or title the catalog knows: nothing is filtered or "
        "boosted, and the list is ranked as without a request (see note)."
    )
    asked_for: list[str] = Field(description="Catalog values (categories, genres) the request asks for.")
    excluded: list[str] = Field(description="Catalog values the request rejects: items with them are left out.")
    years: list[float] | None = Field(description="A period asked for, [first, last] year.")
    excluded_years: list[float] | None = Field(description="A period rejected, [first, last] year.")
    like: list[str | int] = Field(description="Items whose titles the request names ('like <title>').")
    unlike: list[str | int] = Field(description="Items the request names to move away from.")
    note: str = Field(description="The reading, or what happened, in words.")
    similarity: dict[str, float] = Field(
        description="How sure, per category read (asked for or excluded): the cosine of the request's clause to the "
        "category's closest text (name, description, what its items say); periods and titles are read by pattern."
    )
    tentative: list[str] = Field(
        default_factory=list,
        description="Categories of asked_for read below the sure threshold: a need in words the catalog does not use, "
        "read as its closest category (a guess; its similarity says how close).",
    )
    avoided: dict[str, float] = Field(
        default_factory=dict,
        description="Categories rejected without enough certainty to leave them out: their items are ranked lower "
        "by the probability of the rejection, not removed.",
    )
    probabilities: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description="The learned reader's reading of every category the request may be about: "
        "{category: {'wanted': P, 'rejected': P}} (the rest: neither, or not about it). A category is excluded only "
        "when P(rejected) is high and the request names it clearly; empty when requests are read by the rules.",
    )


class ItemBody(BaseModel):
    """One recommended item and its explanation."""

    item_id: str | int = Field(description="External item id.")
    rank: int = Field(description="1 = best.")
    score: float | None = Field(description="The fused score (null: a candidate the model could not score).")
    lm_score: float | None = Field(description="The LM's log-likelihood of the item after the instruction.")
    sources: list[str] = Field(
        description="The first-stage lists that proposed it ('caller' for /rerank candidates), and 'request' "
        "when the request matched it."
    )
    cf_scores: dict[str, float] = Field(description="Each CF source's own score for the item.")
    session_scores: dict[str, float] = Field(
        default_factory=dict,
        description="How close the item is to what this session reacted to (liked_cf, passed_text, disliked_cat, ...: "
        "cosines in the CF, text and category spaces); empty without reactions.",
    )
    item_text: str = Field(description="The item as the LM reads it.")
    reasons: list[str] = Field(
        description="Why it is there, in words, strongest first: what of the request it matches ('matches your "
        "request: Comedy'), the history item it is most often chosen with, or only its popularity; may be empty."
    )


class ListBody(BaseModel):
    """The answer of /recommend and /rerank."""

    user_id: str | int = Field(description="The user id as sent.")
    version: str = Field(description="The model version that answered.")
    items: list[ItemBody] = Field(description="Best first.")
    request_reading: ReadingBody | None = Field(description="How the request was read; null without a request.")


class LeftOutBody(BaseModel):
    """A candidate left out of a reranked list, and why."""

    item_id: str | int = Field(description="The item id, as the model spells it.")
    reason: Literal["unknown", "seen", "session"] = Field(
        description="'unknown': the model does not know it (on_unknown_items 'skip'); 'seen': the user already has it "
        "(exclude_seen); 'session': one of this session's recent, excluded or passed-over items."
    )


class RerankListBody(ListBody):
    """The answer of /rerank: the list, and the candidates left out of it."""

    left_out: list[LeftOutBody] = Field(
        default_factory=list, description="The candidates not in `items` other than those past k, in the order given."
    )


class ErrorBody(BaseModel):
    """The body of every error response except 422 (FastAPI's HTTPValidationError)."""

    detail: str = Field(description="What went wrong, in words.")


_WHY = {
    400: "The body is not valid UTF-8 JSON.",
    401: "Missing or wrong X-API-Key header.",
    404: "An unknown user or item (with the policy 'raise'), or an unknown or expired conversation.",
    409: "The model store changed meanwhile (retry), or the model is not a store.",
    413: "The request body is larger than the server's max_body_bytes.",
    503: "Unavailable for now (the event log is busy, or no model is loaded); retry later.",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for these error statuses, each an `ErrorBody`."""
    return {status: {"model": ErrorBody, "description": _WHY[status]} for status in statuses}


class _Body(BaseModel):
    """Request bodies: an unknown field is a 422."""

    model_config = ConfigDict(extra="forbid")


class _SessionFields(_Body):
    """What the user asks in words, and this visit's context that the event log does not hold yet
    (unknown item ids are ignored)."""

    request: Text | None = Field(
        None, description="An explicit request in words, e.g. 'a comedy' (at most max_request_chars)."
    )
    recent_items: list[Id] = Field(
        default_factory=list,
        max_length=200,
        description="Items of this session, oldest first: read after the user's history, never recommended again.",
    )
    exclude_items: list[Id] = Field(default_factory=list, max_length=1000, description="Items never to recommend.")
    more_like: list[Id] = Field(
        default_factory=list, max_length=50, description="Steer the list toward items like these ('more like X')."
    )
    less_like: list[Id] = Field(
        default_factory=list, max_length=50, description="Steer the list away from items like these ('less like Y')."
    )

    passed_items: list[Id] = Field(
        default_factory=list,
        max_length=1000,
        description="Items shown and passed over: never recommended again, read as mild negative feedback.",
    )

    def session(self) -> Session | None:
        """The `Session` (ids as sent: the pipeline maps them), None when empty."""
        got = Session.of(self.recent_items, self.exclude_items, self.more_like, self.less_like, self.passed_items)
        return None if got.empty else got


def _policy(value: object) -> object:
    """The one validation of `on_unknown` values, so that old names get the rename hint (as a 422)."""
    return check_on_unknown(value) if isinstance(value, str) else value


def _unique_ids(ids: list[Id]) -> list[Id]:
    """Each candidate once (as documented: uniqueItems), known to the model or not; values distinct in
    JSON that are one id for the model ("0" and 0) count once, at their first place."""
    if len(set(ids)) != len(ids):
        raise ValueError("candidate item ids must be unique")
    return ids


class RecommendRequest(_SessionFields):
    """Top-k items for one user."""

    user_id: Id = Field(description="External user id.")
    k: PositiveInt = Field(10, description="How many items (at most the server's max_k).")
    on_unknown: OnUnknown = Field(
        "raise",
        description="A user the model does not know: 'raise' (an error), 'fallback' (popular and "
        "request-matching items, scored by the LM from the request) or 'skip' (an empty list).",
    )

    _on_unknown = field_validator("on_unknown", mode="before")(_policy)


def _reranked_user() -> Any:
    return Field(description="External user id (an unknown user is scored from the LM prior and popularity).")


def _candidate_ids() -> Any:
    return Field(
        min_length=1,
        description="Candidate item ids, each once (at most the server's max_candidates).",
        json_schema_extra={"uniqueItems": True},
    )


def _unknown_items() -> Any:
    return Field(
        "skip",
        description="Candidates the model does not know: 'skip' them, 'raise' (an error) or 'fallback' "
        "(ranked last, score NaN).",
    )


def _exclude_seen() -> Any:
    return Field(
        True,
        description="Leave out the candidates the user already has in the model (as /recommend does); false: rank "
        "them too (for items people use again).",
    )


class RerankRequest(_SessionFields):
    """Reorder candidates from another system for one user."""

    user_id: Id = _reranked_user()
    item_ids: list[Id] = _candidate_ids()
    k: PositiveInt | None = Field(None, description="Keep the best k (at most max_k); unset: all candidates.")
    on_unknown_items: OnUnknown = _unknown_items()
    exclude_seen: StrictBool = _exclude_seen()

    _on_unknown_items = field_validator("on_unknown_items", mode="before")(_policy)
    _unique = field_validator("item_ids")(_unique_ids)


class UserCandidates(_Body):
    """One user's candidates in a /rerank/batch request."""

    user_id: Id = _reranked_user()
    item_ids: list[Id] = _candidate_ids()
    request: Text | None = Field(None, description="This user's request in words, if any (at most max_request_chars).")

    _unique = field_validator("item_ids")(_unique_ids)


class RerankBatchRequest(_Body):
    """Reorder many users' candidate lists in one call (at most the server's max_rerank_users lists);
    each list is ranked as /rerank ranks it alone."""

    lists: list[UserCandidates] = Field(min_length=1, description="The users' candidate lists, answered in order.")
    k: PositiveInt | None = Field(None, description="Keep the best k of each list (at most max_k); unset: all.")
    on_unknown_items: OnUnknown = _unknown_items()
    exclude_seen: StrictBool = _exclude_seen()

    _on_unknown_items = field_validator("on_unknown_items", mode="before")(_policy)


class BatchListBody(BaseModel):
    """The answer of /rerank/batch: one list per given list, in their order."""

    version: str = Field(description="The model version that answered.")
    lists: list[RerankListBody] = Field(description="Each user's reranked list, in the order given.")


class ConversationStart(_Body):
    """Start a conversation: a user's rounds of lists and reactions, held by the server."""

    user_id: Id = Field(description="External user id.")
    request: Text | None = Field(None, description="What the user asks for in words (kept for every round until changed).")
    on_unknown: OnUnknown = Field(
        "raise", description="A user the model does not know: 'raise' (404) or 'fallback' (the LM prior, popularity)."
    )

    _on_unknown = field_validator("on_unknown", mode="before")(_policy)


class ConversationNext(_Body):
    """The next list of a conversation: never an item it showed before."""

    k: PositiveInt = Field(10, description="How many items (at most the server's max_k).")
    request: Text | None = Field(None, description="A new request in words (replaces the conversation's); null: keep it.")


class ConversationFeedback(_Body):
    """Reactions to items (any item the model knows; usually ones the conversation showed). A round
    with a click or 'more like' marks its other items as passed over; unknown item ids are a 404, nothing recorded."""

    clicked: list[Id] = Field(default_factory=list, max_length=50, description="Items the user clicked (chose).")
    rejected: list[Id] = Field(
        default_factory=list, max_length=50, description="Items the user rejected ('not for me'): never shown again."
    )
    more_like: list[Id] = Field(default_factory=list, max_length=50, description="'More like this' items.")
    less_like: list[Id] = Field(default_factory=list, max_length=50, description="'Less like this' items.")
    commit: StrictBool = Field(
        False,
        description="Also write the clicks and rejections to the event log (types 'click' and 'dislike', each once; "
        "the feedback loop learns from them; needs write access).",
    )


class ConversationBody(BaseModel):
    """A conversation's state."""

    conversation_id: str = Field(description="The id for .../next and .../feedback.")
    user_id: str | int = Field(description="The user id as the model spells it.")
    request: str | None = Field(description="The request every round reads (null: none).")
    rounds: int = Field(description="Lists shown so far.")
    expires_in_s: float = Field(description="Seconds until an unused conversation is dropped (renewed by every call).")
    shown: list[str | int] = Field(description="Every item shown, in order.")
    clicked: list[str | int] = Field(description="Clicked items.")
    rejected: list[str | int] = Field(description="Rejected items.")
    more_like: list[str | int] = Field(description="'More like this' items.")
    less_like: list[str | int] = Field(description="'Less like this' items.")
    passed: list[str | int] = Field(description="Shown and passed over (in rounds the user reacted to).")
    committed: int = Field(0, description="Events (clicks, rejections) written to the event log by this call.")


class ConversationList(ListBody):
    """The answer of POST /conversations/{id}/next."""

    conversation_id: str = Field(description="The conversation.")
    round: int = Field(description="This list's round (1 = the first).")


class FeedbackEvent(_Body):
    """One event for the durable event log."""

    event_id: Text = Field(
        min_length=1,
        max_length=MAX_ID_CHARS,
        description="Unique id of the event; a repeated id is ignored (idempotent).",
    )
    user_id: Id = Field(description="External user id (new users are allowed).")
    item_id: Id = Field(description="External item id.")
    type: Text = Field(max_length=64, description="view, click, purchase, rating, skip or dislike.")
    timestamp: Number = Field(description="Event time in Unix seconds.")
    weight: Number | None = Field(None, description="Optional weight (the rating for type 'rating').")


class FeedbackRequest(_Body):
    """A batch of feedback events (at most the server's max_events)."""

    events: list[FeedbackEvent] = Field(min_length=1, description="The events, in any order.")


class CatalogItem(_Body):
    """One catalog item: its id and its catalog fields (the ones the model was trained with)."""

    item_id: NewId = Field(description="External item id (a known id is re-described).")
    fields: dict[Text, Text | Number | list[Text] | None] = Field(
        description="Catalog fields, e.g. {'title': 'Brand new', 'year': '2024', 'genres': ['Comedy']}. Keys must "
        "be fields of the served model's catalog (GET /health names the model; a key it lacks, e.g. a misspelt "
        "'titel', is refused with a 422 naming it, so no text is silently lost); fields left out are empty."
    )


class ItemsRequest(_Body):
    """New or re-described catalog items (at most the server's max_items): recommendable at once
    from their text, before anyone has used them."""

    items: list[CatalogItem] = Field(min_length=1, description="The items.")

    def frame(self) -> Any:
        """The items as catalog rows (a DataFrame indexed by item id)."""
        import pandas as pd

        ids = [i.item_id for i in self.items]
        if len(set(ids)) != len(ids):
            raise DataError("items: an item_id appears twice")
        return pd.DataFrame([i.fields for i in self.items], index=pd.Index(ids, name="item_id"))
