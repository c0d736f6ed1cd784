from __future__ import annotations

import json
import threading
import time
import uuid

import pytest

from hybrid_rec.errors import BusyError, DataError
from hybrid_rec.feedback.events import EVENT_TYPES, Event, FeedbackConfig, parse_event
from hybrid_rec.feedback.log import EventLog, IngestResult, LoggedEvent
from hybrid_rec.feedback.logs import open_log
from hybrid_rec.store import ModelStore, resolve_model

NOW = 1_700_000_000.0


def ev(i: int, **kw) -> dict[str, object]:
    return {
        "event_id": f"e{i}",
        "user_id": "u1",
        "item_id": f"i{i % 5}",
        "type": "click",
        "timestamp": NOW - 100 + i,
        **kw,
    }


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (ev(1, type="teleport"), "unknown event type"),
        ({k: v for k, v in ev(1).items() if k != "user_id"}, "missing field"),
        (ev(1, timestamp="yesterday"), "not a number"),
        (ev(1, timestamp=NOW + 86_400), "in the future"),
        (ev(1, weight="1e9"), "outside"),
        (ev(1, weight="-2"), "outside"),
        (ev(1, weight="nan"), "outside"),
        (ev(1, type="rating"), "needs a weight"),
    ],
)
def test_bad_events_are_refused_with_a_reason(raw, reason):
    with pytest.raises(DataError, match=reason):
        parse_event(raw, FeedbackConfig(), now=NOW)


def test_confidence_and_negatives():
    cfg = FeedbackConfig()
    purchase = parse_event(ev(1, type="purchase"), cfg, now=NOW)
    rating = parse_event(ev(2, type="rating", weight="4"), cfg, now=NOW)
    skip = parse_event(ev(3, type="skip"), cfg, now=NOW)
    assert purchase.confidence(cfg) == 3.0 and rating.confidence(cfg) == 1.0
    assert skip.is_negative(cfg) and skip.confidence(cfg) == 0.0


def test_ingest_is_idempotent_and_quarantines(make_log):
    with make_log() as log:
        first = log.ingest([ev(i) for i in range(10)] + [ev(99, type="bogus")], now=NOW)
        assert (first.accepted, first.duplicates, first.quarantined, first.last_offset) == (10, 0, 1, 10)
        again = log.ingest([ev(i) for i in range(5, 15)] + [ev(14)], now=NOW)  # 5 old, 5 new, 1 repeat in batch
        assert (again.accepted, again.duplicates) == (5, 6)
        assert log.count() == 15
        assert [e.event.event_id for e in log.read(after=10)] == [f"e{i}" for i in range(10, 15)]
        assert [e.offset for e in log.read(after=3, limit=2)] == [4, 5]
        ((raw, why),) = log.quarantined()
        assert "bogus" in raw and "unknown event type" in why
    with make_log() as reopened:  # durable across connections
        assert reopened.count() == 15 and reopened.last_offset() == 15


def save_text(text: str):
    def save(directory):
        directory.mkdir(parents=True)
        (directory / "payload.txt").write_text(text)

    return save


def test_store_publishes_prunes_and_rolls_back(tmp_path):
    store = ModelStore(tmp_path / "store", keep=3)
    with pytest.raises(DataError, match="no published version"):
        store.current()
    for n in range(1, 6):
        snap = store.publish(save_text(f"model {n}"), {"applied_offset": n * 10})
        assert snap.version == n
    assert store.versions() == [3, 4, 5]
    cur = store.current()
    assert (cur.path / "model" / "payload.txt").read_text() == "model 5" and cur.meta["applied_offset"] == 50
    back = store.rollback()
    assert back.version == 4 and (back.path / "model" / "payload.txt").read_text() == "model 4"


def test_a_failed_publish_leaves_the_live_version(tmp_path):
    store = ModelStore(tmp_path / "store")
    store.publish(save_text("good"), {"applied_offset": 1})

    def broken(directory):
        directory.mkdir(parents=True)
        (directory / "half.txt").write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        store.publish(broken, {"applied_offset": 2})
    assert store.current().version == 1 and store.versions() == [1]
    assert not list((tmp_path / "store" / "versions").glob(".staging-*"))


