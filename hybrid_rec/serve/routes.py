"""The endpoints: recommend, rerank, feedback, items, health and version (one `APIRouter`).

Each route checks the server's limits (`ServeConfig`, a 422 naming the limit), asks the live model
of the `ModelHolder` and maps the library's errors to statuses (`middleware.checked`). Every status a
route can return is in its OpenAPI ``responses``. The write endpoints (``/feedback``, ``/items``)
can require an API key (header ``X-API-Key``), compared in constant time.
"""

from __future__ import annotations

import os
import sqlite3
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request

from hybrid_rec.errors import BusyError
from hybrid_rec.pipeline.conversation import Conversation, ConversationLimits, ConversationState
from hybrid_rec.serve.access import key_access
from hybrid_rec.serve.conversations import ConversationStore
from hybrid_rec.serve.holder import ModelHolder
from hybrid_rec.serve.middleware import checked, invalid, is_busy
from hybrid_rec.serve.schemas import (
    BatchListBody,
    ConversationBody,
    ConversationFeedback,
    ConversationList,
    ConversationNext,
    ConversationStart,
    FeedbackRequest,
    ItemsRequest,
    ListBody,
    RecommendRequest,
    RerankBatchRequest,
    RerankListBody,
    RerankRequest,
    ServeConfig,
    error_responses,
)

if TYPE_CHECKING:
    from hybrid_rec.pipeline import HybridPipeline


def _reading(pipe: HybridPipeline, request: str | None) -> dict[str, Any] | None:
    reading = pipe.read_request(request)
    return None if reading is None else reading.as_dict()


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
        "session_scores": r.session_scores,
        "item_text": r.item_text,
        "reasons": list(r.reasons),
    }


def _plain(value: Any) -> Any:
    """A numpy id as a JSON-friendly Python value."""
    return value.item() if hasattr(value, "item") else value


def _limit(config: ServeConfig, body: RecommendRequest | RerankRequest | ConversationNext) -> None:
    """The server's limits on k and on the request text (422 with the limit when exceeded)."""
    if body.k is not None and body.k > config.max_k:
        raise invalid(f"k must be at most {config.max_k}", "k")
    if body.request is not None and len(body.request) > config.max_request_chars:
        raise invalid(f"request text longer than {config.max_request_chars} characters", "request")


def _holder(request: Request) -> ModelHolder:
    holder: ModelHolder = request.app.state.holder
    return holder


def _config(request: Request) -> ServeConfig:
    config: ServeConfig = request.app.state.config
    return config


router = APIRouter()


@router.get("/health")
def health(request: Request) -> dict[str, Any]:
    """This worker's health: {"status": "ok", "worker": its process id, "version": the version it answers with};
    "degraded" with an "error" (still 200: the old model answers) when the newest published version failed to load
    here. With several workers, each call reaches one of them: ask until every worker has answered."""
    holder = _holder(request)
    holder.refresh()
    state = holder.status()
    failure = state["failure"]
    out: dict[str, Any] = {"status": "ok", "worker": os.getpid(), "version": state["version"]}
    if failure is not None:
        out["status"] = "degraded"
        out["error"] = f"version {failure['version']} failed to load ({failure['error']}); serving {state['version']}"
    return out


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


@router.post("/recommend", response_model=ListBody, responses=error_responses(400, 404, 413, 503))
def recommend(body: RecommendRequest, request: Request) -> dict[str, Any]:
    _limit(_config(request), body)
    pipe, served = _holder(request).live()
    session = body.session()  # ids as sent: the pipeline maps them once (pipeline.ids)
    recs = checked(
        lambda: pipe.recommend([body.user_id], body.k, request=body.request, session=session, on_unknown=body.on_unknown)
    )
    items = [_rec_json(r) for r in (recs[0] if recs else [])]
    return {"user_id": body.user_id, "version": served, "items": items, "request_reading": _reading(pipe, body.request)}


@router.post("/rerank", response_model=RerankListBody, responses=error_responses(400, 404, 413, 503))
def rerank(body: RerankRequest, request: Request) -> dict[str, Any]:
    config = _config(request)
    if len(body.item_ids) > config.max_candidates:
        raise invalid(f"at most {config.max_candidates} candidates per request", "item_ids")
    _limit(config, body)
    pipe, served = _holder(request).live()
    session = body.session()  # ids as sent: the pipeline maps them once (pipeline.ids)
    recs = checked(
        lambda: pipe.rerank(body.user_id, list(body.item_ids), body.k, request=body.request, session=session,
                            on_unknown_items=body.on_unknown_items, exclude_seen=body.exclude_seen)
    )  # fmt: skip
    left = pipe.left_out(body.user_id, list(body.item_ids), session=session, on_unknown_items=body.on_unknown_items,
                         exclude_seen=body.exclude_seen)  # fmt: skip
    items = [_rec_json(r) for r in recs]
    return {"user_id": body.user_id, "version": served, "items": items, "request_reading": _reading(pipe, body.request),
            "left_out": _left_out(left)}  # fmt: skip


