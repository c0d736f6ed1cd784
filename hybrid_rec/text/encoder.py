"""The `TextEncoder` protocol and the helpers every encoder shares.

An encoder turns item text (titles, genres, descriptions) and user requests into unit vectors, so a
request can be matched to items by a dot product without the reranker having seen the phrasing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from hybrid_rec.errors import ConfigError

DEFAULT_BATCH_SIZE = 64


@runtime_checkable
class TextEncoder(Protocol):
    """Texts -> float32 ``[n, dim]`` rows of unit L2 norm (an empty text gives a zero row).

    ``batch_size=None`` uses the encoder's configured batch size; results do not depend on it
    (beyond float rounding). ``progress=True`` shows a bar over the batches; silent otherwise.
    """

    name: str
    dim: int

    def encode(self, texts: Sequence[str], *, batch_size: int | None = None, progress: bool = False) -> np.ndarray:
        """Encode `texts` in order."""
        ...


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm in place (float32); all-zero rows stay zero."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    np.divide(vectors, norms, out=vectors, where=norms > 0)
    return vectors


def check_texts(texts: Sequence[str]) -> list[str]:
    """`texts` as a list of str (None or NaN -> ""), rejecting a lone string, which would otherwise
    be encoded one character at a time."""
    if isinstance(texts, str):
        raise ConfigError("encode() takes a sequence of texts, not a single string: wrap it in a list")
    return [t if isinstance(t, str) else "" if t is None or _missing(t) else str(t) for t in texts]


def _missing(value: object) -> bool:
    """NaN, pd.NA, NaT: a missing catalog field."""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # array-likes: not a missing scalar
        return False
