"""The multi-round task of `compare`: per kind, hit rate by round with CIs and the paired difference
with paging; the report's table and plot; the config's checks."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from hybrid_rec.evaluate.compare import CompareConfig, run_compare
from hybrid_rec.evaluate.rounds_task import RoundsTaskConfig, rounds_entry
from hybrid_rec.pipeline.rounds import RoundsOutcome
from tests.evaluate.test_compare import SMALL
from tests.factory import tiny, tiny_lm_stage


def _outcome(rounds: list[int], ranks: list[int]) -> RoundsOutcome:
    return RoundsOutcome(np.array(rounds), np.array(ranks), [])


def test_rounds_entry_counts_hits_by_round_and_pairs_them_with_paging():
    task = RoundsTaskConfig(rounds=3, compare_round=2)
    outcomes = {
        "paging": _outcome([0, -1, 2, -1], [1, 0, 3, 0]),
        "click": _outcome([0, 1, 1, -1], [1, 2, 1, 0]),
    }
    entry = rounds_entry(outcomes, task, 200, 0)
    assert entry["paging"]["hit_rate"] == [0.25, 0.25, 0.5]
    assert entry["click"]["hit_rate"] == [0.25, 0.75, 0.75]
    assert entry["click"]["gain"][1] == pytest.approx((1 + 1 / np.log2(3) + 1) / 4)
    vs = entry["click"]["vs_paging"]
    assert vs["round"] == 2 and vs["hit_rate_delta"] == pytest.approx(0.5) and vs["ratio"] == pytest.approx(3.0)
    low, high = vs["hit_rate_delta_ci95"]
    assert low <= 0.5 <= high
    assert "vs_paging" not in entry["paging"]


def test_the_config_checks_its_kinds_and_always_pages():
    assert RoundsTaskConfig(kinds=["click"]).kinds == ["paging", "click"]
    with pytest.raises(ValueError, match="feedback kinds"):
        RoundsTaskConfig(kinds=["shout"])


@pytest.mark.slow
def test_compare_reports_the_rounds_task_for_the_methods_that_read_sessions(tmp_path):
    cfg = {**SMALL, "evaluation": {"bootstrap": 200, "rounds": {"rounds": 3, "users": 40, "k": 5}},
           "methods": {"popularity": {}, "gpt2": tiny_lm_stage(), "hybrid": tiny()}}  # fmt: skip
    report = run_compare(CompareConfig.from_dict(cfg), tmp_path, progress=False)
    assert "rounds" not in report["methods"]["popularity"]  # reads no session
    for name in ("gpt2", "hybrid"):
        run = report["methods"][name]["rounds"]
        assert run["users"] == 40 and set(run["kinds"]) == {"paging", "click", "more_like", "less_like", "request",
                                                              "click+request"}  # fmt: skip
        for kind in run["kinds"].values():
            hits = kind["hit_rate"]
            assert len(hits) == 3 and all(a <= b for a, b in itertools.pairwise(hits))  # cumulative
    assert "session_fusion_weights" in report["methods"]["hybrid"]["learned"]
    text = (tmp_path / "report.md").read_text()
    assert "Multi-round task" in text and "| hybrid | click |" in text
    assert (tmp_path / "rounds.png").stat().st_size > 0
