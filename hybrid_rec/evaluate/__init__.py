"""Evaluation: full-ranking metrics, the bootstrap, and the `compare` harness.

The harness lives in `hybrid_rec.evaluate.compare` (imported on demand, since it pulls in every
stage); this package's top level only exposes the metrics, which any stage may use.
"""

from hybrid_rec.evaluate.metrics import (
    TopK,
    candidate_recall,
    coverage,
    paired_bootstrap,
    ranking_metrics,
    topk_from_scores,
)

__all__ = ["TopK", "candidate_recall", "coverage", "paired_bootstrap", "ranking_metrics", "topk_from_scores"]
