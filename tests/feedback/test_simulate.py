from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from hybrid_rec.cli import app
from tests.factory import train_toml

CONFIG = train_toml(
    {"name": "synthetic",
     "synthetic": {"n_users": 120, "n_items": 50, "n_clusters": 3, "interactions_per_user": 14, "seed": 4}},
    simulate={"test_quantile": 0.8, "chunks": 3, "retrain_every": 2, "bootstrap": 50, "updater": {"replay_windows": 8}},
)  # fmt: skip


@pytest.mark.slow
def test_simulate_writes_every_mode(tmp_path):
    cfg = tmp_path / "sim.toml"
    cfg.write_text(CONFIG)
    result = CliRunner().invoke(app, ["--quiet", "simulate", "--config", str(cfg), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "out" / "simulate.json").read_text())
    assert report["chunks"] == 3 and set(report["modes"]) == {"none", "cf", "cf+reranker", "retrain"}
    for m in report["modes"].values():
        assert len(m["per_chunk"]) == 3
        # the stream score is the mean over every scored user, i.e. the user-weighted chunk means
        users = [c["users"] for c in m["per_chunk"]]
        assert min(users) > 0
        for metric in ("ndcg@10", "hr@10"):
            weighted = sum(c[metric] * c["users"] for c in m["per_chunk"]) / sum(users)
            assert m[metric] == pytest.approx(weighted, rel=1e-9)
        assert [c["users"] for c in report["modes"]["none"]["per_chunk"]] == users  # same users, every mode
    # a comparison's delta is the paired mean difference of the two modes' stream scores
    for name, comp in report["comparisons"].items():
        mode = name.removesuffix("_vs_none")
        want = report["modes"][mode]["ndcg@10"] - report["modes"]["none"]["ndcg@10"]
        assert comp["delta"] == pytest.approx(want, abs=1e-12) and comp["ci95"][0] <= comp["delta"] <= comp["ci95"][1]
    assert report["modes"]["none"]["update_seconds"] < 0.01  # nothing is updated
    # the first chunk is scored before any update: every mode starts from the same model
    firsts = {m["per_chunk"][0]["ndcg@10"] for m in report["modes"].values()}
    assert len(firsts) == 1
    assert {"cf_vs_none", "cf+reranker_vs_none", "retrain_vs_none"} == set(report["comparisons"])
    assert (tmp_path / "out" / "simulate.png").stat().st_size > 1000
