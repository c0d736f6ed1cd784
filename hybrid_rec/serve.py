"""REST service (FastAPI): recommend, rerank, feedback, items, health and version.

Every request is validated against limits (k, candidates, events per call, body size counted on the
bytes received, chunked bodies included; ids of at most 256 characters; text that is valid Unicode);
a client error is a 4xx with a message, never a 500. Every status a route can return is documented in
its OpenAPI ``responses``: 422 bodies are FastAPI's ``HTTPValidationError``, all other errors
``ErrorBody`` ({"detail": "..."}); the configured limits are part of the published schema.

Reloads: each request compares the store's ``CURRENT`` with the version it last handled; a change
starts one background loader (and transformers' loading is serialized process-wide), while requests
keep being answered by the old model, swapped for the new one under a lock only once it is complete.
A version that fails to load (missing, corrupt, a non-numeric ``CURRENT``) is logged, the old model
keeps serving, and ``GET /health`` says ``degraded`` (still HTTP 200: the service answers) while
``GET /version`` names the served and the failed version. A store whose live version cannot be
loaded at start-up is a `DataError`. Write endpoints (``/feedback``, ``/items``: new catalog items,
published as a new version of the store) can require an API key (header ``X-API-Key``). Bind to
127.0.0.1 unless you mean otherwise.
"""

from __future__ import annotations

import hmac
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

try:
    from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.openapi.utils import get_openapi
    from fastapi.responses import JSONResponse
    from starlette.types import ASGIApp, Message, Receive, Scope, Send
except ImportError as exc:  # the optional 'serve' extra is not installed
    from hybrid_rec._extras import missing_extra

    raise missing_extra("serve", "hybrid_rec.serve", str(exc)) from exc
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from hybrid_rec._extras import require
from hybrid_rec.config import StrictModel
from hybrid_rec.errors import ConfigError, ConflictError, DataError, NotFittedError, UnknownIdError
from hybrid_rec.policy import OnUnknown, check_on_unknown
from hybrid_rec.session import Session

T = TypeVar("T")

if TYPE_CHECKING:
    from hybrid_rec.pipeline import HybridPipeline