def _left_out(left: list[tuple[object, str]]) -> list[dict[str, Any]]:
    return [{"item_id": _plain(i), "reason": why} for i, why in left]


@router.post("/rerank/batch", response_model=BatchListBody, responses=error_responses(400, 404, 413, 503))
def rerank_batch(body: RerankBatchRequest, request: Request) -> dict[str, Any]:
    """Many users' lists in one call (one padded LM pass per batch), each ranked as /rerank ranks it."""
    config = _config(request)
    if len(body.lists) > config.max_rerank_users:
        raise invalid(f"at most {config.max_rerank_users} lists per request", "lists")
    if body.k is not None and body.k > config.max_k:
        raise invalid(f"k must be at most {config.max_k}", "k")
    for n, one in enumerate(body.lists):
        if len(one.item_ids) > config.max_candidates:
            raise invalid(f"at most {config.max_candidates} candidates per list", f"lists[{n}].item_ids")
        if one.request is not None and len(one.request) > config.max_request_chars:
            raise invalid(f"request text longer than {config.max_request_chars} characters", f"lists[{n}].request")
    pipe, served = _holder(request).live()
    pairs = [(one.user_id, list(one.item_ids)) for one in body.lists]
    requests = [one.request for one in body.lists]
    recs = checked(lambda: pipe.rerank_many(pairs, body.k, request=requests, on_unknown_items=body.on_unknown_items,
                                            exclude_seen=body.exclude_seen))  # fmt: skip
    lists = [
        {"user_id": one.user_id, "version": served, "items": [_rec_json(r) for r in row],
         "request_reading": _reading(pipe, one.request),
         "left_out": _left_out(pipe.left_out(one.user_id, list(one.item_ids), on_unknown_items=body.on_unknown_items,
                                             exclude_seen=body.exclude_seen))}
        for one, row in zip(body.lists, recs, strict=True)
    ]  # fmt: skip
    return {"version": served, "lists": lists}


def _ingest(request: Request, events: list[dict[str, Any]]) -> Any:
    """Write `events` to the served model's event log (503 while another writer holds it)."""
    from hybrid_rec.feedback.logs import open_log

    config = _config(request)
    try:
        # a request thread must not wait the log's own 30 s for another writer's lock
        with open_log(config.events, _holder(request).model, busy_timeout_s=config.feedback_busy_s) as log:
            return log.ingest(events)
    except (sqlite3.OperationalError, BusyError) as exc:
        if isinstance(exc, sqlite3.OperationalError) and not is_busy(exc):
            raise
        raise HTTPException(
            503, f"the event log is busy ({exc}); nothing was ingested, retry later", headers={"Retry-After": "1"}
        ) from None


@router.post("/feedback", dependencies=[Depends(key_access)], responses=error_responses(400, 401, 413, 503))
def feedback(body: FeedbackRequest, request: Request) -> dict[str, Any]:
    config = _config(request)
    if len(body.events) > config.max_events:
        raise invalid(f"at most {config.max_events} events per request", "events")
    res = _ingest(request, [e.model_dump() for e in body.events])
    return {"accepted": res.accepted, "duplicates": res.duplicates, "quarantined": res.quarantined,
            "last_offset": res.last_offset}  # fmt: skip


@router.post("/items", dependencies=[Depends(key_access)], responses=error_responses(400, 401, 409, 413, 503))
def add_items(body: ItemsRequest, request: Request) -> dict[str, Any]:
    """Publish a model version in which the items are recommendable (needs a model store); answers
    once that version is served (or has failed to load: see /health)."""
    config, holder = _config(request), _holder(request)
    if len(body.items) > config.max_items:
        raise invalid(f"at most {config.max_items} items per request", "items")
    from hybrid_rec.feedback.updater import publish_items
    from hybrid_rec.store import ModelStore

    if not (holder.model / "CURRENT").is_file():
        raise HTTPException(409, "adding items publishes a new version: serve a model store (hybrid-rec train --out)")
    rows = checked(body.frame)
    added, version = checked(lambda: publish_items(ModelStore(holder.model), rows))
    holder.wait_loaded(config.reload_wait_s)
    return {"added": [_plain(i) for i in added], "described": len(rows), "version": f"v{version}"}


