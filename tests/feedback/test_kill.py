"""Kill test: SIGKILL `feedback ingest` and `feedback apply` at random points, 20+ times.

After every kill: every acknowledged event is in the log, no event is stored twice, the store's
live version loads, and its applied offset never passes the log. At the end, one clean apply
brings the model to exactly "base + every event once" (ALS confidence = summed weights, so an
event applied twice would show).
"""

from __future__ import annotations

import csv
import os
import random
import signal
import subprocess
import sys
import time

import pytest

from hybrid_rec.feedback.events import FeedbackConfig
from hybrid_rec.feedback.log import EventLog
from hybrid_rec.pipeline import HybridPipeline
from tests.feedback.conftest import matrix_total

TRIALS = 20


def cli(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "hybrid_rec.cli", "--quiet", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )


@pytest.mark.slow
def test_sigkill_never_loses_or_duplicates_events(stream, store, tmp_path):
    _, events, base_total = stream
    rng = random.Random(7)
    csv_path = tmp_path / "events.csv"
    with open(csv_path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["event_id", "user_id", "item_id", "type", "timestamp"])
        writer.writeheader()
        writer.writerows(events)
    chunk = 40
    acked: set[str] = set()
    kills = 0
    for trial in range(TRIALS):
        kind = "ingest" if trial % 2 == 0 else "apply"
        args = (
            ["feedback", "ingest", str(csv_path), "--model", str(store.root), "--chunk", str(chunk)]
            if kind == "ingest"
            else ["feedback", "apply", "--model", str(store.root), "--batch-size", "150", "--guard-tolerance", "1.0"]
        )
        proc = cli(*args)
        time.sleep(rng.uniform(0.5, 6.0))  # the kill lands at a random point of the run (or after it)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        out, _ = proc.communicate()
        if kind == "ingest":  # the run's c-th printed commit acknowledges rows [0, c * chunk) of the file
            commits = sum(line.startswith("committed through offset") for line in out.splitlines())
            acked.update(e["event_id"] for e in events[: chunk * commits])
        with EventLog(store.root / "events.sqlite") as log:
            stored = [e.event.event_id for e in log.read()]
            assert len(stored) == len(set(stored)), "an event is stored twice"
            assert acked <= set(stored), "an acknowledged event was lost"
            snap = store.current()
            assert int(snap.meta["applied_offset"]) <= log.last_offset()
        HybridPipeline.load(snap.path / "model")  # the live version is whole
    assert kills >= 5, "too few runs were actually killed to mean anything"

    for args in (
        ["feedback", "ingest", str(csv_path), "--model", str(store.root)],
        ["feedback", "apply", "--model", str(store.root), "--guard-tolerance", "1.0"],
    ):
        proc = cli(*args)
        out, _ = proc.communicate(timeout=600)
        assert proc.returncode == 0, out
    with EventLog(store.root / "events.sqlite") as log:
        assert log.count() == len(events)
        assert int(store.current().meta["applied_offset"]) == log.last_offset()
    conf = FeedbackConfig()
    assert matrix_total(store) == pytest.approx(base_total + sum(conf.confidence[e["type"]] for e in events), rel=1e-6)
