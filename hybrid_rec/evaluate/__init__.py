"""Evaluation: full-ranking metrics, the bootstrap, and the `compare` harness."""

from hybrid_rec.evaluate.compare import CompareConfig, run_compare
from hybrid_rec.evaluate.methods import METHODS, Method
from hybrid_rec.evaluate.metrics import (
    TopK,
    candidate_recall,
    coverage,
    paired_bootstrap,
    ranking_metrics,
    topk_from_scores,
)

__all__ = [
    "METHODS",
    "CompareConfig",
    "Method",
    "TopK",
    "candidate_recall",
    "coverage",
    "paired_bootstrap",
    "ranking_metrics",
    "run_compare",
    "topk_from_scores",
]