def test_one_writer_at_a_time(tmp_path):
    """While a publish is writing, the store's lock is held: another writer (here a non-blocking
    probe on another open file, as a second process would take it) cannot get in; afterwards it can."""
    import fcntl
    import threading

    store = ModelStore(tmp_path / "store")
    inside, release = threading.Event(), threading.Event()

    def slow_save(directory):
        inside.set()
        assert release.wait(60)
        save_text("slow")(directory)

    def probe() -> bool:
        with open(store.root / ".lock", "a") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            fcntl.flock(fh, fcntl.LOCK_UN)
            return True

    assert probe()
    writer = threading.Thread(target=store.publish, args=(slow_save, {"applied_offset": 1}))
    writer.start()
    try:
        assert inside.wait(60)
        assert not probe(), "a second writer could take the lock during a publish"
    finally:
        release.set()
        writer.join(60)
    assert probe() and store.current().version == 1


# ---------------------------------------------------------------- events: exact acceptance rules and messages
def test_parse_event_normalises_the_type_and_keeps_ids_exactly():
    e = parse_event(
        {"event_id": " e1 ", "user_id": " u1", "item_id": "i9 ", "type": " Click ", "timestamp": "17", "weight": "2.5"},
        FeedbackConfig(),
        now=NOW,
    )
    assert e == Event(" e1 ", " u1", "i9 ", "click", 17.0, 2.5)  # " e1 " and "e1" are two events
    assert parse_event(ev(1, weight=""), FeedbackConfig(), now=NOW).weight is None  # empty weight: none
    assert parse_event(ev(1, timestamp=0), FeedbackConfig(), now=NOW).timestamp == 0.0  # the epoch is a time


def test_parse_event_messages():
    cfg = FeedbackConfig()

    def why(raw, config=cfg) -> str:
        with pytest.raises(DataError) as err:
            parse_event(raw, config, now=NOW)
        return str(err.value)

    assert why({"event_id": "e", "user_id": "", "item_id": "i", "type": "click"}) == (
        "missing field(s) ['user_id', 'timestamp']"
    )
    assert why(ev(1, type="teleport")) == (
        "unknown event type 'teleport'; known: ['view', 'click', 'purchase', 'rating', 'skip', 'dislike']"
    )
    # a known type the configuration gives no confidence is refused too
    assert why(ev(1, type="view"), FeedbackConfig(confidence={"click": 1.0})).startswith("unknown event type 'view'")
    assert why(ev(1, timestamp="soon")) == "timestamp 'soon' is not a number (seconds since the epoch)"
    assert why(ev(1, timestamp=[1])) == "timestamp [1] is not a number (seconds since the epoch)"
    assert why(ev(1, timestamp=-1)) == "timestamp -1 is not a valid time"
    assert why(ev(1, timestamp="inf")) == "timestamp 'inf' is not a valid time"
    assert why(ev(1, timestamp=NOW + 301)) == f"timestamp {NOW + 301:.0f} is in the future (now {NOW:.0f})"
    assert why(ev(1, weight="heavy")) == "weight 'heavy' is not a number"
    assert why(ev(1, weight=[2])) == "weight [2] is not a number"
    assert why(ev(1, weight="100.5")) == "weight 100.5 outside [0, 100.0]"
    assert why(ev(1, weight="-0.5")) == "weight -0.5 outside [0, 100.0]"
    assert why(ev(1, weight="inf")) == "weight inf outside [0, 100.0]"
    assert why(ev(1, type="rating", weight="")) == "a rating event needs a weight (the rating)"


