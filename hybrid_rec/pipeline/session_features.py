"""A session's reactions as per-candidate features and candidates: what was liked, passed over or disliked.

Each candidate gets, per reaction kind, its similarity to the items of that kind in the session, in
three spaces: the ALS item factors (``*_cf``: used together), the catalog text vectors (``*_text``:
described alike) and the catalog's categories (``*_cat``: cosine of the category multi-hot, e.g.
genres shared). ``liked`` = clicked (the session's recent items) and "more like" items, maximum
similarity; ``passed`` = shown and passed over, mean similarity; ``disliked`` = "less like" items,
maximum similarity. A row without reactions of a kind has NaN there (the fusion's floor, the same for
every candidate of the row: no effect on its order). How much each moves the list is a fusion weight
fitted on simulated validation rounds (`pipeline.fitting`), never a fixed constant. A feature reads
only the candidate and the session, never the other candidates, so the one scoring path holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from hybrid_rec.topk import TopK, topk_from_scores

__all__ = ["SESSION_FEATURES", "SessionVectors"]

KINDS = ("liked", "passed", "disliked")
SPACES = ("cf", "text", "cat")
SESSION_FEATURES = tuple(f"{kind}_{space}" for kind in KINDS for space in SPACES)


def _unit(vectors: np.ndarray) -> np.ndarray:
    v = np.asarray(vectors, np.float32)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return np.divide(v, norms, out=np.zeros_like(v), where=norms > 0)


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """[len(a), len(b)] dot products, each summed on its own (not a matrix product, whose rounding
    depends on the other rows): a candidate's feature is bit-for-bit the same in any list."""
    return (a.astype(np.float64)[:, None, :] * b.astype(np.float64)[None, :, :]).sum(axis=2)


@dataclass(frozen=True)
class SessionVectors:
    """Unit item vectors [n_items, d] of the spaces (``text`` / ``cat`` None without a catalog or
    without a category field)."""

    cf: np.ndarray
    text: np.ndarray | None
    cat: np.ndarray | None = None

    @classmethod
    def of(cls, cf: np.ndarray, text: np.ndarray | None, cat: np.ndarray | None = None) -> SessionVectors:
        return cls(_unit(cf), None if text is None else _unit(text), None if cat is None else _unit(cat))

    def _spaces(self) -> dict[str, np.ndarray | None]:
        return {"cf": self.cf, "text": self.text, "cat": self.cat}

    def features(self, reactions: Sequence[dict[str, np.ndarray]], items: np.ndarray) -> dict[str, np.ndarray]:
        """The session features of candidate `items` [rows, N] (internal ids, -1 padding): one
        reactions dict per row (``liked`` / ``passed`` / ``disliked`` -> internal ids)."""
        out = {name: np.full(items.shape, np.nan) for name in SESSION_FEATURES}
        valid = items >= 0
        for r, react in enumerate(reactions):
            cand = items[r][valid[r]]
            for kind in KINDS:
                ids = react.get(kind, np.empty(0, np.int64))
                if not len(ids) or not len(cand):
                    continue
                for space, vectors in self._spaces().items():
                    if vectors is None:
                        continue
                    n = len(vectors)
                    ok_ids, ok_cand = ids[(ids >= 0) & (ids < n)], cand < n
                    if not len(ok_ids):
                        continue
                    sims = _cosines(vectors[np.where(ok_cand, cand, 0)], vectors[ok_ids])
                    value = sims.mean(axis=1) if kind == "passed" else sims.max(axis=1)
                    row = np.full(len(cand), np.nan)
                    row[ok_cand] = value[ok_cand]
                    out[f"{kind}_{space}"][r, valid[r]] = row
        return out

    def candidates(self, liked: Sequence[np.ndarray], exclude: sp.csr_matrix, n: int) -> TopK | None:
        """Up to `n` items per row most like the row's liked items (the mean of the spaces' maximum
        similarity), never an `exclude`d one; None when no row liked anything."""
        rows = [r for r, ids in enumerate(liked) if len(ids)]
        if not rows or n <= 0:
            return None
        n_items = exclude.shape[1]
        scores = np.full((len(liked), n_items), np.nan)
        spaces = [v for v in self._spaces().values() if v is not None]
        width = min([n_items, *(len(v) for v in spaces)])
        for r in rows:
            parts = [v[:width] @ v[liked[r][liked[r] < width]].T for v in spaces]
            parts = [p.max(axis=1) for p in parts if p.shape[1]]
            if parts:
                scores[r, :width] = np.mean(parts, axis=0)
        return topk_from_scores(scores, min(n, n_items), exclude)
