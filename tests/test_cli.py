from __future__ import annotations

import json

from typer.testing import CliRunner

from hybrid_rec.cli import app

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
    result = runner.invoke(app, ["--debug", "compare", "--config", str(tmp_path / "none.toml"), "--out", "x"])
    assert result.exit_code != 0 and result.exception is not None


def test_unknown_dataset_fetch():
    result = runner.invoke(app, ["data", "fetch", "ml-20m"])
    assert result.exit_code == 2 and "unknown dataset 'ml-20m'" in result.output


def test_help_lists_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0 and "compare" in result.output and "data" in result.output
