"""`PostgresEventLog`: the event log in PostgreSQL, for serving processes and updaters on several hosts.

The same schema and contract as the SQLite log (`log.EventLog`): each `ingest` validates its events, appends the
good ones with increasing offsets (a repeated ``event_id`` is ignored), quarantines the bad ones with their
reason, all in one transaction, and returns after the commit. Writers take the events table's lock for their
transaction (``SHARE ROW EXCLUSIVE``: one writer at a time, readers never blocked), so offsets are gap-free and
committed in order: a reader that has seen offset n never later finds an offset below n appear. A writer waits
`busy_timeout_s` for the lock, then `BusyError`.
"""

from __future__ import annotations

from typing import Any

from hybrid_rec._extras import require
from hybrid_rec.errors import BusyError, ConfigError
from hybrid_rec.feedback.events import Event, FeedbackConfig
from hybrid_rec.feedback.log import LoggedEvent, _Log, checked_timeout

__all__ = ["PostgresEventLog"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    "offset" BIGINT PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    type TEXT NOT NULL,
    timestamp DOUBLE PRECISION NOT NULL,
    weight DOUBLE PRECISION,
    ingested_at DOUBLE PRECISION NOT NULL
);
CREATE TABLE IF NOT EXISTS quarantine (
    id BIGSERIAL PRIMARY KEY,
    raw TEXT NOT NULL,
    reason TEXT NOT NULL,
    at DOUBLE PRECISION NOT NULL
);
"""


class PostgresEventLog(_Log):
    """The append-only log in the PostgreSQL database at `url` (tables created on first use)."""

    def __init__(self, url: str, config: FeedbackConfig | None = None, *, busy_timeout_s: float = 30.0) -> None:
        self.config, self.busy_timeout_s = config or FeedbackConfig(), checked_timeout(busy_timeout_s)
        require("psycopg", "postgres", "an event log in PostgreSQL")
        import psycopg

        self._lock_timeout = psycopg.errors.LockNotAvailable
        try:
            self._conn: Any = psycopg.connect(url, connect_timeout=10)
        except psycopg.OperationalError as exc:
            raise ConfigError(f"events: cannot connect to the PostgreSQL event log ({exc})".strip()) from exc
        with self._conn.transaction():
            self._conn.execute("SELECT pg_advisory_xact_lock(7262301)")  # two first uses never race on CREATE
            self._conn.execute(_SCHEMA)

    def _append(self, good: list[Event], bad: list[tuple[str, str]], now: float) -> tuple[int, int]:
        try:
            with self._conn.transaction(), self._conn.cursor() as cur:
                cur.execute(f"SET LOCAL lock_timeout = {int(self.busy_timeout_s * 1000)}")
                cur.execute("LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE")
                cur.execute("SELECT event_id FROM events WHERE event_id = ANY(%s)", ([e.event_id for e in good],))
                existing = {r[0] for r in cur.fetchall()}
                fresh = [e for e in good if e.event_id not in existing]
                cur.execute('SELECT COALESCE(MAX("offset"), 0) FROM events')
                last = int(cur.fetchone()[0])
                cur.executemany(
                    'INSERT INTO events ("offset", event_id, user_id, item_id, type, timestamp, weight, ingested_at)'
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    [(last + n, e.event_id, e.user_id, e.item_id, e.type, e.timestamp, e.weight, now)
                     for n, e in enumerate(fresh, start=1)],
                )  # fmt: skip
                cur.executemany("INSERT INTO quarantine (raw, reason, at) VALUES (%s, %s, %s)",
                                [(r, reason, now) for r, reason in bad])  # fmt: skip
        except self._lock_timeout as exc:
            raise BusyError(f"the event log is held by another writer for more than {self.busy_timeout_s:g} s") from exc
        return len(fresh), last + len(fresh)

    def read(self, after: int = 0, limit: int | None = None) -> list[LoggedEvent]:
        """Events with offset > `after`, in offset order."""
        sql = 'SELECT "offset", event_id, user_id, item_id, type, timestamp, weight FROM events WHERE "offset" > %s ORDER BY "offset"'
        rows = self._conn.execute(sql + (" LIMIT %s" if limit else ""), (after, limit) if limit else (after,)).fetchall()
        self._conn.rollback()  # end the read's transaction: the next read sees newer commits
        return [LoggedEvent(int(r[0]), Event(r[1], r[2], r[3], r[4], r[5], r[6])) for r in rows]

    def _one(self, sql: str) -> int:
        value = int(self._conn.execute(sql).fetchone()[0])
        self._conn.rollback()
        return value

    def last_offset(self) -> int:
        return self._one('SELECT COALESCE(MAX("offset"), 0) FROM events')

    def count(self) -> int:
        return self._one("SELECT COUNT(*) FROM events")

    def quarantined(self) -> list[tuple[str, str]]:
        rows = self._conn.execute("SELECT raw, reason FROM quarantine ORDER BY id").fetchall()
        self._conn.rollback()
        return [(r[0], r[1]) for r in rows]
