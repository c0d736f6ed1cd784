"""Feedback enters validated: ids kept exactly or the event quarantined; a bad file or model path is one error line."""

from __future__ import annotations

import json
import math

import pytest
from typer.testing import CliRunner

from hybrid_rec.cli import app
from hybrid_rec.errors import DataError
from hybrid_rec.feedback.events import FeedbackConfig, parse_event
from hybrid_rec.feedback.log import read_event_csv

runner = CliRunner()
HEADER = "event_id,user_id,item_id,type,timestamp,weight\n"


def _event(**fields: object) -> dict[str, object]:
    return {"event_id": "e1", "user_id": "u1", "item_id": "i1", "type": "click", "timestamp": 100, **fields}


# ------------------------------------------------------------------------------- events and the log


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("item_id", "i1\0"),
        ("item_id", "brandnew\0"),
        ("user_id", "u\x1f1"),
        ("user_id", "u\ud8001"),
        ("event_id", "e\ud800"),
        ("event_id", "e\n1"),
        ("item_id", "x" * 257),
        ("event_id", "e" * 257),
    ],
)
def test_event_with_an_id_that_cannot_round_trip_is_quarantined(make_log, field, value):
    with make_log() as log:
        res = log.ingest([_event(**{field: value}), _event(event_id="ok")], now=1000.0)
        assert (res.accepted, res.quarantined) == (1, 1)
        [(raw, reason)] = log.quarantined()
        assert reason.startswith(f"{field} ") and "ids must be non-empty text" in reason
        assert json.loads(raw)[field] == value  # the raw event is kept as it came, for a look
        assert [e.event.event_id for e in log.read()] == ["ok"]


def test_event_ids_and_ids_are_kept_exactly(make_log):
    with make_log() as log:
        res = log.ingest([_event(event_id="w1"), _event(event_id=" w1", user_id=" u1", item_id="i1 ")], now=1000.0)
        assert (res.accepted, res.duplicates) == (2, 0)  # " w1" is not a repeat of "w1"
        got = [(e.event.event_id, e.event.user_id, e.event.item_id) for e in log.read()]
    assert got == [("w1", "u1", "i1"), (" w1", " u1", "i1 ")]


def test_a_nan_weight_is_no_weight():
    assert parse_event(_event(weight=math.nan), FeedbackConfig(), now=1000.0).weight is None
    with pytest.raises(DataError, match=r"missing field\(s\) \['user_id'\]"):
        parse_event(_event(user_id=math.nan), FeedbackConfig(), now=1000.0)


# ------------------------------------------------------------------------------------ read_event_csv


def test_event_csv_cells_are_read_exactly(tmp_path):
    path = tmp_path / "events.csv"
    path.write_bytes(("\ufeff" + HEADER + ' w1,NA,"a,b",click,100,\n\n').encode())
    assert list(read_event_csv(path)) == [
        {"event_id": " w1", "user_id": "NA", "item_id": "a,b", "type": "click", "timestamp": "100", "weight": ""}
    ]


# ------------------------------------------------------------------------------------- the command


def _ingest(tmp_path, content: str | bytes, *extra: str, model: str = "store"):
    path = tmp_path / "events.csv"
    if isinstance(content, str):
        path.write_text(content)
    else:
        path.write_bytes(content)
    return runner.invoke(app, ["feedback", "ingest", str(path), "--model", str(tmp_path / model), *extra])


def _one_error_line(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


def test_ingest_refuses_a_model_path_that_is_not_a_store(tmp_path):
    rows = HEADER + "a,u1,i1,click,100,\n"
    line = _one_error_line(_ingest(tmp_path, rows, model="tpyo"))
    assert "tpyo: not a model store (no CURRENT)" in line and "--create" in line
    assert not (tmp_path / "tpyo").exists()
    assert _ingest(tmp_path, rows, "--create", model="fresh").exit_code == 0
    assert _ingest(tmp_path, rows, model="fresh").exit_code == 0  # the log it started is accepted from then on
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "CURRENT").write_text("1")
    assert "accepted 1" in _ingest(tmp_path, rows, model="store").output


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "event_id;user_id;item_id;type;timestamp\na;u1;i1;click;100\n",
            "missing column(s) ['event_id', 'user_id', 'item_id', 'type', 'timestamp']",
        ),
        ("event_id,user_id,item_id,type\na,u1,i1,click\n", "missing column(s) ['timestamp']"),
    ],
)
def test_ingest_refuses_a_file_without_the_required_columns(tmp_path, content, expected):
    line = _one_error_line(_ingest(tmp_path, content, "--create"))
    assert expected in line
    assert not (tmp_path / "store" / "events.sqlite").exists()


def test_ingest_says_a_semicolon_file_looks_semicolon_separated(tmp_path):
    line = _one_error_line(_ingest(tmp_path, "event_id;user_id;item_id;type;timestamp\n", "--create"))
    assert "(it looks ';'-separated)" in line


@pytest.mark.parametrize("row", ["b,u1,i2,click,101,,extra", "b,u1,i2,click"])
def test_ingest_names_the_line_of_a_ragged_row(tmp_path, row):
    content = HEADER + "a,u1,i1,click,100,\n" + row + "\nc,u1,i3,click,102,\n"
    line = _one_error_line(_ingest(tmp_path, content, "--create"))
    assert f"events.csv: line 3 has {row.count(',') + 1} fields but the header has 6" in line
    assert not (tmp_path / "store" / "events.sqlite").exists()  # nothing stored, not even line 2


def test_ingest_names_the_line_of_bytes_that_are_not_utf8(tmp_path):
    content = (HEADER + "a,u1,i1,click,100,\nb,caf\xe9,i2,click,101,\n").encode("latin-1")
    line = _one_error_line(_ingest(tmp_path, content, "--create"))
    assert "events.csv: line 3 is not UTF-8 text (byte 0xe9 at column 6)" in line
    assert not (tmp_path / "store" / "events.sqlite").exists()  # nothing stored, not even line 2
