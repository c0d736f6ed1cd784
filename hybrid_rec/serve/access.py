"""The API key check (header ``X-API-Key``, compared in constant time), shared by the write
endpoints and the lookups of personal data."""

from __future__ import annotations

import hmac

from fastapi import Header, HTTPException, Request

from hybrid_rec.serve.schemas import ServeConfig

__all__ = ["key_access"]


def key_access(
    request: Request,
    x_api_key: str | None = Header(default=None, description="The API key, when the server is configured with one."),
) -> None:
    """401 unless the server has no key or the request carries it."""
    config: ServeConfig = request.app.state.config
    api_key = config.api_key
    if api_key is not None and not (  # constant time: the comparison leaks no prefix of the key
        x_api_key is not None and hmac.compare_digest(x_api_key.encode(), api_key.encode())
    ):
        raise HTTPException(401, "missing or wrong X-API-Key header")
