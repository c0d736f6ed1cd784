from __future__ import annotations

from typer.testing import CliRunner

from hybrid_rec.cli import app

runner = CliRunner()


def test_ingest_reports_and_quarantines(tmp_path):
    events = tmp_path / "events.csv"
    events.write_text(
        "event_id,user_id,item_id,type,timestamp,weight\n"
        "a,u1,i1,click,100,\n"
        "b,u1,i2,rating,101,4\n"
        "c,u2,i1,teleport,102,\n"
        "a,u1,i1,click,100,\n"
        "d,u2,i3,purchase,9999999999,\n"
    )
    result = runner.invoke(app, ["feedback", "ingest", str(events), "--model", str(tmp_path / "store"), "--create"])
    assert result.exit_code == 0, result.output
    assert "accepted 2, duplicates ignored 1, quarantined 2" in result.output
    again = runner.invoke(app, ["feedback", "ingest", str(events), "--model", str(tmp_path / "store")])
    assert "accepted 0, duplicates ignored 3, quarantined 2" in again.output


def test_feedback_errors_are_one_line(tmp_path):
    missing = runner.invoke(app, ["feedback", "ingest", str(tmp_path / "nope.csv"), "--model", str(tmp_path)])
    assert missing.exit_code == 2 and "not found" in missing.output
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    blank = runner.invoke(app, ["feedback", "ingest", str(empty), "--model", str(tmp_path)])
    assert blank.exit_code == 2 and blank.output.strip() == f"error: {empty}: file is empty"
    no_model = runner.invoke(app, ["feedback", "apply", "--model", str(tmp_path / "store")])
    assert no_model.exit_code == 2 and "no published version" in no_model.output
