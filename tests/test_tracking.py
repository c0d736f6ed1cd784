"""`--track`: a run logged to MLflow, read back with MLflow's own client."""

from __future__ import annotations

import json

import pytest
import tomli_w
from typer.testing import CliRunner

from hybrid_rec.cli import app
from hybrid_rec.tracking import flatten
from tests.evaluate.test_compare import SMALL

mlflow = pytest.importorskip("mlflow")


def test_flatten_makes_dotted_keys():
    assert flatten({"a": {"b": 1, "c": {"d": [1, 2]}}, "e": "x"}) == {"a.b": 1, "a.c.d": [1, 2], "e": "x"}


def test_a_tracked_comparison_shows_up_with_its_metrics_and_artifacts(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text(tomli_w.dumps({**SMALL, "evaluation": {"bootstrap": 50, "comparisons": ["als_vs_popularity"]}}))
    uri = f"sqlite:///{tmp_path / 'mlruns' / 'mlflow.db'}"
    result = CliRunner().invoke(app, ["--quiet", "compare", "--config", str(cfg), "--out", str(tmp_path / "run"),
                                      "--track", "--track-uri", uri])  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    client = mlflow.tracking.MlflowClient(uri)
    runs = client.search_runs([client.get_experiment_by_name("hybrid_rec").experiment_id])
    assert len(runs) == 1 and runs[0].data.tags["hybrid_rec.kind"] == "compare"
    metrics, params = runs[0].data.metrics, runs[0].data.params
    assert metrics["methods.als.test.ndcg_at_10"] == pytest.approx(report["methods"]["als"]["test"]["ndcg@10"])
    assert metrics["comparisons.als_vs_popularity.delta"] == pytest.approx(
        report["comparisons"]["als_vs_popularity"]["delta"]
    )
    assert params["dataset.name"] == "synthetic" and params["methods.als.factors"] == "[4, 16]"
    artifacts = {a.path for a in client.list_artifacts(runs[0].info.run_id)}
    assert {"report.json", "report.md", "report.png"} <= artifacts
