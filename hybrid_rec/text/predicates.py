"""Negated predicates ("X is not for me", "my X doesn't work anymore"): what they say of their subject.

`clauses` marks the subject of a negated predicate; whether it is rejected, needed or neither depends on
what the predicate says, which patterns cannot tell: "camping is not for me" rejects camping, "my
headphones don't work anymore" asks for new ones. `PredicateReader` compares the predicate, as said, with
built-in ways of saying each (`REJECTING`, `FAILING`) by sentence embedding. Dislike said without a
negation ("gardening wears me out", "I despise camping") is weighed the same way, against ways of saying
one likes a thing and ways of saying one dislikes it (`LIKING`, `DISLIKING`), and by the sentiment of its
words (VADER's lexicon, `vaderSentiment`: "it bores me to tears" is far from every phrasing of the banks
but its words are plainly negative). `resolve` turns the cut
request into (clause, negated) pairs, rejecting only what it is sure of.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

import numpy as np
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from hybrid_rec.text.clauses import Clause, alternatives
from hybrid_rec.text.encoder import TextEncoder

__all__ = ["DISLIKING", "FAILING", "LIKING", "PEOPLE", "REJECTING", "PredicateReader", "reference", "resolve"]

# How a negated predicate says "I do not want it" and how it says "mine does not do its job": the first
# rejects its subject ("camping is not for me"), the second is a need for a better one ("my headphones
# don't work anymore"). A predicate is read as the closer of the two.
REJECTING = (
    "is not for me", "isn't my thing", "doesn't interest me", "I don't want it", "I don't need it", "not what I want",
    "I don't like it", "not my style", "I'm not interested", "I have no use for it", "I can't stand it",
    "not my kind of thing", "it's not my taste", "not something I care about", "it bores me", "is not needed",
    "is no longer needed", "is the last thing I need", "I don't use it", "is not for us", "isn't to my liking",
    "I'm not keen on it", "I'm not into it", "is not my favourite", "I would never buy it", "I'm done with it",
    "is boring", "I don't care for it", "doesn't do anything for me", "is not my preference", "we don't want it",
)  # fmt: skip
FAILING = (
    "doesn't work", "is broken", "stopped working", "is worn out", "is too small", "is too old", "isn't big enough",
    "is not good enough", "doesn't last", "is falling apart", "isn't strong enough", "doesn't do the job",
    "keeps breaking", "needs replacing", "is too weak", "has stopped working", "no longer works", "won't turn on",
    "won't start", "is damaged", "is cracked", "is leaking", "is too heavy", "is too short", "has worn down",
    "is losing its shape", "keeps falling over", "doesn't hold up", "is not working properly", "can't keep up",
)  # fmt: skip

# How one says, without a negation, that one likes a thing or dislikes it ("it" is the thing): a clause that
# may be either ("gardening wears me out", "camping is my whole life") is read as the closer of the two.
LIKING = (
    "I love it", "I really like it", "I enjoy it", "it is great", "it is wonderful", "it is my favourite",
    "I want it", "it is exactly what I want", "it makes me smile", "it is fun", "it is the best", "it is amazing",
    "I am a big fan of it", "it interests me", "it is perfect for me", "it inspires me", "it is my hobby",
    "I am into it", "I would like more of it", "it suits me", "it is useful", "it helps me", "I am looking for it",
    "it would be nice", "it is beautiful", "it delights me", "I am keen on it", "it means a lot to me",
    "it is worth every penny", "I could use it", "it keeps me going", "I am fond of it",
)  # fmt: skip
DISLIKING = (
    "I despise it", "it is awful", "it is terrible", "it is horrible", "it is the worst", "it is dreadful",
    "it is a waste of money", "it is a waste of time", "it is dull", "it is tedious", "it is ugly", "it is disgusting",
    "it makes me sick", "it gives me the creeps", "it puts me off", "it turns me off", "it leaves me cold",
    "it grosses me out", "it is tacky", "it is a pain", "I regret buying it", "it is garbage", "it scares me",
    "it frustrates me", "it makes me angry", "it makes me cringe", "it disappoints me", "it is unpleasant",
    "it is a nightmare", "it stresses me out", "I am allergic to it", "it is the opposite of what I want",
)  # fmt: skip


# Who a predicate may speak of: a subject closer to these than to what it names is people ("grown-ups don't need
# toys": the object is rejected), not a kind of thing ("board games don't excite me": the subject is).
PEOPLE = (
    "people", "someone", "a person", "men", "women", "children", "kids", "adults", "teenagers", "grown-ups",
    "parents", "my family", "friends", "everyone", "users", "customers", "beginners", "students", "owners", "fans",
)  # fmt: skip
_OWNED = re.compile(r"^(?:my|our|your|his|her|their|the)\b|\w's\b|\ws'(?:\s|$)", re.IGNORECASE)
_DETERMINER = re.compile(r"^(?:a|an|this|that|these|those|some|any|no|every|each|all|one)\b", re.IGNORECASE)


def reference(subject: str) -> Literal["owned", "kind"] | None:
    """How a negated predicate's subject refers: to a thing someone has ("my headphones", "the kite", "the
    dog's bed": a complaint is about one of those) or to a kind of thing (a bare noun phrase: "stuffed
    animals", "camping": what a rejection speaks of); None for anything else ("a soundbar", "those
    stools")."""
    text = subject.strip()
    if _OWNED.search(text):
        return "owned"
    return None if _DETERMINER.match(text) or not re.match(r"[a-z]", text, re.IGNORECASE) else "kind"


