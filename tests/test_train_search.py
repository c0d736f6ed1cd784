"""`hybrid-rec train` with `[search]`: the best point is trained, trials never fit on the rows that
score them, Optuna is seeded and prunes through the LM's per-epoch report."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

import hybrid_rec.pipeline.hybrid as pipeline_module  # where HybridPipeline.fit looks up train_reranker
from hybrid_rec.cli import app
from hybrid_rec.config import tomllib
from hybrid_rec.data.config import build_dataset
from hybrid_rec.data.interactions import Interactions
from hybrid_rec.data.splits import leave_last_out
from hybrid_rec.errors import ConfigError, MissingExtraError
from hybrid_rec.evaluate.train_search import search_train
from hybrid_rec.metrics import ranking_metrics
from hybrid_rec.pipeline import HybridPipeline, TrainConfig, train_pipeline
from hybrid_rec.store import ModelStore
from tests.factory import train_toml

SYNTHETIC = {"n_users": 120, "n_items": 60, "n_clusters": 3, "interactions_per_user": 12, "seed": 3}
# the tiny training, ALS at 2 factors unless a search chooses otherwise
BASE = train_toml({"name": "synthetic", "synthetic": SYNTHETIC}, {"candidates": {"als": {"factors": 2}}})


def config(search: str) -> TrainConfig:
    return TrainConfig.from_dict(tomllib.loads(BASE + search))


def rows_of(inter: Interactions) -> set[tuple[object, object, float]]:
    users, items = inter.users.to_external(inter.user), inter.items.to_external(inter.item)
    return set(zip(users.tolist(), items.tolist(), inter.timestamp.tolist(), strict=True))


@pytest.mark.slow
def test_the_grid_trains_and_publishes_its_best_point(tmp_path, monkeypatch):
    """ALS with one factor is clearly worse on this clustered data: the grid keeps the best trial,
    whichever position it has, and the published model is that point, not [hybrid]'s 2 factors."""
    path = tmp_path / "train.toml"
    path.write_text(BASE + '[search]\n[search.space]\n"candidates.als.factors" = [1, 8, 1]\n')
    out = tmp_path / "store"
    logged: list[tuple] = []  # what --track hands to MLflow (tests/test_tracking.py covers the logging)
    monkeypatch.setattr("hybrid_rec.cli.models._check_tracking", lambda track: None)
    monkeypatch.setattr("hybrid_rec.tracking.log_run", lambda *args, **kwargs: logged.append(args) or "run")
    result = CliRunner().invoke(app, ["--quiet", "train", "--config", str(path), "--out", str(out), "--track"])
    assert result.exit_code == 0, result.output
    assert "search (grid, 3 trials, 0 pruned)" in result.output and "{'candidates.als.factors': 8}" in result.output
    snap = ModelStore(out).current()
    search = json.loads((snap.path / "search.json").read_text())
    values = [t["value"] for t in search["trials"]]
    assert [t["params"] for t in search["trials"]] == [{"candidates.als.factors": f} for f in (1, 8, 1)]
    assert values[1] > max(values[0], values[2]) and search["best_value"] == values[1]
    assert search["best_params"] == {"candidates.als.factors": 8} == snap.meta["search"]["best_params"]
    assert (snap.path / "search.png").stat().st_size > 0
    assert HybridPipeline.load(snap.path / "model").config.candidates.als.factors == 8
    ((kind, params, results, artifacts),) = logged  # the trained point and the search's choice
    assert kind == "train" and params["hybrid"]["candidates"]["als"]["factors"] == 8
    assert params["search"]["best"] == {"candidates.als.factors": 8} and results["search"]["best_value"] == values[1]
    assert {snap.path / "search.json", snap.path / "search.png"} <= set(artifacts)


@pytest.mark.slow
def test_optuna_gives_the_same_trials_for_a_seed():
    pytest.importorskip("optuna")
    space = """[search]
kind = "optuna"
trials = {trials}
startup_trials = 1
seed = {seed}
[search.space]
"candidates.als.regularization" = {{low = 0.01, high = 1.0, log = true}}
"reranker.trainer.lr" = {{low = 3e-4, high = 3e-3, log = true}}
"""
    dataset = build_dataset(config(space.format(seed=0, trials=1)).dataset)
    a, b, other = (
        search_train(config(space.format(seed=s, trials=n)), dataset=dataset) for s, n in ((0, 2), (0, 2), (1, 1))
    )
    assert [t.__dict__ for t in a.result.trials] == [t.__dict__ for t in b.result.trials]
    assert all(t.state == "COMPLETE" and t.value is not None for t in a.result.trials)
    assert a.result.trials[0].params != other.result.trials[0].params  # the seed is what fixes them
    assert a.best.reranker.trainer.lr == a.result.best_params["reranker.trainer.lr"]