def test_parse_event_bounds_are_inclusive():
    cfg = FeedbackConfig(max_future_seconds=300.0, max_weight=5.0)
    assert parse_event(ev(1, timestamp=NOW + 300), cfg, now=NOW).timestamp == NOW + 300
    assert parse_event(ev(1, weight=5), cfg, now=NOW).weight == 5.0
    assert parse_event(ev(1, weight=0), cfg, now=NOW).weight == 0.0
    with pytest.raises(DataError, match="in the future"):
        parse_event(ev(1, timestamp=NOW + 1), FeedbackConfig(max_future_seconds=0.0), now=NOW)


def test_parse_event_defaults_now_to_the_clock():
    t = time.time()
    assert parse_event(ev(1, timestamp=t + 200), FeedbackConfig()).timestamp == t + 200
    with pytest.raises(DataError, match="in the future"):
        parse_event(ev(1, timestamp=t + 3600), FeedbackConfig())


def test_confidence_by_type_and_weight():
    cfg = FeedbackConfig()
    assert Event("e", "u", "i", "view", 1.0).confidence(cfg) == 0.5
    assert Event("e", "u", "i", "view", 1.0, 3.0).confidence(cfg) == 1.5
    assert Event("e", "u", "i", "purchase", 1.0, 0.0).confidence(cfg) == 0.0  # weight 0 is a weight
    assert Event("e", "u", "i", "rating", 1.0, 4.0).confidence(cfg) == 1.0
    assert Event("e", "u", "i", "teleport", 1.0, 4.0).confidence(cfg) == 0.0  # a type without confidence
    custom = FeedbackConfig(negative_types=["view"])
    assert Event("e", "u", "i", "view", 1.0).is_negative(custom)
    assert not Event("e", "u", "i", "skip", 1.0).is_negative(custom)


# ---------------------------------------------------------------- the event log
def test_the_sqlite_log_creates_its_parent_directories(tmp_path):
    with EventLog(tmp_path / "a" / "b" / "events.sqlite") as log:
        assert log.count() == 0 and (tmp_path / "a" / "b" / "events.sqlite").is_file()