log = logging.getLogger(__name__)

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
    max_candidates: int = Field(1000, gt=0, description="Most candidate items per /rerank request.")
    max_events: int = Field(10_000, gt=0, description="Most events per /feedback request.")
    max_items: int = Field(1_000, gt=0, description="Most catalog items per /items request.")
    max_body_bytes: int = Field(
        2_000_000, gt=0, description="Largest request body in bytes, counted as it arrives (larger: 413)."
    )
    max_request_chars: int = Field(200, gt=0, description="Longest request text (the 'request' field).")
    api_key: str | None = Field(
        None, description="Key clients must send as X-API-Key to POST /feedback and /items; unset: no key needed."
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


class ErrorBody(BaseModel):
    """The body of every error response except 422 (FastAPI's HTTPValidationError)."""

    detail: str = Field(description="What went wrong, in words.")


_WHY = {
    400: "The body is not valid UTF-8 JSON.",
    401: "Missing or wrong X-API-Key header.",
    404: "An unknown user or item (with the policy 'raise').",
    409: "The model store changed meanwhile (retry), or the model is not a store.",
    413: "The request body is larger than the server's max_body_bytes.",
    503: "Unavailable for now (the event log is busy, or no model is loaded); retry later.",
}


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for these error statuses, each an `ErrorBody`."""
    return {status: {"model": ErrorBody, "description": _WHY[status]} for status in statuses}


class _Body(BaseModel):
    """Request bodies: an unknown field is a 422."""

    model_config = ConfigDict(extra="forbid")


class _SessionFields(_Body):
    """This visit's context that the event log does not hold yet (unknown item ids are ignored)."""

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

    def session(self, items: Callable[[list[Id]], list[object]]) -> Session | None:
        """The `Session` in the model's id types (`items` coerces text ids), None when empty."""
        got = Session.of(items(self.recent_items), items(self.exclude_items), items(self.more_like), items(self.less_like))
        return None if got.empty else got


def _policy(value: object) -> object:
    """The one validation of `on_unknown` values, so that old names get the rename hint (as a 422)."""
    return check_on_unknown(value) if isinstance(value, str) else value


class RecommendRequest(_SessionFields):
    """Top-k items for one user."""

    user_id: Id = Field(description="External user id.")
    k: PositiveInt = Field(10, description="How many items (at most the server's max_k).")
    request: Text | None = Field(
        None, description="An explicit request in words, e.g. 'a comedy' (at most max_request_chars)."
    )
    on_unknown: OnUnknown = Field(
        "raise",
        description="A user the model does not know: 'raise' (an error), 'fallback' (popular items) or "
        "'skip' (an empty list).",
    )

    _on_unknown = field_validator("on_unknown", mode="before")(_policy)


class RerankRequest(_SessionFields):
    """Reorder candidates from another system for one user."""

    user_id: Id = Field(description="External user id (an unknown user is scored from the LM prior and popularity).")
    item_ids: list[Id] = Field(
        min_length=1,
        description="Candidate item ids, each once (at most the server's max_candidates).",
        json_schema_extra={"uniqueItems": True},
    )
    k: PositiveInt | None = Field(None, description="Keep the best k (at most max_k); unset: all candidates.")
    request: Text | None = Field(
        None, description="An explicit request in words, e.g. 'a comedy' (at most max_request_chars)."
    )
    on_unknown_items: OnUnknown = Field(
        "skip",
        description="Candidates the model does not know: 'skip' them, 'raise' (an error) or 'fallback' "
        "(ranked last, score NaN).",
    )

    _on_unknown_items = field_validator("on_unknown_items", mode="before")(_policy)

    @field_validator("item_ids")
    @classmethod
    def _unique(cls, ids: list[Id]) -> list[Id]:
        """Each candidate once (as documented: uniqueItems), known to the model or not."""
        if len(set(ids)) != len(ids):
            raise ValueError("candidate item ids must be unique")
        return ids


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
        description="Catalog fields, e.g. {'title': 'Brand new', 'year': '2024', 'genres': ['Comedy']}."
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


def _label(pointer: str) -> str:
    """A version tag for what CURRENT says ('v7'), or the text itself, shortened, when it is no number."""
    return f"v{int(pointer)}" if pointer.isdigit() else repr(pointer[:40])


class ModelHolder:
    """The live pipeline of a model store (or a plain model directory).

    A changed ``CURRENT`` is loaded by one background thread, at most once per value of ``CURRENT``,
    while the old pipeline keeps answering; the new one is swapped in under `lock` only when complete.
    A version that fails to load is logged and kept in `failure`, and the old one stays. The first
    load happens in the constructor: a live version that cannot be loaded there is a `DataError`.
    """

    def __init__(self, model: Path) -> None:
        self.model = model
        self.lock = threading.Lock()  # guards the served state, `failure`, `_handled` and `_loader`
        self.version: str | None = None
        self.meta: dict[str, Any] = {}
        self.pipeline: HybridPipeline | None = None
        self.failure: dict[str, str] | None = None  # {"version": ..., "error": ...} of the last failed load
        self._handled: str | None = None  # the CURRENT last loaded or failed: never loaded twice
        self._trying: str | None = None  # the version being loaded (only the one loader touches it)
        self._loader: threading.Thread | None = None
        self._idle = threading.Event()  # set while no loader runs
        self._idle.set()
        pointer = self._pointer()
        try:
            self._load()
        except Exception as exc:  # a corrupt store, a non-numeric CURRENT, broken files: one line
            failed = self._trying or _label(pointer)
            raise DataError(f"{model}: cannot load the live model version {failed}: {exc}") from exc
        self._handled = pointer

    def _pointer(self) -> str:
        """What CURRENT says now ('plain' for a plain model directory): one small read per request."""
        try:
            return (self.model / "CURRENT").read_text().strip()
        except FileNotFoundError:
            return "plain"
        except (OSError, UnicodeDecodeError) as exc:
            return f"unreadable CURRENT ({exc})"

    def _load(self) -> None:
        """Resolve and load the live version, then swap it in (nothing to do when it is served already)."""
        from hybrid_rec.pipeline import HybridPipeline
        from hybrid_rec.store import resolve_model

        path, version, meta = resolve_model(self.model)
        if version != self.version:
            self._trying = version
            pipeline = HybridPipeline.load(path)  # fully loaded before anyone sees it
            with self.lock:
                self.pipeline, self.version, self.meta = pipeline, version, meta
            log.info("serving model %s", version)
        with self.lock:
            self.failure = None

    def _background(self) -> None:
        """The loader thread: load what CURRENT names; on failure keep the old model and record why."""
        pointer = self._pointer()  # read here, just before resolving it, so that the two agree
        self._trying = None
        try:
            self._load()
        except Exception as exc:
            failed = self._trying or _label(pointer)
            log.exception("model version %s failed to load; still serving %s", failed, self.version)
            with self.lock:
                self.failure = {"version": failed, "error": f"{type(exc).__name__}: {exc}"}
        finally:
            with self.lock:
                self._handled, self._loader = pointer, None
            self._idle.set()

    def refresh(self) -> None:
        """Start loading a changed CURRENT in the background; returns at once (one loader at a time)."""
        pointer = self._pointer()
        with self.lock:
            if pointer == self._handled or self._loader is not None:
                return
            self._idle.clear()
            self._loader = threading.Thread(target=self._background, name="hybrid_rec-model-loader", daemon=True)
            self._loader.start()

    def wait_loaded(self, timeout: float | None = None) -> bool:
        """Pick up CURRENT and block until the version it names is served or has failed (see `failure`):
        True, or False when `timeout` seconds passed first. For POST /items (its caller expects the
        version it published to answer) and for tests, which must not guess with sleeps."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            self.refresh()
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not self._idle.wait(left):
                return False
            with self.lock:
                if self._loader is None and self._handled == self._pointer():
                    return True
            if deadline is not None and time.monotonic() >= deadline:
                return False

    def live(self) -> tuple[HybridPipeline, str]:
        """The pipeline answering requests and its version, as one consistent pair (after noticing a
        newly published version, which then loads in the background)."""
        self.refresh()
        with self.lock:
            pipe, version = self.pipeline, self.version
        if pipe is None or version is None:  # pragma: no cover - the constructor loads a model
            raise NotFittedError("no model is loaded")
        return pipe, version

    def current(self) -> HybridPipeline:
        """The live pipeline (see `live`)."""
        return self.live()[0]

    def status(self) -> dict[str, Any]:
        """The served version, its snapshot metadata and the last failed load (None when the last load
        succeeded), read together."""
        with self.lock:
            return {"version": self.version, "meta": dict(self.meta), "failure": self.failure}


def _rec_json(r: Any) -> dict[str, Any]:
    item = _plain(r.item_id)
    nan = r.score != r.score
    return {
        "item_id": item,
        "rank": r.rank,
        "score": None if nan else r.score,
        "lm_score": None if r.lm_score != r.lm_score else r.lm_score,
        "sources": list(r.sources),
        "cf_scores": r.cf_scores,
        "item_text": r.item_text,
    }


def _invalid(message: str, *loc: str | int) -> RequestValidationError:
    """A 422 in the documented `HTTPValidationError` shape, for what pydantic cannot check: the
    server's limits and the model's own validation."""
    return RequestValidationError([{"loc": ("body", *loc), "msg": message, "type": "value_error"}])


def _checked(fn: Callable[[], T]) -> T:
    """Only the library's client-facing errors become 4xx; anything else (a plain ValueError
    included) is a bug on our side and stays a 500, so it is never mistaken for bad input."""
    try:
        return fn()
    except UnknownIdError as exc:
        raise HTTPException(404, str(exc)) from None
    except (DataError, ConfigError) as exc:
        raise _invalid(str(exc)) from None
    except NotFittedError as exc:  # pragma: no cover - a store always holds a fitted model
        raise HTTPException(503, str(exc)) from None
    except ConflictError as exc:  # other writers kept publishing first: the client may retry
        raise HTTPException(409, str(exc)) from None


def _limit(config: ServeConfig, body: RecommendRequest | RerankRequest) -> None:
    """The server's limits on k and on the request text (422 with the limit when exceeded)."""
    if body.k is not None and body.k > config.max_k:
        raise _invalid(f"k must be at most {config.max_k}", "k")
    if body.request is not None and len(body.request) > config.max_request_chars:
        raise _invalid(f"request text longer than {config.max_request_chars} characters", "request")