@pytest.mark.slow
def test_the_lm_epoch_report_prunes_trials_that_fall_behind(monkeypatch):
    """The fake LM training reports a score that grows with the learning rate for 3 epochs, then
    trains the real (tiny) LM; a pruned trial stops at the epoch Optuna pruned it."""
    pytest.importorskip("optuna")
    real = pipeline_module.train_reranker
    epochs: dict[float, list[int]] = {}

    def reporting(cfg, generator, train, catalog, valid, progress=False, on_epoch=None):
        lr = cfg.reranker.trainer.lr
        for epoch in (1, 2, 3):
            epochs.setdefault(lr, []).append(epoch)
            if on_epoch is not None:
                on_epoch(epoch, lr)  # may raise optuna.TrialPruned
        return real(cfg, generator, train, catalog, valid, progress)

    monkeypatch.setattr(pipeline_module, "train_reranker", reporting)
    cfg = config("""[search]
kind = "optuna"
sampler = "random"
trials = 5
startup_trials = 1
seed = 0
[search.space]
"reranker.trainer.lr" = {low = 1e-5, high = 1e-2, log = true}
""")
    result = search_train(cfg).result
    pruned = [t for t in result.trials if t.state == "PRUNED"]
    done = [t for t in result.trials if t.state == "COMPLETE"]
    assert pruned and done
    assert all(t.value is None and len(epochs[t.params["reranker.trainer.lr"]]) < 3 for t in pruned)
    assert all(epochs[t.params["reranker.trainer.lr"]] == [1, 2, 3] for t in done)
    assert result.best_params in [t.params for t in done]


def test_a_bad_dotted_path_names_itself_and_the_fix(tmp_path):
    with pytest.raises(ConfigError, match=r"'candidates\.als\.factor'.*did you mean 'candidates\.als\.factors'"):
        config('[search]\n[search.space]\n"candidates.als.factor" = [4, 8]\n')
    with pytest.raises(ConfigError, match=r"'reranker\.trainer\.lr\.x'.*reranker\.trainer\.lr is a single value"):
        config('[search]\n[search.space]\n"reranker.trainer.lr.x" = [4, 8]\n')
    with pytest.raises(ConfigError, match=r"\['candidates\.als\.factors'\] are ranges; they need \[search\] kind"):
        config('[search]\n[search.space]\n"candidates.als.factors" = {low = 4, high = 8}\n')
    with pytest.raises(ConfigError, match=r"search\.space\['candidates\.als\.factors'\] = 0"):
        config('[search]\n[search.space]\n"candidates.als.factors" = [0, 8]\n')
    path = tmp_path / "train.toml"  # the command line says so in one line, before any work
    path.write_text(BASE + '[search]\n[search.space]\n"candidates.als.factor" = [4, 8]\n')
    result = CliRunner().invoke(app, ["train", "--config", str(path), "--out", str(tmp_path / "store")])
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, result.output
    assert "did you mean 'candidates.als.factors'" in result.output and not (tmp_path / "store").exists()


def test_unquoted_dotted_keys_mean_the_same_paths_and_configs_round_trip():
    quoted = config('[search]\nkind = "optuna"\n[search.space]\n"candidates.als.factors" = [4, 8]\n'
                    '"reranker.trainer.lr" = {low = 1e-4, high = 1e-3, log = true}\n')  # fmt: skip
    bare = config('[search]\nkind = "optuna"\n[search.space]\ncandidates.als.factors = [4, 8]\n'
                  "reranker.trainer.lr = {low = 1e-4, high = 1e-3, log = true}\n")  # fmt: skip
    assert quoted == bare and TrainConfig.from_dict(tomllib.loads(quoted.to_toml())) == quoted
    with pytest.raises(ConfigError, match="train_with_search"):
        train_pipeline(quoted)  # one fixed point only: a search is never silently skipped


@pytest.mark.slow
def test_trials_never_fit_on_the_rows_that_score_them(monkeypatch):
    """Early stopping and the fusion weights read each user's second last interaction, fits and
    refits never see the last, and the trial's value is the NDCG@10 on exactly those last rows."""
    cfg = config('[search]\n[search.space]\n"candidates.als.factors" = [8]\n')
    dataset = build_dataset(cfg.dataset)
    outer = leave_last_out(dataset.interactions)
    held_out = rows_of(outer.test)
    calls: list[tuple[HybridPipeline, Interactions, Interactions]] = []
    refits: list[Interactions] = []
    fit, refit = HybridPipeline.fit, HybridPipeline.refit

    def spy_fit(self, train, catalog=None, **kwargs):
        calls.append((self, train, kwargs["valid"]))
        return fit(self, train, catalog, **kwargs)

    def spy_refit(self, rows):
        refits.append(rows)
        return refit(self, rows)

    monkeypatch.setattr(HybridPipeline, "fit", spy_fit)
    monkeypatch.setattr(HybridPipeline, "refit", spy_refit)
    monkeypatch.setitem(sys.modules, "optuna", None)  # the grid needs no Optuna; Optuna names its extra
    with pytest.raises(MissingExtraError, match="'tune' extra"):
        search_train(
            config('[search]\nkind = "optuna"\n[search.space]\n"candidates.als.factors" = [8]\n'), dataset=dataset
        )
    found = search_train(cfg, dataset=dataset)
    ((pipe, train, valid),), (rows,) = calls, refits
    assert len(valid) and rows_of(valid) == rows_of(outer.valid)
    assert not held_out & rows_of(train) and not held_out & rows_of(valid) and not held_out & rows_of(rows)
    users = pipe.generator.users.to_internal(outer.test.users.to_external(np.unique(outer.test.user)))
    seen = pipe.generator.seen(users)
    top = pipe.recommend_internal(users, 10, seen)
    targets = outer.test.to_csr("binary")[np.unique(outer.test.user)]
    expected = float(np.nanmean(ranking_metrics(top.items, targets, [10])["ndcg@10"]))
    assert found.result.trials[0].value == pytest.approx(expected)
    assert found.scored_users == len(np.unique(outer.test.user))
