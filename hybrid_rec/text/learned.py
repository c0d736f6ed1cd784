"""Catalog values read by the learned stance model, and decisions taken from its probabilities.

Which values a request may be about comes from the similarity of its clauses to each value's texts
(its name, aliases, what its items say: `IntentParser.scored_values`); how the request stands to
each of them comes from the stance model (`stance.StanceReader`), which reads the whole request with
the value as its target. Decisions (`decide`):

- a value is *excluded* (a hard filter) only when two signals agree: its rejection is probable (P(rejected)
  at least `IntentConfig.reject_probability`) **and** a clause that names it clearly (the strict similarity a
  rejection needs: `scored_values(..., negated=True)`) holds a negation cue (`clauses.pieces`: "no",
  "not", "without", "X-free", "X? no thanks", ...). The model alone is too often sure of a wrong sign on
  wordings it has not seen (an idiom, "right up my street"; a need told as a story, "the puppy keeps
  chewing the sofa"), and a hard filter leaves no room to be wrong;
- a value the request wants is asked for with a weight: how well its clause names it times P(wanted) =
  P(about) x P(wanted | about), so an unsure reading moves the list less than a clear one, and a value the
  request is only perhaps about ("love stories" and children's books) less than the one it is about;
- a rejection that is clear but not probable enough for an exclusion, or said without a cue ("X makes me
  gag"), is a soft one: items of the value are ranked lower by P(rejected) (`Intent.avoid`), never removed;
- a rejection of a value no clause names clearly and closely (`IntentConfig.reject_similarity`: reached
  only through what its items say, as a need is, or described: "something funny") is left alone: on the held-out sets every such reading lowered the wrong value ("nothing with
  vampires" lowering romance; a need told in complaints lowering what it needs);
- a value no clause names is left alone, whatever the model says; so is one the model reads the request as less
  likely about than not (`IntentConfig.about_probability`), for a wish as for a rejection.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

__all__ = ["Decision", "Stance", "ValueReading", "conflicting", "decide", "read_values"]


class Stance(Protocol):
    """What the reader needs of a stance model (`stance.StanceReader`; tests use a fixed one)."""

    def prime(self, requests: Sequence[str], others: Sequence[str] = ()) -> np.ndarray:
        """Prepare `requests` for `read`; return the sentence vectors of `others`."""
        ...

    def read(self, request: str, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(P(about) [m], P(wanted, rejected, mentioned | about) [m, 3]) toward each target vector."""
        ...


@dataclass(frozen=True)
class ValueReading:
    """How a request stands to one catalog value it may be about: P(about it), and P(wanted / rejected /
    only mentioned | about it); `wanted` and `rejected` are the unconditional probabilities."""

    value: str
    about: float
    given_wanted: float
    given_rejected: float
    given_mentioned: float
    weight: float  # how well a clause names it as a wish (1: its clause's best value; 0: not as a wish)
    clear: bool  # a clause names it clearly enough for an exclusion
    cued: bool = False  # ... and that clause holds a negation cue (an exclusion needs one)

    @property
    def wanted(self) -> float:
        return self.about * self.given_wanted

    @property
    def rejected(self) -> float:
        return self.about * self.given_rejected


@dataclass(frozen=True)
class Decision:
    """What the readings do to the list."""

    include: dict[str, float]  # value -> weight of its items' match (graded by P(wanted))
    exclude: tuple[str, ...]
    avoid: dict[str, float]  # value -> how much its items are lowered (P(rejected))


def read_values(
    stance: Stance,
    text: str,
    candidates: dict[str, tuple[float, bool, bool]],
    texts: dict[str, np.ndarray],
) -> list[ValueReading]:
    """The stance of `text` toward each candidate value (value -> (wish weight, clear, cued)); a value with
    several texts (`texts`: value -> unit rows) is read through the one the request is most about."""
    if not candidates:
        return []
    names = list(candidates)
    rows = np.vstack([texts[v] for v in names])
    owner = np.repeat(np.arange(len(names)), [len(texts[v]) for v in names])
    about, given = stance.read(text, rows)
    out = []
    for j, value in enumerate(names):
        best = int(np.flatnonzero(owner == j)[np.argmax(about[owner == j])])  # the text it is most about
        weight, clear, cued = candidates[value]
        wanted, rejected, mentioned = (float(x) for x in given[best])
        out.append(ValueReading(value, float(about[best]), wanted, rejected, mentioned, weight, clear, cued))
    return out