# ---------------------------------------------------------------------- conversations
def _store(request: Request) -> ConversationStore:
    store: ConversationStore = request.app.state.conversations
    return store


def _conversation_json(key: str, state: ConversationState, store: ConversationStore, committed: int = 0) -> dict[str, Any]:
    summary = Conversation.summary_of(state)
    plain = {k: [_plain(i) for i in v] if isinstance(v, list) else _plain(v) for k, v in summary.items()}
    return {"conversation_id": key, **plain, "expires_in_s": round(store.expires_in(key), 1), "committed": committed}


@router.post("/conversations", status_code=201, response_model=ConversationBody, responses=error_responses(400, 404, 413))
def start_conversation(body: ConversationStart, request: Request) -> dict[str, Any]:
    """Start a conversation for a user (state held by this server process, or by the shared store `ServeConfig.state`
    names; see ServeConfig's limits)."""
    config = _config(request)
    if body.request is not None and len(body.request) > config.max_request_chars:
        raise invalid(f"request text longer than {config.max_request_chars} characters", "request")
    pipe, _ = _holder(request).live()
    external, _ = checked(lambda: pipe.ids.users([body.user_id], body.on_unknown))
    user = _plain(external[0]) if len(external) else body.user_id
    store = _store(request)
    state = ConversationState(user, body.request)
    key = store.add(state)
    return _conversation_json(key, state, store)


@router.get("/conversations/{conversation_id}", response_model=ConversationBody, responses=error_responses(404))
def get_conversation(conversation_id: str, request: Request) -> dict[str, Any]:
    store = _store(request)
    return _conversation_json(conversation_id, store.read(conversation_id), store)


@router.post("/conversations/{conversation_id}/end", status_code=204, responses=error_responses(404))
def end_conversation(conversation_id: str, request: Request) -> None:
    """Forget the conversation now (its reactions are lost unless committed)."""
    if not _store(request).drop(conversation_id):
        _store(request).read(conversation_id)  # the 404 with its explanation


@router.post("/conversations/{conversation_id}/next", response_model=ConversationList,
             responses=error_responses(400, 404, 413, 503))  # fmt: skip
def conversation_next(conversation_id: str, body: ConversationNext, request: Request) -> dict[str, Any]:
    """The next list: every item shown before is left out; every reaction so far is read."""
    config = _config(request)
    _limit(config, body)
    store = _store(request)
    limits = ConversationLimits(max_rounds=config.max_conversation_rounds)
    pipe, served = _holder(request).live()
    with store.change(conversation_id) as state:  # held alone; kept only when the call succeeds
        chat = Conversation(pipe, state.user_id, state=state, limits=limits)
        recs = checked(lambda: chat.next(body.k, request=body.request, on_unknown="fallback"))
    return {"conversation_id": conversation_id, "round": state.rounds, "user_id": _plain(state.user_id),
            "version": served, "items": [_rec_json(r) for r in recs],
            "request_reading": _reading(pipe, state.request)}  # fmt: skip


@router.post("/conversations/{conversation_id}/feedback", response_model=ConversationBody,
             responses=error_responses(400, 401, 404, 413, 503))  # fmt: skip
def conversation_feedback(
    conversation_id: str,
    body: ConversationFeedback,
    request: Request,
    x_api_key: str | None = Header(default=None, description="The API key (only for commit = true)."),
) -> dict[str, Any]:
    """Record reactions; with ``commit``, clicks and rejections also go to the event log (types
    'click' and 'dislike'), each once."""
    if body.commit:
        key_access(request, x_api_key)
    store = _store(request)
    pipe, _ = _holder(request).live()
    committed = 0
    with store.change(conversation_id) as state:
        chat = Conversation(pipe, state.user_id, state=state)
        checked(lambda: chat.react(clicked=body.clicked, rejected=body.rejected, more_like=body.more_like,
                                   less_like=body.less_like))  # fmt: skip
        if body.commit:  # every event not yet committed (a failed commit is retried by the next one; ids are stable)
            start = state.committed
            events = [{"event_id": f"conversation:{conversation_id}:{start + n}", "user_id": _plain(state.user_id),
                       "item_id": _plain(item), "type": kind, "timestamp": when, "weight": None}
                      for n, (item, kind, when) in enumerate(state.logged[start:])]  # fmt: skip
            if events:
                committed = _ingest(request, events).accepted
                state.committed = len(state.logged)
    return _conversation_json(conversation_id, state, store, committed)
