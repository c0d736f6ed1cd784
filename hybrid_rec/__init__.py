"""hybrid_rec: a hybrid collaborative-filtering + language-model recommender."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hybrid_rec.errors import ConfigError, DataError, HybridRecError, NotFittedError, UnknownIdError

if TYPE_CHECKING:
    from hybrid_rec.api import HybridRecommender

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "DataError",
    "HybridRecError",
    "HybridRecommender",
    "NotFittedError",
    "UnknownIdError",
    "__version__",
]


def __getattr__(name: str) -> Any:
    """`HybridRecommender` is imported on first use (it pulls in torch and transformers)."""
    if name == "HybridRecommender":
        from hybrid_rec.api import HybridRecommender

        return HybridRecommender
    raise AttributeError(f"module 'hybrid_rec' has no attribute {name!r}")
