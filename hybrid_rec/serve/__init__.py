"""REST service (FastAPI): recommend, rerank, feedback, items, conversations, lookups, health and version;
API docs served offline, the playground page with ``ServeConfig.ui``.

Every request is validated against limits (k, candidates, events per call, body size counted on the
bytes received, chunked bodies included; ids of at most 256 characters; text that is valid Unicode);
a client error is a 4xx with a message, never a 500. Every status a route can return is documented in
its OpenAPI ``responses``: 422 bodies are FastAPI's ``HTTPValidationError``, all other errors
``ErrorBody`` ({"detail": "..."}); the configured limits are part of the published schema.

Reloads: a newly published version of the model store loads in the background while the old one keeps
answering; one that fails to load leaves the old one serving and ``GET /health`` says ``degraded``
(still HTTP 200) while ``GET /version`` names the served and the failed version. A store whose live
version cannot be loaded at start-up is a `DataError`. Write endpoints (``/feedback``, ``/items``)
and the lookups of personal data (``/users``) can require an API key (header ``X-API-Key``). Bind to
127.0.0.1 unless you mean otherwise.

One job a module: `schemas` (request and response models, `ServeConfig`), `holder` (the live model
and its hot reload), `middleware` (the body limit, errors to statuses), `access` (the key check),
`browse` (read lookups), `routes` (the endpoints) and `app` (the app factory). The names below are the public API.
"""

from __future__ import annotations

try:  # the optional 'serve' extra, checked before any module of the package needs it
    import fastapi  # noqa: F401
    import fastapi_offline  # noqa: F401
    import starlette.types  # noqa: F401
except ImportError as exc:
    from hybrid_rec._extras import missing_extra

    raise missing_extra("serve", "hybrid_rec.serve", str(exc)) from exc

from hybrid_rec.serve.app import create_app, openapi_schema, run
from hybrid_rec.serve.holder import ModelHolder
from hybrid_rec.serve.middleware import BodyLimit
from hybrid_rec.serve.routes import router
from hybrid_rec.serve.schemas import (
    MAX_ID_CHARS,
    CatalogItem,
    ErrorBody,
    FeedbackEvent,
    FeedbackRequest,
    ItemsRequest,
    RecommendRequest,
    RerankRequest,
    ServeConfig,
)

__all__ = [
    "MAX_ID_CHARS",
    "BodyLimit",
    "CatalogItem",
    "ErrorBody",
    "FeedbackEvent",
    "FeedbackRequest",
    "ItemsRequest",
    "ModelHolder",
    "RecommendRequest",
    "RerankRequest",
    "ServeConfig",
    "create_app",
    "openapi_schema",
    "router",
    "run",
]
