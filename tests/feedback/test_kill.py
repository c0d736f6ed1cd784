"""Kill test: SIGKILL `feedback ingest` and `feedback apply` at chosen points of real runs.

Each run is a real CLI subprocess that kills itself (SIGKILL) at a fault point named by
``HYBRID_REC_FAULT`` (see `hybrid_rec._faults`): after the n-th commit of an ingest, with a snapshot
staged but not renamed, renamed but not live, live but not pruned. Every run must die exactly
there, and after every kill: every acknowledged event is in the log, no event is stored twice,
the store's live version loads, and its applied offset never passes the log. At the end, one clean
ingest and apply bring the model to exactly "base + every event once" (ALS confidence = summed
weights, so an event applied twice would show).
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys

import pytest

from hybrid_rec.feedback.events import FeedbackConfig
from hybrid_rec.feedback.log import EventLog
from hybrid_rec.pipeline import HybridPipeline
from tests.feedback.conftest import matrix_total

CHUNK = 40
BATCH = 150


def cli(*args: str, fault: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("HYBRID_REC_FAULT", None)
    if fault:
        env["HYBRID_REC_FAULT"] = fault
    return subprocess.run(
        [sys.executable, "-m", "hybrid_rec.cli", "--quiet", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


@pytest.mark.slow
def test_sigkill_at_chosen_points_never_loses_or_duplicates_events(stream, store, tmp_path):
    _, events, base_total = stream
    assert len(events) > 8 * CHUNK and len(events) > 2 * BATCH
    csv_path = tmp_path / "events.csv"
    with open(csv_path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["event_id", "user_id", "item_id", "type", "timestamp"])
        writer.writeheader()
        writer.writerows(events)
    ingest = ["feedback", "ingest", str(csv_path), "--model", str(store.root), "--chunk", str(CHUNK)]
    apply = ["feedback", "apply", "--model", str(store.root), "--batch-size", str(BATCH), "--guard-tolerance", "1.0"]
    staging = lambda: list((store.root / "versions").glob(".staging-*"))
    acked: set[str] = set()

    def killed(args: list[str], fault: str) -> str:
        run = cli(*args, fault=fault)
        assert run.returncode == -signal.SIGKILL, (fault, run.returncode, run.stdout, run.stderr)
        assert f"fault point {fault}: SIGKILL" in run.stderr, run.stderr
        assert "Traceback" not in run.stderr
        # ingest: the c-th printed commit acknowledges rows [0, c * CHUNK) of the file
        commits = sum(line.startswith("committed through offset") for line in run.stdout.splitlines())
        if args is ingest:
            acked.update(e["event_id"] for e in events[: CHUNK * commits])
        with EventLog(store.root / "events.sqlite") as log:
            stored = [e.event.event_id for e in log.read()]
            assert len(stored) == len(set(stored)), "an event is stored twice"
            assert acked <= set(stored), "an acknowledged event was lost"
            snap = store.current()
            assert int(snap.meta["applied_offset"]) <= log.last_offset()
        HybridPipeline.load(snap.path / "model")  # the live version is whole
        return run.stdout

    def logged() -> int:
        with EventLog(store.root / "events.sqlite") as log:
            return log.count()

    # ingest killed right after its first commit: committed but not yet acknowledged
    out = killed(ingest, "log.committed@1")
    assert "committed through" not in out and logged() == CHUNK
    # a rerun skips the committed rows (a commit of duplicates) and dies after its 4th commit
    out = killed(ingest, "log.committed@4")
    assert out.count("committed through") == 3 and logged() == 4 * CHUNK
    assert store.current().version == 1

    # apply killed with the new snapshot written to staging, not yet renamed: nothing changes
    killed(apply, "store.staged@1")
    assert store.current().version == 1 and store.versions() == [1] and len(staging()) == 1
    assert store.current().meta["applied_offset"] == 0
    # renamed into versions/ but CURRENT not switched: still not live, the next run applies again
    killed(apply, "store.renamed@1")
    assert store.versions() == [1, 2] and store.current().version == 1
    # CURRENT switched, pruning not yet run: live, with the first micro-batch applied
    killed(apply, "store.pointed@1")
    assert store.current().version == 3 and store.current().meta["applied_offset"] == BATCH

    out = killed(ingest, "log.committed@9")
    assert logged() == 9 * CHUNK
    # the first publish of this run completes, the second dies in staging
    out = killed(apply, "store.staged@2")
    assert store.current().version == 4 and store.current().meta["applied_offset"] == 2 * BATCH
    assert "published" in out

    for args in (
        ["feedback", "ingest", str(csv_path), "--model", str(store.root)],
        ["feedback", "apply", "--model", str(store.root), "--guard-tolerance", "1.0"],
    ):
        run = cli(*args)
        assert run.returncode == 0, run.stdout + run.stderr
    assert not staging()  # the killed writers' leftovers were cleaned by the next publish
    with EventLog(store.root / "events.sqlite") as log:
        assert log.count() == len(events)
        assert int(store.current().meta["applied_offset"]) == log.last_offset()
    conf = FeedbackConfig()
    assert matrix_total(store) == pytest.approx(base_total + sum(conf.confidence[e["type"]] for e in events), rel=1e-6)