def test_two_writers_at_once_land_each_event_once_with_gap_free_offsets(make_log):
    """Two processes' connections (two serving workers) ingest overlapping batches at once: every event lands
    once, offsets run 1..n without a gap, and a reader never sees an offset appear below one it has read."""
    with make_log() as first:
        first.count()  # the log exists before the writers race

    def write(part: int) -> None:
        with make_log() as log:
            for n in range(10):  # overlapping: each batch shares half its ids with the other writer's
                log.ingest([ev(i, timestamp=NOW - 5000 + i) for i in range(n * 10 + part * 5, n * 10 + part * 5 + 10)],
                           now=NOW)  # fmt: skip

    threads = [threading.Thread(target=write, args=(p,)) for p in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with make_log() as log:
        events = log.read()
        assert [e.offset for e in events] == list(range(1, len(events) + 1))
        assert sorted(e.event.event_id for e in events) == sorted({f"e{i}" for i in range(105)})


def test_ingest_records_events_quarantine_and_offsets(make_log):
    with make_log() as log:
        assert log.ingest([], now=NOW) == IngestResult(0, 0, 0, 0)
        assert log.last_offset() == 0 and log.count() == 0 and log.read() == []
        # a bad event in the middle of a batch is quarantined; the rest of the batch still goes in
        res = log.ingest([ev(1, type="rating", weight="4"), ev(3, type="x"), ev(2, weight=7)], now=NOW)
        assert res == IngestResult(2, 0, 1, 2)
        assert log.read() == [
            LoggedEvent(1, Event("e1", "u1", "i1", "rating", NOW - 99, 4.0)),
            LoggedEvent(2, Event("e2", "u1", "i2", "click", NOW - 98, 7.0)),
        ]
        raw = json.dumps({k: str(v) for k, v in ev(3, type="x").items()}, sort_keys=True)
        assert log.quarantined() == [(raw, "unknown event type 'x'; known: " + str(list(EVENT_TYPES)))]
        # a batch of nothing new keeps the offsets; limit and after page through the log
        assert log.ingest([ev(1), ev(2)], now=NOW) == IngestResult(0, 2, 0, 2)
        log.ingest([ev(i) for i in range(3, 9)], now=NOW)
        assert [e.offset for e in log.read(after=2, limit=3)] == [3, 4, 5]
        assert [e.offset for e in log.read(after=6)] == [7, 8]
        assert log.read(after=8) == []


def test_ingest_counts_every_repeat_within_a_batch(make_log):
    with make_log() as log:
        assert log.ingest([ev(1), ev(1), ev(1), ev(2)], now=NOW) == IngestResult(2, 2, 0, 2)
        assert [e.event.event_id for e in log.read()] == ["e1", "e2"]


def test_ingest_judges_timestamps_against_the_given_now(make_log):
    later = time.time() + 30 * 86_400  # e.g. replaying a log recorded with another clock
    with make_log() as log:
        assert log.ingest([ev(1, timestamp=later - 10)], now=later).accepted == 1


def test_ingest_defaults_now_to_the_clock(make_log):
    t = time.time()
    with make_log() as log:
        res = log.ingest([ev(1, timestamp=t - 10), ev(2, timestamp=t + 3600)])
        assert (res.accepted, res.quarantined) == (1, 1)
        ((_, why),) = log.quarantined()
        assert "in the future" in why


def test_ingest_deduplicates_large_batches(make_log):
    """More ids than SQLite binds in one query (they are looked up 900 at a time)."""
    with make_log() as log:
        batch = [ev(i, timestamp=NOW - 5000 + i) for i in range(2001)]
        assert log.ingest(batch[:2000], now=NOW) == IngestResult(2000, 0, 0, 2000)
        assert log.ingest(batch, now=NOW) == IngestResult(1, 2000, 0, 2001)
        assert log.count() == 2001


def test_a_failed_ingest_before_commit_rolls_back(tmp_path, monkeypatch):
    with EventLog(tmp_path / "events.sqlite") as log:
        log.ingest([ev(1)], now=NOW)
        # an event whose field cannot be bound makes the INSERT fail inside the transaction
        monkeypatch.setattr(
            "hybrid_rec.feedback.log.parse_event",
            lambda raw, config, now: Event(str(raw["event_id"]), "u", "i", "click", 1.0, object()),  # type: ignore[arg-type]
        )
        with pytest.raises(Exception, match="type"):
            log.ingest([ev(2), ev(3)], now=NOW)
        monkeypatch.undo()
        assert log.count() == 1 and log.ingest([ev(2)], now=NOW) == IngestResult(1, 0, 0, 2)


# ---------------------------------------------------------------- the model store
def test_store_layout_and_snapshot_metadata(tmp_path):
    store = ModelStore(tmp_path / "store")
    assert not store.has_current() and store.keep == 5
    staged: list = []

    def save(directory):
        staged.append(directory)
        save_text("one")(directory)

    snap = store.publish(save, {"applied_offset": 7, "source": tmp_path / "data.csv"})  # not JSON: as text
    # written inside versions/ under a name the sweep of a killed writer's leftovers recognises
    (directory,) = staged
    assert directory.name == "model" and directory.parent.parent == store.versions_dir
    assert directory.parent.name.startswith(".staging-")
    assert store.current().meta["source"] == str(tmp_path / "data.csv")
    assert store.has_current() and (tmp_path / "store" / "CURRENT").read_text() == "1"
    assert snap.path == tmp_path / "store" / "versions" / "v000001"
    assert snap.meta["version"] == 1 and snap.meta["applied_offset"] == 7
    assert abs(snap.meta["created"] - time.time()) < 60
    assert json.loads((snap.path / "snapshot.json").read_text()) == store.current().meta
    assert {k: v for k, v in store.current().meta.items() if k != "source"} == {
        k: v for k, v in snap.meta.items() if k != "source"
    }
    assert (store.current().version, store.current().path) == (snap.version, snap.path)
    assert not (tmp_path / "store" / "CURRENT.tmp").exists()


def test_store_keeps_at_least_two_versions_and_sweeps_staging(tmp_path):
    store = ModelStore(tmp_path / "store", keep=1)
    assert store.keep == 2
    stale = store.versions_dir / ".staging-killed"
    stale.mkdir()
    (store.versions_dir / "vjunk").mkdir()  # not a version: ignored
    (store.versions_dir / "v000009").mkdir()  # no snapshot.json: an incomplete version, ignored
    for n in range(1, 5):
        store.publish(save_text(f"m{n}"), {})
    assert store.versions() == [3, 4]
    assert not stale.exists() and (store.versions_dir / "vjunk").exists()
    assert ModelStore(tmp_path / "other", keep=3).keep == 3


def test_store_rollback_and_errors(tmp_path):
    store = ModelStore(tmp_path / "store")
    store.publish(save_text("one"), {})
    with pytest.raises(DataError, match="no version before v000001 to roll back to"):
        store.rollback()
    store.publish(save_text("two"), {})
    store.publish(save_text("three"), {})
    assert store.rollback().version == 2 and store.rollback().version == 1
    assert (tmp_path / "store" / "CURRENT").read_text() == "1"
    # a publish after a rollback gets the next free number, and becomes live
    assert store.publish(save_text("four"), {}).version == 4 and store.current().version == 4
    (tmp_path / "store" / "CURRENT").write_text("7\n")
    with pytest.raises(DataError, match="CURRENT names v000007, which is missing or incomplete"):
        store.current()


def test_resolve_model(tmp_path):
    store = ModelStore(tmp_path / "store")
    store.publish(save_text("x"), {"applied_offset": 3})
    path, tag, meta = resolve_model(tmp_path / "store")
    assert path == tmp_path / "store" / "versions" / "v000001" / "model" and tag == "v1"
    assert meta["applied_offset"] == 3
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "pipeline.json").write_text("{}")
    assert resolve_model(str(plain)) == (plain, "plain", {})
    with pytest.raises(DataError, match="not a saved HybridPipeline nor a model store"):
        resolve_model(tmp_path / "nothing")


