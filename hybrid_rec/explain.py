"""`Recommendation` and the `Explainer`: ranked internal items -> explained results in external ids.

The one place where the pipeline's results leave internal ids: every public recommendation
(recommend, rerank, the popularity fallback, unscored candidates) is built here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hybrid_rec.data.ids import IdMap
from hybrid_rec.rerank.ranker import CONTEXT_FEATURES
from hybrid_rec.text.intent import Intent

NOT_CF = frozenset({"lm", "request", *CONTEXT_FEATURES})  # features that are not a first-stage source's score


@dataclass(frozen=True)
class Recommendation:
    """One recommended item with its explanation.

    ``cf_scores``: each CF source's own score for the item (those that can score it); ``session_scores``: how
    close it is to what this session reacted to (``liked_cf``, ``disliked_text``, ...: the session features the
    ranking read; empty without reactions); ``sources``:
    which first-stage lists proposed it (``"caller"`` for a candidate passed to `rerank`), plus
    ``"request"`` when the user's request matched it; a tuple everywhere in Python (DataFrame cells
    too), a list in JSON. ``reasons``: why it is there, in words ("matches your request: Comedy",
    "often chosen by people who chose Toy Story (1995)"), strongest first."""

    user_id: object
    item_id: object
    rank: int
    score: float
    lm_score: float
    cf_scores: dict[str, float]
    sources: tuple[str, ...]
    instruction: str
    item_text: str = ""
    reasons: tuple[str, ...] = ()
    session_scores: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class RequestReading:
    """How a request was read, returned with every list it steered, so that a user (or a client) can
    tell "understood, and this is what it asked" from "not understood: ranked as without a request".

    ``asked_for`` / ``excluded``: catalog values (categories, genres) the request names for or
    against; ``years`` / ``excluded_years``: a period asked for or rejected (inclusive years);
    ``like`` / ``unlike``: item ids of titles it names; ``similarity``: how sure, per value read (the
    cosine of the clause to the value's closest text; periods and titles are read by pattern);
    ``tentative``: the values of ``asked_for`` read below the sure threshold (a need in words the
    catalog does not use: a guess); ``avoided``: values rejected without enough certainty to remove them,
    each with how much its items are lowered (P(rejected)); ``probabilities``: the learned reader's
    (value, P(wanted), P(rejected)) for every value the request may be about (empty with the rules);
    ``note``: what happened, in words."""

    text: str
    understood: bool
    asked_for: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    years: tuple[float, float] | None = None
    excluded_years: tuple[float, float] | None = None
    like: tuple[object, ...] = ()
    unlike: tuple[object, ...] = ()
    note: str = ""
    similarity: tuple[tuple[str, float], ...] = ()
    tentative: tuple[str, ...] = ()
    avoided: tuple[tuple[str, float], ...] = ()
    probabilities: tuple[tuple[str, float, float], ...] = ()

    @classmethod
    def of(cls, text: str, intent: Intent | None, parsed: bool = True) -> RequestReading:
        """The reading of `text` from its parsed `intent` (None or empty: nothing understood);
        `parsed` = False when this model does not read requests (no catalog, or requests disabled): only
        the LM reads its words then. A request the reader understood nothing of is no request for the LM
        either."""
        if not parsed:
            return cls(text, False, note="this model does not parse requests (no catalog, or requests.enabled is "
                                         "false): only the LM read the words")  # fmt: skip
        if intent is None or intent.empty:
            if intent is not None and intent.negated:
                return cls(text, False, note="rejects something this catalog's categories, periods and titles do not "
                                             "clearly name: nothing excluded; ranked as without a request")  # fmt: skip
            return cls(text, False, note="named no category, period or title this catalog knows: ranked as "
                                         "without a request")  # fmt: skip
        probabilities = tuple((r.value, round(r.wanted, 3), round(r.rejected, 3)) for r in intent.stance)
        return cls(text, True, intent.include, intent.exclude, intent.years, intent.exclude_years,
                   intent.like, intent.unlike, _said(intent), intent.similarity, intent.tentative, intent.avoid,
                   probabilities)  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (lists, not tuples; numpy ids as Python ids)."""
        plain = lambda xs: [x.item() if isinstance(x, np.generic) else x for x in xs]  # noqa: E731
        return {
            "text": self.text, "understood": self.understood, "asked_for": list(self.asked_for),
            "excluded": list(self.excluded), "years": list(self.years) if self.years else None,
            "excluded_years": list(self.excluded_years) if self.excluded_years else None,
            "like": plain(self.like), "unlike": plain(self.unlike), "note": self.note,
            "similarity": dict(self.similarity), "tentative": list(self.tentative), "avoided": dict(self.avoided),
            "probabilities": {v: {"wanted": w, "rejected": r} for v, w, r in self.probabilities},
        }  # fmt: skip


def _said(intent: Intent) -> str:
    """The reading in words: "asked for Comedy; excluded Horror; from 1990 to 1999"."""
    span = lambda ys: f"{int(ys[0])} to {int(ys[1])}"  # noqa: E731
    parts = [
        f"asked for {', '.join(intent.include)}" if intent.include else "",
        f"a guess for {', '.join(intent.tentative)}: the words are close to no category" if intent.tentative else "",
        f"excluded {', '.join(intent.exclude)}" if intent.exclude else "",
        f"ranked lower (a rejection not sure enough to exclude): {', '.join(v for v, _ in intent.avoid)}"
        if intent.avoid else "",
        f"from {span(intent.years)}" if intent.years else "",
        f"not from {span(intent.exclude_years)}" if intent.exclude_years else "",
        f"like {', '.join(map(str, intent.like))}" if intent.like else "",
        f"unlike {', '.join(map(str, intent.unlike))}" if intent.unlike else "",
    ]
    return "; ".join(p for p in parts if p)


@dataclass(frozen=True)
class Evidence:
    """What the reasons of one user's list read, besides the features: the user's history (internal
    ids, oldest first), the request's intent, the session's "more like" items (external ids), each
    item's categories and year, the CF model's item vectors (their cosine: co-consumption similarity;
    None: none), whether an item is new (no interactions in the fit) and which recent history item it
    was most often chosen right after, when the counts support it (None: none; `TransitionsConfig.reason_pairs`,
    `reason_lift`), and whether it is in the head of popularity (the top tenth of items by interactions)."""

    history: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    intent: Intent | None = None
    categories: Callable[[int], tuple[str, ...]] = lambda item: ()
    item_vectors: np.ndarray | None = None
    years: Callable[[int], float] = lambda item: float("nan")
    is_new: Callable[[int], bool] = lambda item: False
    after: Callable[[int], int | None] = lambda item: None
    is_popular: Callable[[int], bool] = lambda item: False  # in the head: the top tenth of items by interactions


class Explainer:
    """Builds `Recommendation`s from one user's ranked internal items and the features behind them."""

    def __init__(self, items: IdMap, describe: Callable[[object], str], session: frozenset[str] = frozenset()) -> None:
        self.items, self.describe, self.session = items, describe, session  # session: the session features' names

    def reasons(self, item: int, by: tuple[str, ...], evidence: Evidence) -> tuple[str, ...]:
        """Why candidate `item` (proposed by the lists `by`) is in the list, in words: what of
        the request it matches, the history item it is most often chosen with, or only its
        popularity. Nothing here reads the other candidates: an item's reasons are the same in any list
        (except which lists proposed it)."""
        out: list[str] = []
        intent = evidence.intent
        if intent is not None:
            asked = [c for c in evidence.categories(item) if c in intent.include]
            if asked:
                out.append(f"matches your request: {', '.join(asked)}")
            year = evidence.years(item)
            if intent.years is not None and intent.years[0] <= year <= intent.years[1]:
                out.append(f"from the years you asked for ({int(year)})")
            like = [i for i in intent.like if i in self.items]
            if like and evidence.item_vectors is not None:
                best = self._closest(item, self.items.to_internal(like), evidence.item_vectors)
                if best is not None:
                    out.append(f"like {self.item_text(best)}, as you asked")
        followed = evidence.after(item)
        if followed is not None:
            out.append(f"often chosen right after {self.item_text(followed)}")
        if len(evidence.history) and evidence.item_vectors is not None:
            best = self._closest(item, evidence.history[-50:], evidence.item_vectors, floor=0.3)
            if best is not None:
                out.append(f"often chosen by people who chose {self.item_text(best)}")
        if evidence.is_new(item):
            out.append("new here: nobody has chosen it yet")
        if by == ("popularity",) and evidence.is_popular(item):
            out.append("popular with everyone")
        return tuple(out)

    @staticmethod
    def _closest(item: int, among: np.ndarray, vectors: np.ndarray, floor: float = -1.0) -> int | None:
        """The item of `among` (internal ids) most similar to `item` (cosine of unit `vectors`, at least
        `floor`), never `item` itself; None when there is none."""
        among = np.asarray(among, np.int64)
        among = among[(among != item) & (among >= 0) & (among < len(vectors))]
        if not len(among) or item >= len(vectors):
            return None
        rows = vectors[among].astype(np.float64)
        rows /= np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
        own = vectors[item].astype(np.float64)
        sims = rows @ (own / max(float(np.linalg.norm(own)), 1e-12))
        best = int(np.argmax(sims))
        return int(among[best]) if sims[best] >= floor else None

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
        evidence: Evidence | None = None,
    ) -> list[Recommendation]:
        """`ranked` internal items (-1 ends the list), each found in the user's `candidates` row [1, N],
        whose `features` (``"lm"`` and the CF sources, [1, N]) and `fused` scores explain it;
        `proposed` = the first-stage lists' own scores [1, N] (NaN: did not propose it; None: the
        caller's candidates); `evidence`: what the reasons in words read (None: no reasons)."""
        recs = []
        for r, item in enumerate(ranked):
            if item < 0:
                break
            j = int(np.flatnonzero(candidates.ravel() == item)[0])
            scored = {n: float(v[0, j]) for n, v in features.items() if n not in NOT_CF and not np.isnan(v[0, j])}
            cf = {n: v for n, v in scored.items() if n not in self.session}
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
                    () if evidence is None else self.reasons(int(item), by, evidence),
                    {n: v for n, v in scored.items() if n in self.session},
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
