"""REST service (FastAPI): recommend, rerank, feedback, items, health and version.

Every request is validated against limits (k, candidates, events per call, body size); a client
error is a 4xx with a message, never a 500. The live model version is re-read from the store's
``CURRENT`` before each request: a new snapshot is loaded completely, then swapped in under a lock,
so requests never see a half-loaded model and none is dropped. Write endpoints (``/feedback``,
``/items``: new catalog items, published as a new version of the store) can
require an API key (header ``X-API-Key``). Bind to 127.0.0.1 unless you mean otherwise.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

try:
    from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Request, Response
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
except ImportError as exc:  # the optional 'serve' extra is not installed
    from hybrid_rec._extras import missing_extra

    raise missing_extra("serve", "hybrid_rec.serve", str(exc)) from exc
from pydantic import BaseModel, ConfigDict, Field, field_validator

from hybrid_rec._extras import require
from hybrid_rec.config import StrictModel
from hybrid_rec.errors import ConfigError, ConflictError, DataError, NotFittedError, UnknownIdError
from hybrid_rec.policy import OnUnknown, check_on_unknown
from hybrid_rec.session import Session

T = TypeVar("T")

if TYPE_CHECKING:
    from hybrid_rec.pipeline import HybridPipeline

log = logging.getLogger(__name__)

Id = str | int


class ServeConfig(StrictModel):
    """Limits every request is checked against, and the key that guards the write endpoint."""

    max_k: int = Field(100, gt=0, description="Largest k a client may ask for.")
    max_candidates: int = Field(1000, gt=0, description="Most candidate items per /rerank request.")
    max_events: int = Field(10_000, gt=0, description="Most events per /feedback request.")
    max_items: int = Field(1_000, gt=0, description="Most catalog items per /items request.")
    max_body_bytes: int = Field(2_000_000, gt=0, description="Largest request body in bytes (larger: 413).")
    max_request_chars: int = Field(200, gt=0, description="Longest request text (the 'request' field).")
    api_key: str | None = Field(
        None, description="Key clients must send as X-API-Key to POST /feedback and /items; unset: no key needed."
    )


class _Body(BaseModel):
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
    k: int = Field(10, ge=1, description="How many items (at most the server's max_k).")
    request: str | None = Field(
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
    item_ids: list[Id] = Field(min_length=1, description="Candidate item ids (at most the server's max_candidates).")
    k: int | None = Field(None, ge=1, description="Keep the best k (at most max_k); unset: all candidates.")
    request: str | None = Field(None, description="An explicit request in words, e.g. 'a comedy'.")
    on_unknown_items: OnUnknown = Field(
        "skip",
        description="Candidates the model does not know: 'skip' them, 'raise' (an error) or 'fallback' "
        "(ranked last, score NaN).",
    )

    _on_unknown_items = field_validator("on_unknown_items", mode="before")(_policy)


class FeedbackEvent(_Body):
    """One event for the durable event log."""

    event_id: str = Field(
        min_length=1, max_length=200, description="Unique id of the event; a repeated id is ignored (idempotent)."
    )
    user_id: Id = Field(description="External user id (new users are allowed).")
    item_id: Id = Field(description="External item id.")
    type: str = Field(description="view, click, purchase, rating, skip or dislike.")
    timestamp: float = Field(description="Event time in Unix seconds.")
    weight: float | None = Field(None, description="Optional weight (the rating for type 'rating').")


class FeedbackRequest(_Body):
    """A batch of feedback events (at most the server's max_events)."""

    events: list[FeedbackEvent] = Field(min_length=1, description="The events, in any order.")


class CatalogItem(_Body):
    """One catalog item: its id and its catalog fields (the ones the model was trained with)."""

    item_id: Id = Field(description="External item id (a known id is re-described).")
    fields: dict[str, str | float | list[str] | None] = Field(
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


class ModelHolder:
    """The live pipeline, reloaded when the store's CURRENT changes (load first, then swap)."""

    def __init__(self, model: Path) -> None:
        self.model = model
        self.lock = threading.Lock()
        self.version: str | None = None
        self.meta: dict[str, Any] = {}
        self.pipeline: HybridPipeline | None = None
        self.refresh()

    def refresh(self) -> None:
        from hybrid_rec.store import resolve_model

        path, version, meta = resolve_model(self.model)
        if version == self.version:
            return
        from hybrid_rec.pipeline import HybridPipeline

        pipeline = HybridPipeline.load(path)  # fully loaded before anyone sees it
        with self.lock:
            self.pipeline, self.version, self.meta = pipeline, version, meta
        log.info("serving model %s", version)

    def current(self) -> HybridPipeline:
        """The live pipeline (after picking up a newly published version)."""
        self.refresh()
        with self.lock:
            pipe = self.pipeline
        if pipe is None:  # pragma: no cover - the holder loads a model before the app exists
            raise NotFittedError("no model is loaded")
        return pipe


def _rec_json(r: Any) -> dict[str, Any]:
    item = r.item_id.item() if hasattr(r.item_id, "item") else r.item_id
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


def _checked(fn: Callable[[], T]) -> T:
    """Only the library's client-facing errors become 4xx; anything else (a plain ValueError
    included) is a bug on our side and stays a 500, so it is never mistaken for bad input."""
    try:
        return fn()
    except UnknownIdError as exc:
        raise HTTPException(404, str(exc)) from None
    except (DataError, ConfigError) as exc:
        raise HTTPException(422, str(exc)) from None
    except NotFittedError as exc:  # pragma: no cover - a store always holds a fitted model
        raise HTTPException(503, str(exc)) from None
    except ConflictError as exc:  # other writers kept publishing first: the client may retry
        raise HTTPException(409, str(exc)) from None


def _limit(config: ServeConfig, body: RecommendRequest | RerankRequest) -> None:
    """The server's limits on k and on the request text (422 with the limit when exceeded)."""
    if body.k is not None and body.k > config.max_k:
        raise HTTPException(422, f"k must be at most {config.max_k}")
    if body.request is not None and len(body.request) > config.max_request_chars:
        raise HTTPException(422, f"request text longer than {config.max_request_chars} characters")


def _holder(request: Request) -> ModelHolder:
    holder: ModelHolder = request.app.state.holder
    return holder


def _config(request: Request) -> ServeConfig:
    config: ServeConfig = request.app.state.config
    return config


def _write_access(request: Request, x_api_key: str | None = Header(default=None)) -> None:
    api_key = _config(request).api_key
    if api_key is not None and x_api_key != api_key:
        raise HTTPException(401, "missing or wrong X-API-Key header")


router = APIRouter()


@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/version")
def version(request: Request) -> dict[str, Any]:
    holder = _holder(request)
    holder.refresh()
    return {"version": holder.version, "applied_offset": holder.meta.get("applied_offset"),
            "created": holder.meta.get("created")}  # fmt: skip


@router.post("/recommend")
def recommend(body: RecommendRequest, request: Request) -> dict[str, Any]:
    _limit(_config(request), body)
    holder = _holder(request)
    pipe = holder.current()
    user = pipe.generator.users.coerce([body.user_id])[0]
    session = body.session(lambda ids: list(pipe.generator.items.coerce(ids)))
    recs = _checked(
        lambda: pipe.recommend([user], body.k, request=body.request, session=session, on_unknown=body.on_unknown)
    )
    items = [_rec_json(r) for r in (recs[0] if recs else [])]
    return {"user_id": body.user_id, "version": holder.version, "items": items}


@router.post("/rerank")
def rerank(body: RerankRequest, request: Request) -> dict[str, Any]:
    config = _config(request)
    if len(body.item_ids) > config.max_candidates:
        raise HTTPException(422, f"at most {config.max_candidates} candidates per request")
    _limit(config, body)
    holder = _holder(request)
    pipe = holder.current()
    user = pipe.generator.users.coerce([body.user_id])[0]
    items = list(pipe.generator.items.coerce(list(body.item_ids)))  # "42" is 42 for an integer-keyed model
    session = body.session(lambda ids: list(pipe.generator.items.coerce(ids)))
    recs = _checked(
        lambda: pipe.rerank(
            user, items, body.k, request=body.request, session=session, on_unknown_items=body.on_unknown_items
        )
    )
    return {"user_id": body.user_id, "version": holder.version, "items": [_rec_json(r) for r in recs]}


@router.post("/feedback", dependencies=[Depends(_write_access)])
def feedback(body: FeedbackRequest, request: Request) -> dict[str, Any]:
    config = _config(request)
    if len(body.events) > config.max_events:
        raise HTTPException(422, f"at most {config.max_events} events per request")
    from hybrid_rec.feedback.log import EventLog

    with EventLog(_holder(request).model / "events.sqlite") as events:
        res = events.ingest([e.model_dump() for e in body.events])
    return {"accepted": res.accepted, "duplicates": res.duplicates, "quarantined": res.quarantined,
            "last_offset": res.last_offset}  # fmt: skip


@router.post("/items", dependencies=[Depends(_write_access)])
def add_items(body: ItemsRequest, request: Request) -> dict[str, Any]:
    """Publish a model version in which the items are recommendable (needs a model store)."""
    config, holder = _config(request), _holder(request)
    if len(body.items) > config.max_items:
        raise HTTPException(422, f"at most {config.max_items} items per request")
    from hybrid_rec.feedback.updater import publish_items
    from hybrid_rec.store import ModelStore

    if not (holder.model / "CURRENT").is_file():
        raise HTTPException(409, "adding items publishes a new version: serve a model store (hybrid-rec train --out)")
    rows = _checked(body.frame)
    added, version = _checked(lambda: publish_items(ModelStore(holder.model), rows))
    holder.refresh()
    return {"added": [_plain(i) for i in added], "described": len(rows), "version": f"v{version}"}


def _plain(value: Any) -> Any:
    """A numpy id as a JSON-friendly Python value."""
    return value.item() if hasattr(value, "item") else value


def create_app(model: str | Path, config: ServeConfig | None = None) -> FastAPI:
    """The REST app serving the live version of the model store (or a plain model directory) at `model`."""
    config = config or ServeConfig()
    app = FastAPI(
        title="hybrid_rec",
        version="0.1.0",
        description="Hybrid CF + GPT-2 recommendations: recommend, rerank external candidates, feedback.",
    )
    app.state.holder, app.state.config = ModelHolder(Path(model)), config

    @app.middleware("http")
    async def limit_body(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > config.max_body_bytes):
            return JSONResponse({"detail": f"request body larger than {config.max_body_bytes} bytes"}, status_code=413)
        return await call_next(request)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", ""))} for e in exc.errors()]
        return JSONResponse({"detail": errors}, status_code=422)

    app.include_router(router)
    return app


def run(model: str | Path, host: str = "127.0.0.1", port: int = 8000, config: ServeConfig | None = None) -> None:
    require("uvicorn", "serve", "hybrid_rec.serve.run")
    import uvicorn

    uvicorn.run(create_app(model, config), host=host, port=port, log_level="info")
