"""A durable, idempotent event log: in SQLite (WAL, synchronous=FULL; `EventLog`, the embedded default) or in
PostgreSQL (`postgres_log.PostgresEventLog`, for several hosts), behind one interface (`EventStore`; `logs.open_log` opens the one a deployment names).

`ingest` validates each event, appends the good ones (a repeated ``event_id`` is ignored, so a
retried batch is never applied twice) and quarantines the bad ones with their reason, all in one
transaction; it returns only after the commit. Events get increasing offsets; `read` replays from
any offset. `read_event_csv` reads an events file for `ingest`.
"""

from __future__ import annotations

import csv
import json
import sqlite3
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol, TypeVar

from hybrid_rec._faults import fault_point
from hybrid_rec.errors import ConfigError, DataError
from hybrid_rec.feedback.events import FIELDS, Event, FeedbackConfig, parse_event

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    offset INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    type TEXT NOT NULL,
    timestamp REAL NOT NULL,
    weight REAL,
    ingested_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS quarantine (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    raw TEXT NOT NULL,
    reason TEXT NOT NULL,
    at REAL NOT NULL
);
"""


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    duplicates: int
    quarantined: int
    last_offset: int


@dataclass(frozen=True)
class LoggedEvent:
    offset: int
    event: Event


def checked_timeout(busy_timeout_s: float) -> float:
    """`busy_timeout_s` when it is a number of seconds >= 0 (a `ConfigError` naming it otherwise: NaN too)."""
    if not busy_timeout_s >= 0:
        raise ConfigError(f"busy_timeout_s must be a number of seconds >= 0, got {busy_timeout_s!r}")
    return busy_timeout_s


def validated(
    raw_events: Iterable[Mapping[str, object]], config: FeedbackConfig, now: float
) -> tuple[list[Event], list[tuple[str, str]], int]:
    """(valid events, first of each id; (raw as JSON, reason) of the invalid ones; repeats of an id in the batch)."""
    good: list[Event] = []
    bad: list[tuple[str, str]] = []
    seen: set[str] = set()
    dup_in_batch = 0
    for raw in raw_events:
        try:
            event = parse_event(raw, config, now)
        except DataError as exc:
            bad.append((json.dumps({k: str(v) for k, v in raw.items()}, sort_keys=True), str(exc)))
            continue
        if event.event_id in seen:
            dup_in_batch += 1
            continue
        seen.add(event.event_id)
        good.append(event)
    return good, bad, dup_in_batch


class EventStore(Protocol):
    """What the feedback loop needs of an event log (SQLite `EventLog`, `postgres_log.PostgresEventLog`)."""

    config: FeedbackConfig

    def ingest(self, raw_events: Iterable[Mapping[str, object]], now: float | None = None) -> IngestResult: ...

    def read(self, after: int = 0, limit: int | None = None) -> list[LoggedEvent]: ...

    def last_offset(self) -> int: ...

    def count(self) -> int: ...

    def quarantined(self) -> list[tuple[str, str]]: ...

    def close(self) -> None: ...

    def __enter__(self) -> EventStore: ...

    def __exit__(self, *exc: object) -> None: ...


_L = TypeVar("_L", bound="_Log")


class _Log(ABC):
    """What both event logs share: validation before anything is stored, the ingest result, closing. A backend
    appends the valid events it has not stored yet and the quarantined rows in one transaction (`_append`)."""

    _conn: Any
    config: FeedbackConfig

    def close(self) -> None:
        self._conn.close()

    def __enter__(self: _L) -> _L:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def ingest(self, raw_events: Iterable[Mapping[str, object]], now: float | None = None) -> IngestResult:
        """Validate and append `raw_events` atomically; returns after the commit."""
        now = time.time() if now is None else now
        good, bad, dup_in_batch = validated(raw_events, self.config, now)
        accepted, last = self._append(good, bad, now)
        return IngestResult(accepted, len(good) - accepted + dup_in_batch, len(bad), last)

    @abstractmethod
    def _append(self, good: list[Event], bad: list[tuple[str, str]], now: float) -> tuple[int, int]:
        """Store the events of `good` not stored yet and quarantine `bad`, atomically: (events stored, last offset)."""


class EventLog(_Log):
    """The append-only log at `path` (created on first use).

    `busy_timeout_s`: how long a call waits for another writer's lock before SQLite gives up with
    ``sqlite3.OperationalError`` ("database is locked"); a request thread wants a short one.
    """

    def __init__(self, path: str | Path, config: FeedbackConfig | None = None, *, busy_timeout_s: float = 30.0) -> None:
        self.config, self.busy_timeout_s = config or FeedbackConfig(), checked_timeout(busy_timeout_s)
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, timeout=busy_timeout_s, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.executescript(_SCHEMA)

    def _append(self, good: list[Event], bad: list[tuple[str, str]], now: float) -> tuple[int, int]:
        cur = self._conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            existing: set[str] = set()
            ids = [e.event_id for e in good]
            for start in range(0, len(ids), 900):  # under SQLite's bound-parameter limit
                part = ids[start : start + 900]
                marks = ",".join("?" * len(part))
                existing.update(
                    r[0] for r in cur.execute(f"SELECT event_id FROM events WHERE event_id IN ({marks})", part)
                )
            fresh = [e for e in good if e.event_id not in existing]
            cur.executemany(  # plain INSERT: offsets stay gap-free; the UNIQUE constraint still guards
                "INSERT INTO events (event_id, user_id, item_id, type, timestamp, weight, ingested_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(e.event_id, e.user_id, e.item_id, e.type, e.timestamp, e.weight, now) for e in fresh],
            )
            accepted = len(fresh)
            cur.executemany(
                "INSERT INTO quarantine (raw, reason, at) VALUES (?, ?, ?)", [(r, reason, now) for r, reason in bad]
            )
            last = cur.execute("SELECT COALESCE(MAX(offset), 0) FROM events").fetchone()[0]
            cur.execute("COMMIT")
        except BaseException:
            if self._conn.in_transaction:  # never hide the real error behind "no transaction is active"
                cur.execute("ROLLBACK")
            raise
        fault_point("log.committed")
        return accepted, int(last)

    def read(self, after: int = 0, limit: int | None = None) -> list[LoggedEvent]:
        """Events with offset > `after`, in offset order."""
        sql = "SELECT offset, event_id, user_id, item_id, type, timestamp, weight FROM events WHERE offset > ? ORDER BY offset"
        rows = self._conn.execute(sql + (" LIMIT ?" if limit else ""), (after, limit) if limit else (after,)).fetchall()
        return [LoggedEvent(r[0], Event(r[1], r[2], r[3], r[4], r[5], r[6])) for r in rows]

    def last_offset(self) -> int:
        return int(self._conn.execute("SELECT COALESCE(MAX(offset), 0) FROM events").fetchone()[0])

    def count(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])

    def quarantined(self) -> list[tuple[str, str]]:
        return [(r[0], r[1]) for r in self._conn.execute("SELECT raw, reason FROM quarantine ORDER BY id")]


def read_event_csv(path: str | Path) -> Iterator[dict[str, str]]:
    """The rows of an events CSV as ``{column: text}``, every cell exactly as written (no stripping,
    no "NA" guessing; blank lines are skipped).

    A file that is not a comma-separated UTF-8 table with the columns of `FIELDS` raises
    `DataError` naming the line: undecodable bytes, a missing column (a ``;``-separated file has
    one column), a row with more or fewer fields than the header.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    with open(path, "rb") as fh:
        reader = csv.reader(_utf8_lines(fh, path))
        header: list[str] | None = None
        line = 0  # the physical line a row starts on (a quoted field may span lines)
        while True:
            try:
                row = next(reader, None)
            except csv.Error as exc:
                raise DataError(f"{path}: line {line + 1}: not valid CSV ({exc})") from exc
            start, line = line + 1, reader.line_num
            if row is None:
                break
            if not row:
                continue
            if header is None:
                header = _checked_header(row, path, start)
            elif len(row) != len(header):
                raise DataError(
                    f"{path}: line {start} has {len(row)} fields but the header has {len(header)}; "
                    "quote fields that hold commas"
                )
            else:
                yield dict(zip(header, row, strict=True))
        if header is None:
            raise DataError(f"{path}: file is empty")


def _utf8_lines(fh: BinaryIO, path: Path) -> Iterator[str]:
    for number, raw in enumerate(fh, start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DataError(
                f"{path}: line {number} is not UTF-8 text (byte 0x{raw[exc.start]:02x} at column {exc.start + 1}); "
                "save the file as UTF-8"
            ) from exc
        yield text.removeprefix("\ufeff") if number == 1 else text


def _checked_header(header: list[str], path: Path, line: int) -> list[str]:
    missing = [f for f in FIELDS if f not in header]
    if missing:
        hint = next((f" (it looks {sep!r}-separated)" for sep in ";\t|" if len(header) == 1 and sep in header[0]), "")
        raise DataError(
            f"{path}: missing column(s) {missing} in the header (line {line}: {header}){hint}; an events file is "
            f"comma-separated with the columns {','.join(FIELDS)}[,weight]"
        )
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        raise DataError(f"{path}: column(s) {repeated} appear more than once in the header (line {line})")
    return header
