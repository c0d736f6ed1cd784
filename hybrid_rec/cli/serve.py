"""``hybrid-rec serve``: the REST service."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hybrid_rec.cli._common import EventsOption, _user_errors, app


@app.command()
@_user_errors
def serve(
    model: Annotated[Path, typer.Option("--model", "-m", help="Model store (new versions are picked up live).")],
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    config_file: Annotated[
        Path | None,
        typer.Option("--config", help="TOML of the service's limits and settings (configs/serve.toml); flags win."),
    ] = None,
    max_k: Annotated[int | None, typer.Option(min=1, help="Largest k a client may ask for (default 100).")] = None,
    max_candidates: Annotated[
        int | None, typer.Option(min=1, help="Most candidates per /rerank list (default 1000).")
    ] = None,
    max_request_chars: Annotated[
        int | None, typer.Option(min=1, help="Longest request text, in characters (default 200).")
    ] = None,
    api_key_env: Annotated[
        str | None, typer.Option(help="Env variable holding the API key (/feedback, /items, /users, commits).")
    ] = None,
    ui: Annotated[bool, typer.Option("--ui", help="Serve the playground page at /ui (same API key).")] = False,
    workers: Annotated[
        int, typer.Option(min=1, help="Worker processes on one port, one model replica each (> 1 needs --state).")
    ] = 1,
    state: Annotated[
        str | None,
        typer.Option(help="Where conversations live: redis://HOST:PORT/DB, shared by every worker and replica "
                     "naming it (the 'redis' extra); unset: this process's memory."),
    ] = None,
    events_at: EventsOption = None,
) -> None:
    """Serve /recommend, /rerank, /feedback, /conversations, /health, /version (API docs at /docs, offline;
    the playground at /ui with --ui)."""
    import os

    from hybrid_rec._extras import require
    from hybrid_rec.errors import ConfigError

    for module in ("fastapi", "uvicorn", "fastapi_offline"):
        require(module, "serve", "hybrid-rec serve")
    from hybrid_rec.serve import ServeConfig, run

    key = None
    if api_key_env:
        key = os.environ.get(api_key_env)
        if not key:
            raise ConfigError(f"--api-key-env {api_key_env}: that environment variable is empty or unset")
    values = ServeConfig.from_toml(config_file).model_dump(exclude_unset=True) if config_file else {}
    flags = dict(max_k=max_k, max_candidates=max_candidates, max_request_chars=max_request_chars, api_key=key,
                 ui=ui or None, state=state, events=events_at)  # fmt: skip
    config = ServeConfig.from_dict({**values, **{k: v for k, v in flags.items() if v is not None}},
                                   source="hybrid-rec serve")  # fmt: skip
    run(model, host, port, config, workers)
