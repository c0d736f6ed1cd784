from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from hybrid_rec.cli import app
from hybrid_rec.errors import ConfigError

runner = CliRunner()

CONFIG = """
[dataset]
name = "synthetic"
[dataset.synthetic]
n_users = 200
n_items = 80
n_clusters = 4
interactions_per_user = 12
[evaluation]
bootstrap = 50
[methods.popularity]
[methods.als]
factors = [4, 8]
iterations = 3
"""


def test_compare_writes_outputs_and_prints_table(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text(CONFIG)
    out = tmp_path / "out"
    result = runner.invoke(app, ["--quiet", "compare", "--config", str(cfg), "--out", str(out), "--methods", "als"])
    assert result.exit_code == 0, result.output
    assert "| als |" in result.output and "| popularity |" not in result.output
    report = json.loads((out / "report.json").read_text())
    assert list(report["methods"]) == ["als"]
    assert (out / "recs" / "als.parquet").exists()


def test_user_error_is_one_line_with_exit_2(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text(CONFIG.replace("iterations = 3", "iteration = 3"))
    result = runner.invoke(app, ["compare", "--config", str(cfg), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [lines[0]] and lines[0].startswith("error: ") and "iteration" in lines[0]
    assert "Traceback" not in result.output


def test_debug_shows_the_exception(tmp_path):
    missing = tmp_path / "none.toml"
    result = runner.invoke(app, ["--debug", "compare", "--config", str(missing), "--out", "x"])
    assert result.exit_code == 1 and isinstance(result.exception, ConfigError)
    assert str(result.exception) == f"config file {missing} not found"
    quiet = runner.invoke(app, ["compare", "--config", str(missing), "--out", "x"])
    assert quiet.exit_code == 2 and isinstance(quiet.exception, SystemExit)


USER_ERRORS = [
    (["data", "fetch", "ml-20m"], "unknown dataset 'ml-20m'"),
    (["compare", "--config", "{tmp}/none.toml", "--out", "{tmp}/o"], "config file {tmp}/none.toml not found"),
    (["feedback", "ingest", "{tmp}/nope.csv", "--model", "{tmp}/store"], "not found"),
]  # (recommend / apply load torch first: seconds each; CliRunner covers their exit codes)


@pytest.mark.parametrize(("args", "message"), USER_ERRORS, ids=lambda v: v[0] if isinstance(v, list) else None)
def test_user_errors_in_a_real_process_have_no_traceback(tmp_path, args, message):
    """The installed entry point, not CliRunner (which swallows tracebacks): one line on stderr,
    exit code 2, no traceback anywhere."""
    (tmp_path / "store").mkdir()
    argv = [a.format(tmp=tmp_path) for a in args]
    run = subprocess.run([sys.executable, "-m", "hybrid_rec.cli", *argv], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2, (run.stdout, run.stderr)
    assert "Traceback" not in run.stdout + run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message.format(tmp=tmp_path) in lines[0]


def test_unknown_dataset_fetch():
    result = runner.invoke(app, ["data", "fetch", "ml-20m"])
    assert result.exit_code == 2 and "unknown dataset 'ml-20m'" in result.output


def test_help_lists_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0 and "compare" in result.output and "data" in result.output
