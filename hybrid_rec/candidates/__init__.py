"""Candidate generation: ALS, a FAISS item index, candidate sources, blending."""

from hybrid_rec.candidates.als import ALSConfig, ALSModel
from hybrid_rec.candidates.generator import CandidateGenerator, CandidatesConfig, UserCandidates
from hybrid_rec.candidates.index import IndexConfig, ItemIndex
from hybrid_rec.candidates.sources import BlendConfig, Candidates, ItemKNNConfig, blend

__all__ = [
    "ALSConfig",
    "ALSModel",
    "BlendConfig",
    "CandidateGenerator",
    "Candidates",
    "CandidatesConfig",
    "IndexConfig",
    "ItemIndex",
    "ItemKNNConfig",
    "UserCandidates",
    "blend",
]