class PredicateReader:
    """Scores negated predicates against the built-in rejections and complaints, and what is said of a
    thing against the built-in liking and disliking (each bank encoded once)."""

    closest = 3
    negative = -0.05  # VADER's compound score at or below which a text is negative (its authors' convention)

    def __init__(self, encoder: TextEncoder) -> None:
        self.encoder = encoder
        self._rejecting = np.asarray(encoder.encode(list(REJECTING)), np.float32)
        self._failing = np.asarray(encoder.encode(list(FAILING)), np.float32)
        self._people = np.asarray(encoder.encode(list(PEOPLE)), np.float32)
        self._liking = np.asarray(encoder.encode(list(LIKING)), np.float32)
        self._disliking = np.asarray(encoder.encode(list(DISLIKING)), np.float32)
        self._sentiment = SentimentIntensityAnalyzer()

    def says(self, predicate: str) -> float:
        """How much closer a negated predicate is to saying its subject fails (`FAILING`) than to "I do
        not want it" (`REJECTING`), each by the mean cosine of its `closest` phrasings (steadier than
        the single closest one): > 0 a complaint (a need), < 0 a rejection."""
        return self._lead(predicate, self._failing, self._rejecting)

    def stance(self, said: str) -> float:
        """How much closer what is said of a masked thing ("it wears me out") is to liking it (`LIKING`)
        than to disliking it (`DISLIKING`), by the mean cosine of the `closest` of each: < 0 dislike."""
        return self._lead(said, self._liking, self._disliking)

    def _lead(self, text: str, first: np.ndarray, second: np.ndarray) -> float:
        """How much closer `text` is to the bank `first` than to `second`: the mean cosine of the
        `closest` rows of each (steadier than the single closest one)."""
        q = np.asarray(self.encoder.encode([text])[0], np.float32)
        near = lambda bank: float(np.sort(bank @ q)[-self.closest :].mean())  # noqa: E731
        return near(first) - near(second)

    def polarity(self, said: str) -> float:
        """The sentiment of what is said, by its words (VADER's compound score, -1 to 1)."""
        return float(self._sentiment.polarity_scores(said)["compound"])

    def dislikes(self, said: str, margin: float) -> bool:
        """Whether what is said of a masked thing is dislike: its `stance` by `margin`, or negative words
        (`polarity`) while the stance is not liking by `margin`. Either reader alone misses what the other
        sees: the banks know idioms ("it gives me the creeps": no negative word), the lexicon knows words
        ("it bores me to tears": far from every phrasing of the banks)."""
        stance = self.stance(said)
        return stance <= -margin or (stance < margin and self.polarity(said) <= self.negative)

    def people(self, subject: str) -> float:
        """How much a subject is like people (`PEOPLE`): the cosine of its closest entry."""
        q = np.asarray(self.encoder.encode([subject])[0], np.float32)
        return float((self._people @ q).max())