def _holder(request: Request) -> ModelHolder:
    holder: ModelHolder = request.app.state.holder
    return holder


def _config(request: Request) -> ServeConfig:
    config: ServeConfig = request.app.state.config
    return config


def _write_access(
    request: Request,
    x_api_key: str | None = Header(default=None, description="The API key, when the server is configured with one."),
) -> None:
    api_key = _config(request).api_key
    if api_key is not None and not (  # constant time: the comparison leaks no prefix of the key
        x_api_key is not None and hmac.compare_digest(x_api_key.encode(), api_key.encode())
    ):
        raise HTTPException(401, "missing or wrong X-API-Key header")


router = APIRouter()


@router.get("/health")
def health(request: Request) -> dict[str, str]:
    """{"status": "ok"}; {"status": "degraded", "error": ...} (still 200: the old model answers) when
    the newest published version failed to load."""
    holder = _holder(request)
    holder.refresh()
    state = holder.status()
    failure = state["failure"]
    if failure is None:
        return {"status": "ok"}
    return {
        "status": "degraded",
        "error": f"version {failure['version']} failed to load ({failure['error']}); serving {state['version']}",
    }


@router.get("/version")
def version(request: Request) -> dict[str, Any]:
    """The served version and its snapshot metadata; `failed_version` and `error` name the newest
    version that failed to load (null when none did)."""
    holder = _holder(request)
    holder.refresh()
    state = holder.status()
    meta, failure = state["meta"], state["failure"] or {}
    return {"version": state["version"], "applied_offset": meta.get("applied_offset"), "created": meta.get("created"),
            "failed_version": failure.get("version"), "error": failure.get("error")}  # fmt: skip