def conflicting(
    stance: Stance,
    text: str,
    readings: list[ValueReading],
    candidates: dict[str, tuple[float, bool, bool]],
    texts: dict[str, np.ndarray],
    named_in: dict[str, list[str]],
    clear_in: dict[str, list[str]],
    soft_probability: float,
    wish_probability: float,
    sign_margin: float,
) -> set[str]:
    """The values whose reading of the whole request `text` one of its clauses, read alone, contradicts; they
    are left alone. `named_in` / `clear_in`: value -> the clauses that name it / name it clearly.

    - A rejection of a value several clauses name, one of which alone wants it ("camping at the lake, no camping
      stove though");
    - a wish for a value a clause names clearly and, read alone, rejects ("please don't give me self-help, I'm
      not broken": a reason after a rejection turns the whole reading).

    Clauses are read only for readings that may conflict (their token states are encoded with the request's, by the
    parser; else one more encoder pass here)."""
    margin = max(sign_margin, 1e-9)
    rejected = [r for r in readings if r.rejected >= soft_probability and len(set(named_in[r.value])) > 1]
    wanted = [r for r in readings if r.clear and r.given_wanted >= wish_probability
              and r.given_wanted - r.given_rejected >= margin]  # fmt: skip
    alone = [c for r in rejected for c in named_in[r.value]] + [c for r in wanted for c in clear_in.get(r.value, ())]
    if alone := [c for c in dict.fromkeys(alone) if c != text]:
        stance.prime(alone)

    def read_alone(r: ValueReading, by: dict[str, list[str]]) -> list[ValueReading]:
        return [one for clause in dict.fromkeys(by.get(r.value, ())) if clause != text
                for one in read_values(stance, clause, {r.value: candidates[r.value]}, texts)]  # fmt: skip

    out = {r.value for r in rejected
           if any(one.given_wanted >= wish_probability and one.about >= 0.5 for one in read_alone(r, named_in))}  # fmt: skip
    return out | {r.value for r in wanted if any(
        one.about >= 0.5 and one.given_rejected - one.given_wanted >= margin for one in read_alone(r, clear_in))}  # fmt: skip


def decide(
    readings: list[ValueReading],
    reject_probability: float,
    soft_probability: float,
    wish_probability: float,
    sign_margin: float = 0.0,
    about_probability: float = 0.0,
) -> Decision:
    """Decisions from probabilities (module docstring); monotone: more probable, more effect.

    The similarity of the clauses already says a candidate may be about its value. A hard exclusion
    needs the model's P(rejected) = P(about) x P(rejected | about) to be high and the value clearly
    named in a clause with a negation cue; a soft rejection lowers items by P(rejected); a wish counts by the clause's similarity weight
    times P(about) x P(wanted | about) (on held-out set 3 this halved the wishes read with the wrong sign
    against P(wanted | about) alone: a runner-up value the request is hardly about no longer shares the
    list), while a value only mentioned ("my partner likes X") is not asked for. A
    rejection of a value named only unclearly does nothing: a cautious reading, not a wrong one. Neither a wish
    nor a rejection is read unless its side leads the other by `sign_margin` (P given about): a reading
    the model is torn on ("not in the mood for X" read 0.52 wanted, 0.48 rejected) moves nothing. A wish needs
    P(about) at least `about_probability`, as a rejection does through P(rejected) = P(about) x P(rejected | about):
    a value the request is less likely about than not ("no reggae please" and Hip-Hop: about 0.5, whatever the
    stance given about) is not asked for."""
    include: dict[str, float] = {}
    exclude: list[str] = []
    avoid: dict[str, float] = {}
    # a request asks for something: when no value is clearly wanted, what it is about and does not reject
    # ("an overnight hike in the woods": only mentioned) is what it asks for
    margin = max(sign_margin, 1e-9)  # a tie is never a reading
    wishes = any(r.given_wanted >= wish_probability and r.given_wanted - r.given_rejected >= margin for r in readings)
    for r in readings:
        wanted = r.given_wanted if wishes else r.given_wanted + r.given_mentioned
        lead = r.given_rejected - wanted  # > 0: rejected; < 0: wanted
        if abs(lead) < margin:
            continue  # torn: neither
        if r.rejected >= reject_probability and r.clear and r.cued and lead > 0:
            exclude.append(r.value)
        elif lead > 0 and r.rejected >= soft_probability and r.clear:
            avoid[r.value] = round(r.rejected, 2)
        elif lead < 0 and r.weight > 0 and wanted >= wish_probability and r.about >= about_probability:
            include[r.value] = round(r.weight * wanted * r.about, 2)
    return Decision(include, tuple(exclude), avoid)
