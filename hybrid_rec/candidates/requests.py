"""Requests as a first-stage signal: parsed intents add matching candidates, a match feature and
exclusions, so that a request moves the list even for phrasings the LM never saw in training.

`RequestStage` reads each request into an `Intent` (``hybrid_rec.text.intent``). For a positive
intent it proposes the matching items the user has not seen, ranked for that user by ALS (by
popularity for a user the model lacks; items without interactions, which ALS cannot rank, after
them), so that the candidates hold enough of what was asked for; for every candidate it gives the
match score (the ``"request"`` fusion feature) and whether the intent excludes it ("no horror").
An empty or nonsense request reads as no request.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from pydantic import Field

from hybrid_rec.candidates.als import ALSModel
from hybrid_rec.config import StrictModel
from hybrid_rec.data.catalog import ItemCatalog
from hybrid_rec.data.ids import IdMap
from hybrid_rec.text import TextEncoder, TextEncoderConfig
from hybrid_rec.text.config import shared_encoder
from hybrid_rec.text.intent import Intent, IntentConfig
from hybrid_rec.text.matcher import IntentMatcher
from hybrid_rec.topk import TopK


class RequestsConfig(StrictModel):
    """How explicit requests act on the list (they need a catalog; without one they are ignored)."""

    enabled: bool = Field(True, description="Read requests into intents (False: a request only changes the LM prompt).")
    candidates: int = Field(
        50, ge=0, description="Matching items added to the candidates of a request (0: none added)."
    )
    weight: float = Field(
        2.0, ge=0, description="Blend weight of the added candidates against the CF sources' (all 1 by default)."
    )
    intent: IntentConfig = Field(default_factory=IntentConfig, description="How requests are read.")
    encoder: TextEncoderConfig = Field(
        default_factory=TextEncoderConfig, description="The sentence encoder that matches requests to catalog values."
    )


class RequestStage:
    """Intents of requests over one catalog, for the first stage's current item id map (the encoder
    is loaded on first use; the matcher is rebuilt when the id map grows)."""

    def __init__(self, config: RequestsConfig, catalog: ItemCatalog | None) -> None:
        self.config, self.catalog = config, catalog
        self.items: IdMap | None = None
        self._matcher: IntentMatcher | None = None

    @property
    def encoder(self) -> TextEncoder:
        return shared_encoder(self.config.encoder.model_dump_json())

    def bind(self, items: IdMap) -> RequestStage:
        """Use `items` (the generator's id map) from now on."""
        if items is not self.items:
            self.items, self._matcher = items, None
        return self

    @property
    def matcher(self) -> IntentMatcher | None:
        if not self.config.enabled or self.catalog is None or self.items is None:
            return None
        if self._matcher is None:
            self._matcher = IntentMatcher(self.items, self.catalog, self.encoder, self.config.intent)
        return self._matcher

    def intents(self, requests: Sequence[str | None] | None, n: int) -> list[Intent | None]:
        """One intent per row (None where there is no request, or it names nothing)."""
        if requests is None or self.matcher is None:
            return [None] * n
        out: list[Intent | None] = []
        for r in requests:
            intent = self.matcher.parse(r) if r else None
            out.append(None if intent is None or intent.empty else intent)
        return out

    def candidates(
        self, als: ALSModel, popularity: np.ndarray, users: np.ndarray, intents: list[Intent | None],
        exclude: sp.csr_matrix,
    ) -> TopK | None:  # fmt: skip
        """Up to ``config.candidates`` unseen items per row with an intent, best first for the user:
        the best-matching ones for a positive intent, any not excluded for a negative one (so that
        exclusions never empty the list); None when no row has an intent."""
        matcher, n = self.matcher, self.config.candidates
        if matcher is None or n == 0 or all(i is None for i in intents):
            return None
        exclude = sp.csr_matrix(exclude)
        out_items = np.full((len(users), n), -1, np.int64)
        out_scores = np.full((len(users), n), np.nan)
        for r, intent in enumerate(intents):
            if intent is None:
                continue
            match, excluded = matcher.match(intent)
            match = np.nan_to_num(match, nan=1.0)  # a negative-only intent: every kept item matches
            ok = (match > 0) & ~excluded
            row = slice(exclude.indptr[r], exclude.indptr[r + 1])
            ok[exclude.indices[row][exclude.data[row] != 0]] = False  # seen / banned (explicit zeros do not exclude)
            cols = np.flatnonzero(ok)  # only the matching items are scored: no users x catalog array
            u = int(users[r])
            base = als.item_factors[cols] @ als.user_factors[u] if u >= 0 else popularity[cols].astype(np.float64)
            cold = popularity[cols] <= 0  # no interactions: ALS cannot rank them, so after the others
            base[cold] = (base[~cold].min() if (~cold).any() else 0.0) - 1.0
            key = match[cols] * 1e6 + base  # the best match first, then the user's taste
            order = np.lexsort((cols, -key))[:n]  # ties: the lower item id
            out_items[r, : len(order)], out_scores[r, : len(order)] = cols[order], key[order]
        return TopK(out_items, out_scores)

    def features(self, intents: list[Intent | None], items: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
        """(match score [rows, N] or None when no row asks for something, excluded [rows, N])."""
        excluded = np.zeros(items.shape, bool)
        matcher = self.matcher
        if matcher is None or all(i is None for i in intents):
            return None, excluded
        match = np.full(items.shape, np.nan)
        for r, intent in enumerate(intents):
            if intent is None:
                continue
            score, out = matcher.match(intent)
            valid = items[r] >= 0
            match[r, valid] = score[items[r, valid]]
            excluded[r, valid] = out[items[r, valid]]
        return match, excluded
