"""Candidate generation: collaborative-filtering models and retrieval over their vectors."""

from hybrid_rec.candidates.als import ALSConfig, ALSModel

__all__ = ["ALSConfig", "ALSModel"]
