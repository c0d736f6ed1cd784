"""`Recommendation` and the `Explainer`: ranked internal items -> explained results in external ids.

The one place where the pipeline's results leave internal ids: every public recommendation
(recommend, rerank, the popularity fallback, unscored candidates) is built here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from hybrid_rec.data.ids import IdMap

NOT_CF = frozenset({"lm", "request"})  # features that are not a first-stage source's score


@dataclass(frozen=True)
class Recommendation:
    """One recommended item with its explanation.

    ``cf_scores``: each CF source's own score for the item (those that can score it); ``sources``:
    which first-stage lists proposed it (``"caller"`` for a candidate passed to `rerank`), plus
    ``"request"`` when the user's request matched it; a tuple everywhere in Python (DataFrame cells
    too), a list in JSON."""

    user_id: object
    item_id: object
    rank: int
    score: float
    lm_score: float
    cf_scores: dict[str, float]
    sources: tuple[str, ...]
    instruction: str
    item_text: str = ""


class Explainer:
    """Builds `Recommendation`s from one user's ranked internal items and the features behind them."""

    def __init__(self, items: IdMap, describe: Callable[[object], str]) -> None:
        self.items, self.describe = items, describe

    def item_text(self, item: int) -> str:
        return self.describe(self.items.to_external([item])[0])

    def ranked(
        self,
        user_id: object,
        ranked: np.ndarray,
        candidates: np.ndarray,
        features: dict[str, np.ndarray],
        fused: np.ndarray,
        instruction: str,
        proposed: dict[str, np.ndarray] | None = None,
    ) -> list[Recommendation]:
        """`ranked` internal items (-1 ends the list), each found in the user's `candidates` row [1, N],
        whose `features` (``"lm"`` and the CF sources, [1, N]) and `fused` scores explain it;
        `proposed` = the first-stage lists' own scores [1, N] (NaN: did not propose it; None: the
        caller's candidates)."""
        recs = []
        for r, item in enumerate(ranked):
            if item < 0:
                break
            j = int(np.flatnonzero(candidates.ravel() == item)[0])
            cf = {n: float(v[0, j]) for n, v in features.items() if n not in NOT_CF and not np.isnan(v[0, j])}
            if proposed is None:
                by: tuple[str, ...] = ("caller",)
            else:
                by = tuple(n for n, v in proposed.items() if n != "intent" and not np.isnan(v[0, j]))
            asked = "request" in features and features["request"][0, j] > 0  # the request matched it
            recs.append(
                Recommendation(
                    user_id,
                    self.items.to_external([item])[0],
                    r + 1,
                    float(fused.ravel()[j]),
                    float(features["lm"][0, j]),
                    cf,
                    (*by, "request") if asked else by,
                    instruction,
                    self.item_text(int(item)),
                )
            )
        return recs

    def unscored(
        self, user_id: object, item_ids: Sequence[object], after: int, instruction: str
    ) -> list[Recommendation]:
        """Candidates the model cannot score (unknown ids), ranked after the first `after`, score NaN."""
        nan = float("nan")
        return [
            Recommendation(user_id, ext, after + r + 1, nan, nan, {}, (), instruction)
            for r, ext in enumerate(item_ids)
        ]