@router.post("/recommend", responses=_errors(400, 404, 413, 503))
def recommend(body: RecommendRequest, request: Request) -> dict[str, Any]:
    _limit(_config(request), body)
    pipe, served = _holder(request).live()
    user = pipe.generator.users.coerce([body.user_id])[0]
    session = body.session(lambda ids: list(pipe.generator.items.coerce(ids)))
    recs = _checked(
        lambda: pipe.recommend([user], body.k, request=body.request, session=session, on_unknown=body.on_unknown)
    )
    items = [_rec_json(r) for r in (recs[0] if recs else [])]
    return {"user_id": body.user_id, "version": served, "items": items}


@router.post("/rerank", responses=_errors(400, 404, 413, 503))
def rerank(body: RerankRequest, request: Request) -> dict[str, Any]:
    config = _config(request)
    if len(body.item_ids) > config.max_candidates:
        raise _invalid(f"at most {config.max_candidates} candidates per request", "item_ids")
    _limit(config, body)
    pipe, served = _holder(request).live()
    user = pipe.generator.users.coerce([body.user_id])[0]
    items = list(pipe.generator.items.coerce(list(body.item_ids)))  # "42" is 42 for an integer-keyed model
    session = body.session(lambda ids: list(pipe.generator.items.coerce(ids)))
    recs = _checked(
        lambda: pipe.rerank(
            user, items, body.k, request=body.request, session=session, on_unknown_items=body.on_unknown_items
        )
    )
    return {"user_id": body.user_id, "version": served, "items": [_rec_json(r) for r in recs]}


def _busy(exc: sqlite3.OperationalError) -> bool:
    """SQLite's 'database is locked' / 'busy': another writer holds the log (transient), not a bug."""
    return "locked" in str(exc) or "busy" in str(exc)


@router.post("/feedback", dependencies=[Depends(_write_access)], responses=_errors(400, 401, 413, 503))
def feedback(body: FeedbackRequest, request: Request) -> dict[str, Any]:
    config = _config(request)
    if len(body.events) > config.max_events:
        raise _invalid(f"at most {config.max_events} events per request", "events")
    from hybrid_rec.feedback.log import EventLog

    try:
        with EventLog(_holder(request).model / "events.sqlite") as events:
            # a request thread must not wait the log's own 30 s for another writer's lock
            events._conn.execute(f"PRAGMA busy_timeout = {int(config.feedback_busy_s * 1000)}")
            res = events.ingest([e.model_dump() for e in body.events])
    except sqlite3.OperationalError as exc:
        if not _busy(exc):
            raise
        raise HTTPException(
            503, f"the event log is busy ({exc}); nothing was ingested, retry later", headers={"Retry-After": "1"}
        ) from None
    return {"accepted": res.accepted, "duplicates": res.duplicates, "quarantined": res.quarantined,
            "last_offset": res.last_offset}  # fmt: skip


