"""The app factory: `create_app` (a model store served over REST), `openapi_schema`, `run` (one process, or
several workers on one port: `worker_app`).

The app is assembled here from its parts: the routes, the streamed body limit, the 422 shape, and
the server's configured limits written into the published OpenAPI schema (so that it says what a
request may hold). Bind to 127.0.0.1 unless you mean otherwise.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hybrid_rec._extras import require
from hybrid_rec.errors import ConfigError
from hybrid_rec.serve.browse import browse_router, summarize_catalog
from hybrid_rec.serve.holder import ModelHolder
from hybrid_rec.serve.middleware import BodyLimit, validation_error
from hybrid_rec.serve.routes import router
from hybrid_rec.serve.schemas import ServeConfig
from hybrid_rec.serve.state import open_store

UI = Path(__file__).parent / "ui"

# The pages' Content-Security-Policy: everything from this server, so that the browser never sends a
# request elsewhere (ReDoc's bundle links its logo from a CDN; the policy blocks it before it leaves).
# Swagger UI starts from an inline script and ReDoc styles itself inline and runs a blob: worker.
_LOCKED = "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
_PAGE_POLICY = {
    "/docs": "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    f"img-src 'self' data:; connect-src 'self'; {_LOCKED}",
    "/redoc": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    f"worker-src 'self' blob:; connect-src 'self'; {_LOCKED}",
    "/ui": f"default-src 'self'; img-src 'self' data:; {_LOCKED}",
}


class PagePolicy:
    """ASGI middleware: the Content-Security-Policy (and ``nosniff``) on the docs and playground pages."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        policy = next((p for prefix, p in _PAGE_POLICY.items() if path == prefix or path.startswith(prefix + "/")), None)
        if policy is None:
            await self.app(scope, receive, send)
            return

        async def with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = policy
                headers["X-Content-Type-Options"] = "nosniff"
            await send(message)

        await self.app(scope, receive, with_policy)


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

    for model in ("RecommendRequest", "RerankRequest", "ConversationNext"):
        bound(model, "k", "maximum", config.max_k)
        bound(model, "request", "maxLength", config.max_request_chars)
    bound("ConversationStart", "request", "maxLength", config.max_request_chars)
    bound("RerankRequest", "item_ids", "maxItems", config.max_candidates)
    bound("RerankBatchRequest", "k", "maximum", config.max_k)
    bound("RerankBatchRequest", "lists", "maxItems", config.max_rerank_users)
    bound("UserCandidates", "item_ids", "maxItems", config.max_candidates)
    bound("UserCandidates", "request", "maxLength", config.max_request_chars)
    bound("FeedbackRequest", "events", "maxItems", config.max_events)
    bound("ItemsRequest", "items", "maxItems", config.max_items)
    return schema


def _app(config: ServeConfig) -> FastAPI:
    """The app without its model: routes, the streamed body limit, the 422 shape, documented limits;
    /docs and /redoc from assets shipped in a package (no request leaves the machine); the playground
    page at /ui when `config.ui`."""
    app = FastAPIOffline(
        title="hybrid_rec",
        version="0.1.0",
        description="Hybrid CF + GPT-2 recommendations: recommend, rerank external candidates, feedback.",
    )
    app.state.config = config
    app.state.conversations = open_store(config.state, config.max_conversations, config.conversation_ttl_s)
    app.add_middleware(PagePolicy)
    app.add_middleware(BodyLimit, max_bytes=config.max_body_bytes)
    app.exception_handler(RequestValidationError)(validation_error)
    app.include_router(router)
    app.include_router(browse_router)
    if config.ui:
        app.mount("/ui", StaticFiles(directory=UI, html=True), name="ui")
        app.get("/", include_in_schema=False)(lambda: RedirectResponse("/ui/"))

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
    limits = app.openapi

    def openapi() -> dict[str, Any]:  # the served catalog's words in /docs: an example request of its own
        if app.openapi_schema is None:
            schema = limits()
            example = summarize_catalog(holder.live()[0])["example_request"]
            for name, prop in schema.get("components", {}).get("schemas", {}).items():
                if "request" in prop.get("properties", {}) and name != "FeedbackRequest":
                    prop["properties"]["request"]["examples"] = [example]
        return app.openapi_schema if app.openapi_schema is not None else limits()

    app.openapi = openapi  # type: ignore[method-assign]
    return app


_MODEL_ENV, _CONFIG_ENV, _THREADS_ENV = "HYBRID_REC_SERVE_MODEL", "HYBRID_REC_SERVE_CONFIG", "HYBRID_REC_SERVE_THREADS"


def worker_app() -> FastAPI:
    """The app of one worker process of `run(..., workers=N)`: the model and config its parent put in the environment,
    with its share of the cores for torch (N workers each on every core would only contend)."""
    model, config = os.environ.get(_MODEL_ENV), os.environ.get(_CONFIG_ENV)
    if not model or not config:
        raise ConfigError(f"worker_app is started by hybrid-rec serve --workers N (it reads {_MODEL_ENV} and {_CONFIG_ENV})")
    import torch

    torch.set_num_threads(int(os.environ.get(_THREADS_ENV, "1")))
    return create_app(model, ServeConfig.model_validate_json(config))


def run(
    model: str | Path, host: str = "127.0.0.1", port: int = 8000, config: ServeConfig | None = None, workers: int = 1
) -> None:
    """Serve `model` over HTTP with uvicorn (part of the 'serve' extra) until interrupted; `workers` > 1: that many
    processes on one port, one model replica each (each picks up new versions itself), sharing conversations through
    `config.state` (required then: a conversation must continue on whichever worker takes its next call)."""
    require("uvicorn", "serve", "hybrid_rec.serve.run")
    import uvicorn

    config = config or ServeConfig()
    if workers < 1:
        raise ConfigError(f"workers must be at least 1, not {workers}")
    if workers == 1:
        uvicorn.run(create_app(model, config), host=host, port=port, log_level="info")
        return
    if config.state is None:
        raise ConfigError(
            f"--workers {workers} needs --state redis://HOST:PORT/DB: conversations kept in one worker's memory would "
            "answer 404 on the others"
        )
    create_app(model, config)  # fail here, once, on a model or store that cannot be served
    os.environ[_MODEL_ENV], os.environ[_CONFIG_ENV] = str(Path(model).resolve()), config.model_dump_json()
    os.environ[_THREADS_ENV] = str(max(1, (os.cpu_count() or 1) // workers))
    uvicorn.run("hybrid_rec.serve.app:worker_app", factory=True, workers=workers, host=host, port=port, log_level="info")
