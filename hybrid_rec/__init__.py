"""hybrid_rec: a hybrid collaborative-filtering + language-model recommender."""

from hybrid_rec.errors import ConfigError, DataError, HybridRecError, NotFittedError, UnknownIdError

__version__ = "0.1.0"

__all__ = ["ConfigError", "DataError", "HybridRecError", "NotFittedError", "UnknownIdError", "__version__"]