@router.post("/items", dependencies=[Depends(_write_access)], responses=_errors(400, 401, 409, 413, 503))
def add_items(body: ItemsRequest, request: Request) -> dict[str, Any]:
    """Publish a model version in which the items are recommendable (needs a model store); answers
    once that version is served (or has failed to load: see /health)."""
    config, holder = _config(request), _holder(request)
    if len(body.items) > config.max_items:
        raise _invalid(f"at most {config.max_items} items per request", "items")
    from hybrid_rec.feedback.updater import publish_items
    from hybrid_rec.store import ModelStore

    if not (holder.model / "CURRENT").is_file():
        raise HTTPException(409, "adding items publishes a new version: serve a model store (hybrid-rec train --out)")
    rows = _checked(body.frame)
    added, version = _checked(lambda: publish_items(ModelStore(holder.model), rows))
    holder.wait_loaded(config.reload_wait_s)
    return {"added": [_plain(i) for i in added], "described": len(rows), "version": f"v{version}"}


def _plain(value: Any) -> Any:
    """A numpy id as a JSON-friendly Python value."""
    return value.item() if hasattr(value, "item") else value


class BodyLimit:
    """ASGI middleware: 413 once a request body passes `max_bytes`, counted on the bytes as they
    arrive (a chunked body has no Content-Length to trust), before the app reads any of it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._too_large(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = f"request body larger than {self.max_bytes} bytes"
        await JSONResponse({"detail": detail}, status_code=413, headers={"Connection": "close"})(scope, receive, send)


def _document_limits(schema: dict[str, Any], config: ServeConfig) -> dict[str, Any]:
    """The server's configured limits written into the request schemas, so that the published
    OpenAPI says what a request may hold (k, list sizes, request text)."""
    models = schema.get("components", {}).get("schemas", {})

    def bound(model: str, field: str, key: str, value: int) -> None:
        prop = models.get(model, {}).get("properties", {}).get(field)
        if prop is None:  # pragma: no cover - the models define these fields
            return
        for option in prop.get("anyOf", [prop]):  # an optional field: the non-null branch
            if option.get("type") in ("integer", "string", "array"):
                option[key] = value

    for model in ("RecommendRequest", "RerankRequest"):
        bound(model, "k", "maximum", config.max_k)
        bound(model, "request", "maxLength", config.max_request_chars)
    bound("RerankRequest", "item_ids", "maxItems", config.max_candidates)
    bound("FeedbackRequest", "events", "maxItems", config.max_events)
    bound("ItemsRequest", "items", "maxItems", config.max_items)
    return schema


def _app(config: ServeConfig) -> FastAPI:
    """The app without its model: routes, the streamed body limit, the 422 shape, documented limits."""
    app = FastAPI(
        title="hybrid_rec",
        version="0.1.0",
        description="Hybrid CF + GPT-2 recommendations: recommend, rerank external candidates, feedback.",
    )
    app.state.config = config
    app.add_middleware(BodyLimit, max_bytes=config.max_body_bytes)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        """FastAPI's HTTPValidationError shape, without echoing the input back (it may be huge)."""
        errors = [
            {
                "loc": [p if isinstance(p, int) else str(p) for p in e.get("loc", ())],
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type", "value_error")),
            }
            for e in exc.errors()
        ]
        return JSONResponse({"detail": errors}, status_code=422)

    app.include_router(router)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            app.openapi_schema = _document_limits(schema, config)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def openapi_schema(config: ServeConfig | None = None) -> dict[str, Any]:
    """The OpenAPI document the service publishes under `config`'s limits, built without a model
    (for client generators and contract tests)."""
    return _app(config or ServeConfig()).openapi()


def create_app(model: str | Path, config: ServeConfig | None = None) -> FastAPI:
    """The REST app serving the live version of the model store (or a plain model directory) at
    `model`; `DataError` when that version cannot be loaded."""
    config = config or ServeConfig()
    holder = ModelHolder(Path(model))
    app = _app(config)
    app.state.holder = holder
    return app


def run(model: str | Path, host: str = "127.0.0.1", port: int = 8000, config: ServeConfig | None = None) -> None:
    require("uvicorn", "serve", "hybrid_rec.serve.run")
    import uvicorn

    uvicorn.run(create_app(model, config), host=host, port=port, log_level="info")
