"""How errors leave the service: the streamed body limit (ASGI) and the mapping of errors to statuses.

`BodyLimit` answers 413 on the bytes received, chunked bodies included, before the app reads any of
them. The library's client-facing errors become 4xx (`checked`), the server's own limits a 422 in
FastAPI's ``HTTPValidationError`` shape (`invalid`, `validation_error`); anything else is a bug and
stays a 500, so it is never mistaken for bad input.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hybrid_rec.errors import ConfigError, ConflictError, DataError, NotFittedError, UnknownIdError

T = TypeVar("T")


def invalid(message: str, *loc: str | int) -> RequestValidationError:
    """A 422 in the documented `HTTPValidationError` shape, for what pydantic cannot check: the
    server's limits and the model's own validation."""
    return RequestValidationError([{"loc": ("body", *loc), "msg": message, "type": "value_error"}])


def checked(fn: Callable[[], T]) -> T:
    """Only the library's client-facing errors become 4xx; anything else (a plain ValueError
    included) is a bug on our side and stays a 500, so it is never mistaken for bad input."""
    try:
        return fn()
    except UnknownIdError as exc:
        raise HTTPException(404, str(exc)) from None
    except (DataError, ConfigError) as exc:
        raise invalid(str(exc)) from None
    except NotFittedError as exc:  # pragma: no cover - a store always holds a fitted model
        raise HTTPException(503, str(exc)) from None
    except ConflictError as exc:  # other writers kept publishing first: the client may retry
        raise HTTPException(409, str(exc)) from None


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    """FastAPI's HTTPValidationError shape, in words: without echoing the input back (it may be huge), without the
    validators' own names in `loc` ("function-after[_unicode(), constrained-str]"), the alternatives of an id (a
    string or an integer) said once, and a body sent without ``Content-Type: application/json`` said so."""
    json_body = "json" in request.headers.get("content-type", "")
    errors: dict[tuple[object, ...], dict[str, Any]] = {}
    for e in exc.errors():
        loc = tuple(p if isinstance(p, int) else str(p) for p in e.get("loc", ()) if not _internal(p))
        msg, kind = str(e.get("msg", "")), str(e.get("type", "value_error"))
        if loc == ("body",) and kind == "model_attributes_type" and not json_body:
            msg = "the body must be a JSON object sent with the header Content-Type: application/json"
        if loc in errors:  # another alternative of a union ("a valid string" or "a valid integer")
            errors[loc]["msg"] += " or " + msg.removeprefix("Input should be ")
        else:
            errors[loc] = {"loc": list(loc), "msg": msg, "type": kind}
    return JSONResponse({"detail": list(errors.values())}, status_code=422)


def _internal(part: object) -> bool:
    """A `loc` part naming a validator or a union member, not a field ("function-after[...]", "constrained-int")."""
    return isinstance(part, str) and part.startswith(("function-", "constrained-", "json-or-python["))


def is_busy(exc: sqlite3.OperationalError) -> bool:
    """SQLite's 'database is locked' / 'busy': another writer holds the log (transient), not a bug."""
    return "locked" in str(exc) or "busy" in str(exc)


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
