"""`[search]`: the grid, or Optuna (seeded TPE, ranges, pruning on the LM's per-epoch validation)."""

from __future__ import annotations

import json

import pytest

from hybrid_rec.errors import ConfigError
from hybrid_rec.evaluate.compare import CompareConfig, run_compare
from hybrid_rec.evaluate.methods import FitContext, GPT2Method
from hybrid_rec.evaluate.search import SearchConfig, grid_points, optuna_search
from hybrid_rec.pipeline import LMStageConfig
from tests.evaluate.test_compare import LM_METHOD, SMALL


def test_ranges_need_optuna():
    with pytest.raises(ConfigError, match="need \\[search\\] kind = 'optuna'"):
        grid_points("als", {"factors": {"low": 4, "high": 16}})
    assert len(grid_points("x", {"a": [1, 2], "b": [3, 4, 5]})) == 6
    with pytest.raises(ValueError, match="need"):
        CompareConfig.from_dict({**SMALL, "methods": {"als": {"factors": {"low": 4, "high": 16}}}})


def test_an_optuna_search_in_compare_is_seeded_and_reported(tmp_path):
    cfg = {
        **SMALL,
        "evaluation": {"bootstrap": 50},
        "search": {"kind": "optuna", "trials": 6, "seed": 3, "startup_trials": 2},
        "methods": {"als": {"factors": {"low": 4, "high": 16}, "regularization": {"low": 0.01, "high": 1.0, "log": True},
                            "iterations": [3, 5]}},
    }  # fmt: skip
    a = run_compare(CompareConfig.from_dict(cfg), tmp_path / "a", progress=False)["methods"]["als"]
    b = run_compare(CompareConfig.from_dict(cfg), tmp_path / "b", progress=False)["methods"]["als"]
    assert a["search"]["trials"] == b["search"]["trials"] and len(a["search"]["trials"]) == 6  # seeded
    values = [t["value"] for t in a["search"]["trials"]]
    best = max(range(6), key=lambda i: values[i])
    assert a["valid"]["ndcg@10"] == pytest.approx(values[best])
    chosen = a["search"]["trials"][best]["params"]
    assert {k: a["params"][k] for k in chosen} == pytest.approx(chosen)
    assert 4 <= a["params"]["factors"] <= 16 and a["params"]["iterations"] in (3, 5)
    assert (tmp_path / "a" / "search.png").is_file() and "optuna: 6 trials" in (tmp_path / "a" / "report.md").read_text()
    json.loads((tmp_path / "a" / "report.json").read_text())  # serialisable


def test_trials_that_fall_behind_are_pruned():
    """A trial reports a value per step; the median pruner stops those below the others' median."""

    def objective(point, report):
        for step in range(1, 6):
            report(step, point["x"] * step)
        return point["x"] * 5

    result = optuna_search("toy", {"x": {"low": 0.0, "high": 1.0}}, objective,
                           SearchConfig(kind="optuna", trials=20, seed=0, startup_trials=3))  # fmt: skip
    pruned = [t for t in result.trials if t.state == "PRUNED"]
    assert pruned and all(t.value is None for t in pruned)
    assert result.best_value == max(t.value for t in result.trials if t.value is not None)


@pytest.mark.slow
def test_lm_training_reports_every_epoch_to_the_search(synthetic):
    from hybrid_rec.data import leave_last_out

    split = leave_last_out(synthetic.interactions)
    seen: list[tuple[int, float]] = []
    cfg = LMStageConfig.from_dict(LM_METHOD)
    GPT2Method(cfg).fit(split.train, FitContext(split.test, synthetic.catalog, report=lambda e, v: seen.append((e, v))))
    assert [e for e, _ in seen] == [1, 2] and all(0 <= v <= 1 for _, v in seen)


def test_a_repeated_point_reuses_the_first_result_instead_of_training_again():
    """Seeded training gives a point the same result every time: a trial the sampler repeats (common
    with a few choices) is answered from the first, pruned or not, without calling the objective."""
    calls: list[dict] = []

    def objective(point, report):
        calls.append(point)
        for step in range(1, 4):
            report(step, point["x"] * step)
        return float(point["x"] * 3)

    result = optuna_search("toy", {"x": [1, 2, 3]}, objective,
                           SearchConfig(kind="optuna", trials=12, seed=0, startup_trials=2, pruning_warmup=0))  # fmt: skip
    assert len(calls) == len({c["x"] for c in calls}) <= 3  # each point trained at most once
    repeats = [t for t in result.trials if t.repeat_of is not None]
    assert len(repeats) == 12 - len(calls) and result.summary("optuna")["repeats"] == len(repeats)
    for t in repeats:
        first = result.trials[t.repeat_of]
        assert first.params == t.params and (t.state, t.value) == (first.state, first.value)


def test_no_trial_is_pruned_before_the_warmup():
    """A trial that starts slowly (a low learning rate) is not judged on its first epochs."""

    def objective(point, report):
        for step in range(1, 4):
            report(step, point["x"] if step == 1 else 1.0)  # the first epoch differs; the rest are equal
        return 1.0

    space = {"x": {"low": 0.0, "high": 1.0}}
    warm = optuna_search("toy", space, objective,
                         SearchConfig(kind="optuna", trials=12, seed=0, startup_trials=2, pruning_warmup=2))  # fmt: skip
    assert not [t for t in warm.trials if t.state == "PRUNED"]
    cold = optuna_search("toy", space, objective,
                         SearchConfig(kind="optuna", trials=12, seed=0, startup_trials=2, pruning_warmup=0))  # fmt: skip
    assert [t for t in cold.trials if t.state == "PRUNED"]  # the same search without the warm-up prunes