def test_the_busy_timeout_is_the_one_asked_for_and_checked(tmp_path):
    """`busy_timeout_s` reaches SQLite (a request thread waits that long for another writer, not 30 s):
    with the lock held elsewhere an ingest gives up with "database is locked"; bad values are refused."""
    import sqlite3

    from hybrid_rec.errors import ConfigError

    path = tmp_path / "events.sqlite"
    with EventLog(path, busy_timeout_s=0.2) as log:
        assert log._conn.execute("PRAGMA busy_timeout").fetchone()[0] == 200
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                log.ingest([{"event_id": "e1", "user_id": "u", "item_id": "i", "type": "click", "timestamp": 1.0}])
        finally:
            other.execute("ROLLBACK")
            other.close()
    with EventLog(path) as default:
        assert default._conn.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000
    for bad in (-1.0, float("nan")):
        with pytest.raises(ConfigError, match="busy_timeout_s"):
            EventLog(path, busy_timeout_s=bad)


@pytest.fixture()
def postgres_log(postgres_server):
    """Opens connections to one fresh PostgreSQL event log (a database of its own)."""
    psycopg = pytest.importorskip("psycopg", reason="the 'postgres' extra is not installed")
    name = "busy_" + uuid.uuid4().hex[:12]
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    return lambda **kw: open_log(postgres_server.rsplit("/", 1)[0] + "/" + name, ".", **kw)


def test_a_postgres_writer_waits_its_busy_timeout_then_says_busy(postgres_log):
    """Another writer holds the log: the call waits `busy_timeout_s`, then `BusyError` (the service's 503); the
    SQLite log's timeout is tested above."""
    make_log = postgres_log

    with make_log() as holder, make_log(busy_timeout_s=0.2) as log:
        with holder._conn.transaction():  # a writer in the middle of its transaction
            holder._conn.execute("LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE")
            with pytest.raises(BusyError, match="another writer"):
                log.ingest([ev(1)], now=NOW)
        assert log.ingest([ev(1)], now=NOW).accepted == 1  # free again
