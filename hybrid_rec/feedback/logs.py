"""Which event log a deployment uses (`open_log`): the embedded SQLite file of a model store (`log.EventLog`) or a
PostgreSQL database several hosts share (`postgres_log.PostgresEventLog`), behind the one `log.EventStore` interface.
Its own module, so that neither backend imports the other."""

from __future__ import annotations

from pathlib import Path

from hybrid_rec.errors import ConfigError
from hybrid_rec.feedback.events import FeedbackConfig
from hybrid_rec.feedback.log import EventLog, EventStore

__all__ = ["open_log"]


def open_log(
    target: str | None, model: str | Path, config: FeedbackConfig | None = None, *, busy_timeout_s: float = 30.0
) -> EventStore:
    """The event log `target` names: None for the SQLite file ``events.sqlite`` in the model store `model` (one
    host), ``postgresql://...`` for a PostgreSQL database every host can reach (the 'postgres' extra)."""
    if target is None:
        return EventLog(Path(model) / "events.sqlite", config, busy_timeout_s=busy_timeout_s)
    if not target.startswith(("postgresql://", "postgres://")):
        raise ConfigError(f"events: {target!r} is not a PostgreSQL URL (postgresql://USER@HOST:PORT/DB); leave it unset "
                          "for the model store's SQLite log")  # fmt: skip
    from hybrid_rec.feedback.postgres_log import PostgresEventLog

    return PostgresEventLog(target, config, busy_timeout_s=busy_timeout_s)