def resolve(
    cut: list[Clause],
    clarity: Callable[[str], float],
    names_title: Callable[[str], bool],
    says: Callable[[str], float],
    margin: float,
    people: Callable[[str], float] = lambda subject: -1.0,
    dislikes: Callable[[str], bool] = lambda said: False,
    outright: float = 1.0,
) -> list[tuple[str, bool]]:
    """(clause, negated) pairs of a cut request; a negated predicate is read by what it `says` of its
    subject (`clarity`: how clearly a rejected clause names a value, -1 for none; `people`: how much a
    subject is like people, `PredicateReader.people`):

    - that it fails, clearly (by `margin`: "my headphones don't work anymore"): a need for what the subject
      names (the predicate's object too when the subject names nothing: "the thing doesn't keep my coffee
      hot"; otherwise it says where or how it fails: "my sunscreen is useless at the beach"), unless the subject
      is a kind of thing (`reference`: "rowing machines don't suit our flat" is a reason not to want them,
      "cheap tents don't last" may be either): then neither;
    - "I do not want it", clearly: the subject is rejected when it names a value more clearly than the
      predicate, or names one at all and is a kind of thing (`reference`) ("camping is not for me"; the
      object says for whom or what and is not rejected: "tents are not for my baby"); otherwise it is who
      or what the predicate speaks of, dropped, and the predicate's object is rejected ("my kids don't want
      any more toys"): one of the two, never both;
    - unsure, and the subject names a value more clearly than the predicate: the subject's form decides
      (`reference`): a thing someone has is a complaint ("my desk chair isn't comfortable"), a kind of thing
      is rejected ("face masks don't suit me"), anything else is neither;
    - otherwise unsure: nothing is rejected but what the predicate names more clearly than its subject
      ("my sister doesn't use skin care"); the subject is dropped. An exclusion it is not sure of is never
      applied.

    A clause that may say dislike without a negation (``Clause.stance``) rejects its thing only when what
    it says `dislikes` it (`PredicateReader.dislikes`) and the thing is a kind of thing that names a value
    (not people, not one someone has: "my tent is awful" is a complaint; "the X" is a kind when X names a
    value `outright`: "the blues"); otherwise it is read whole, as a wish."""
    out: list[tuple[str, bool]] = []
    skip = -1
    for i, c in enumerate(cut):
        if i == skip:
            continue
        if c.stance:
            named = clarity(c.text)
            form = reference(c.text)
            form = "kind" if form == "owned" and re.match(r"the\s", c.text, re.IGNORECASE) and named >= outright else form
            if _names_a_kind(c.text, form, named, people) and dislikes(c.predicate):
                out.append((c.text, True))
            else:
                out += [(a.text, a.negated) for a in alternatives(Clause(c.whole, False))]
            continue
        if not c.subject:
            out.append((c.text, c.negated))
            continue
        pred = cut[i + 1].text if i + 1 < len(cut) else ""
        said = says(c.predicate)
        named, form = clarity(c.text), reference(c.text)
        # the object is read first when it names more clearly, unless the subject is a kind of thing that names a
        # value: "tents are not for my baby" rejects tents however clearly "my baby" names Baby; people ("grown-ups",
        # more like `people` than like what they name) are who the predicate speaks of, not a kind of thing
        kind = _names_a_kind(c.text, form, named, people)
        object_first = names_title(pred) or (clarity(pred) >= named and not kind)
        if abs(said) < margin and not object_first:  # the words do not tell: the subject's form does
            said = {"owned": margin, "kind": -margin}.get(form or "", said)
        if said >= margin and form == "kind":
            skip = i + 1  # a kind of thing failing ("rowing machines don't suit our flat"): a reason, not a need
        elif said >= margin:  # a need: for what the subject names ("my sunscreen is useless at the beach"), else
            out += [(c.text, False)] if named > -1 else [(c.text, False), (pred, False)]  # the object
            skip = i + 1
        elif said <= -margin and not object_first:  # the subject rejected; the object is whom or what for
            out.append((c.text, True))  # ("tents are not for my baby": not the baby's things)
            skip = i + 1
        elif said > -margin and not object_first:
            skip = i + 1  # unsure, and the predicate names less than its subject: nothing rejected
    return out


def _names_a_kind(subject: str, form: str | None, named: float, people: Callable[[str], float]) -> bool:
    """Whether `subject` is a kind of thing that names a value (`named` > -1), not people: more like a
    value than like `PEOPLE` ("camping", not "grown-ups")."""
    return form == "kind" and named > -1 and people(subject) < named
