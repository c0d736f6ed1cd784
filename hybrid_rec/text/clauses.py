"""How a request in words is cut before its values are read: where values may be named (`pieces`, for
the learned reader, which decides how the request stands to them), periods ("the 90s", "before 1980"),
titles ("like Toy Story") and their normal form; and for the rules reader (the hashing encoder's, and
periods and titles under either) whether each clause is negated (negation cues of everyday English,
"X-free", "keep X out", a bare "no thanks", a negated predicate's subject). Patterns only."""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np

__all__ = ["LIKE", "Clause", "alternatives", "clauses", "norm_title", "pieces", "years_of"]

# Negation and exclusion cues of everyday English: what follows a cue in its clause is rejected.
# "anything / everything / all but X" excludes X ("nothing but X" does not: it asks for X only).
_NEGATION = re.compile(
    r"\b(?:(?:any|every)(?:thing|one)? but|all but|no|not|nothing|without|never|avoid|except(?: for)?|excluding|"
    r"exclude|skip|none|other than|apart from|aside from|besides|minus|leave out|rule out|hold the|forget|"
    r"stay away from|keep away from|steer clear of|done with|sick of|tired of|fed up with|rather not|pass on|"
    r"(?:had )?enough (?:of|with)|(?:given|give|gave|giving) up on|(?:i'?m|i am|we'?re|we are) over|no more|"
    r"don'?t|do not|doesn'?t|isn'?t|won'?t|will not|can'?t stand|cannot stand|can'?t bear|hate|dislike|less like|"
    r"fewer|neither)\b",
    re.IGNORECASE,
)
# Alternatives within a wish ("comedy or horror", "either X or maybe Y"): each is read on its own, so that
# the second is not a runner-up of the first. A rejection is read whole ("nothing sad or depressing": its
# words alone say less than together, and an exclusion must be sure).
_OR = re.compile(
    r"\beither\b|(?<!\bmore )(?<!\bsooner )\bor\b(?! less\b)(?! later\b)(?! so\b)"
    r"(?:\s+(?:else|maybe|perhaps|possibly))?",
    re.IGNORECASE,
)
# a clause break; "but" only where it does not belong to "anything but" (which is one cue)
_SPLIT = re.compile(
    r"[,;.!?]|(?<!anything )(?<!everything )(?<!anyone )(?<!everyone )(?<!all )\bbut\b|\bhowever\b|"
    r"\balthough\b|\bthough\b",
    re.IGNORECASE,
)
_FREE = re.compile(r"\b([a-z][\w']*(?:[ -][a-z][\w']*)?)-free\b", re.IGNORECASE)  # "toy-free" = "no toy"
_KEEP_OUT = re.compile(r"\b(?:keep|leave)\s+(.+?)\s+(?:out|off)\b", re.IGNORECASE)  # "keep X out", "leave X off" = "no X"
_CANT_DO_WITHOUT = re.compile(r"\b(?:can'?t|cannot|could ?n[o']t) (?:live|do|go|be) without\b", re.IGNORECASE)
# a clause that only says no ("X? no thanks", "X - no way"): it rejects the clause before it
_BARE_NO = re.compile(
    r"^\s*(?:so |and |then )?(?:no|nope|nah|no thanks|no thank you|no way|not that|not those|none of that|"
    r"(?:i'?ll|i will|i'?d|i would) pass|pass|hard pass|not for me|not interested|not my thing|no need|not today|"
    r"not this time)\s*$",
    re.IGNORECASE,
)
# A negated predicate ("camping is not for me", "my headphones don't work"): for the rules reader, its subject
# is rejected when it is a kind of thing, wished for when it is a thing someone has (a complaint is a need), and
# dropped otherwise ("a soundbar isn't needed", a pronoun, a relative clause): the learned reader reads all three.
_PREDICATE = re.compile(
    r"^(?P<subject>.+?)\s+(?:(?:is|are|was|were|'s|'re)\s+(?:\w+\s+)?(?:not|never)\b|"
    r"(?:isn'?t|aren'?t|wasn'?t|weren'?t|doesn'?t|don'?t|does not|do not|never|won'?t|will not|can'?t|cannot|"
    r"can not|no longer)\b)",
    re.IGNORECASE,
)
_NOT_A_SUBJECT = re.compile(
    r"^(?:i|i'm|i've|i'd|we|we're|we've|you|they|he|she|it|this|that|there)$|\b(?:that|which|who|whose)\b",
    re.IGNORECASE,
)  # a person or a relative clause ("a dog bed that is not too soft"): the negation cue decides
_OWNED = re.compile(r"^(?:my|our|your|his|her|their)\b|\w's\b", re.IGNORECASE)
_SOME = re.compile(r"^(?:a|an|some|any|this|that|these|those|one)\b", re.IGNORECASE)  # "a soundbar isn't ...": unsure
LIKE = re.compile(r"\b(?:similar to|like|reminds? me of|in the style of|the same as)\s+(.+)$", re.IGNORECASE)
_WORD_DECADES = {
    "twenties": 1920, "thirties": 1930, "forties": 1940, "fifties": 1950,
    "sixties": 1960, "seventies": 1970, "eighties": 1980, "nineties": 1990,
}  # fmt: skip
_DECADE = re.compile(r"\b(?:(19|20)(\d)0|'?(\d)0)'?s\b", re.IGNORECASE)
_RANGE = re.compile(r"\bbetween\s+((?:19|20)\d\d)\s+and\s+((?:19|20)\d\d)\b", re.IGNORECASE)
_BOUND = re.compile(r"\b(before|after|since|until|older than|newer than)\s+((?:19|20)\d\d)\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(?:in|of|from)\s+((?:19|20)\d\d)\b", re.IGNORECASE)


class Clause(NamedTuple):
    """One clause of a request: its text and whether it is negated."""

    text: str
    negated: bool


def clauses(text: str) -> list[Clause]:
    """The clauses of `text`: a negation cue negates the rest of its clause ("less like X" keeps its
    "like", so that X is read as a title); a negated predicate's subject as `_PREDICATE` says."""
    text = _CANT_DO_WITHOUT.sub("really want", text)  # "can't live without X": two negations, one wish
    text = _KEEP_OUT.sub(lambda m: f", no {m[1]} ,", _FREE.sub(lambda m: f", no {m[1]},", text))
    out: list[Clause] = []
    for part in _SPLIT.split(text):
        if _BARE_NO.match(part) and out and not out[-1].negated:
            out[-1] = Clause(out[-1].text, True)  # "kitchen things? no thanks"
            continue
        pred = _PREDICATE.match(part.strip())
        if pred is not None and not _NOT_A_SUBJECT.search(subject := pred["subject"].strip()):
            if not _SOME.match(subject):
                out.append(Clause(subject, not _OWNED.search(subject)))
            continue
        cue = _NEGATION.search(part)
        if cue is None:
            out.append(Clause(part.strip(), False))
        else:
            rest = part[cue.end() :].strip()
            out += [Clause(part[: cue.start()].strip(), False),
                    Clause(("like " if cue[0].lower().endswith("like") else "") + rest, True)]  # fmt: skip
    return [a for c in out for a in alternatives(c) if re.search(r"\w", a.text)]


def pieces(text: str) -> list[tuple[str, str, bool]]:
    """What of a request may name catalog values, for the learned reader: its clauses and alternatives, each
    as said, with negation cues taken out, and whether it holds a cue (or is answered by a bare "no" after it)
    ("jazz but no metal" -> ("jazz", "jazz", False), ("no metal", "metal", True)). Only where to look; how
    the request stands to what they name is the stance model's to say (a cue only allows a hard exclusion)."""
    out = []
    parts = _SPLIT.split(_FREE.sub(lambda m: f", no {m[1]},", text))
    for n, part in enumerate(parts):
        answered = any(_BARE_NO.match(p) for p in parts[n + 1 : n + 2])  # "camping? no way"
        for alt in _OR.split(part):
            words = " ".join(_NEGATION.sub(" ", alt).split())
            if re.search(r"\w", words):
                said = " ".join(alt.split())
                out.append((said, words, answered or words != said))
    return out


def alternatives(clause: Clause) -> list[Clause]:
    """A wish cut at "or" into its alternatives ("like X or Y": two titles); a rejected clause stays whole."""
    if clause.negated:
        return [clause]
    m = LIKE.search(clause.text)
    head, body = (clause.text[: m.start(1)], m[1]) if m else ("", clause.text)
    parts = [p.strip() for p in _OR.split(body) if p.strip()]
    if len(parts) < 2:
        return [clause]
    return [Clause(f"{head}{p}", False) for p in parts]


def years_of(text: str) -> tuple[tuple[float, float] | None, str]:
    """A year range named in `text` and the text without it."""
    if m := _RANGE.search(text):
        return (float(m[1]), float(m[2])), text.replace(m[0], " ")
    if m := _DECADE.search(text):
        start = int(m[1] + m[2] + "0") if m[1] else (1900 + int(m[3]) * 10 if int(m[3]) >= 2 else 2000 + int(m[3]) * 10)
        return (float(start), float(start + 9)), text.replace(m[0], " ")
    for word, start in _WORD_DECADES.items():
        if re.search(rf"\b{word}\b", text, re.IGNORECASE):
            return (float(start), float(start + 9)), re.sub(rf"\b{word}\b", " ", text, flags=re.IGNORECASE)
    if m := _YEAR.search(text):  # "a comedy from 1995": that year
        return (float(m[1]), float(m[1])), text.replace(m[0], " ")
    if m := _BOUND.search(text):
        year, kind = float(m[2]), m[1].lower()
        spans = {"before": (-np.inf, year - 1), "older than": (-np.inf, year - 1), "until": (-np.inf, year),
                 "since": (year, np.inf), "after": (year + 1, np.inf), "newer than": (year + 1, np.inf)}  # fmt: skip
        return spans[kind], text.replace(m[0], " ")
    return None, text


def norm_title(title: str) -> str:
    """A title as matched: lower case, single spaces, no punctuation, a trailing article moved to the front."""
    t = " ".join(str(title).lower().split())
    if m := re.match(r"^(.*), (the|a|an)$", t):  # "usual suspects, the" -> "the usual suspects"
        t = f"{m[2]} {m[1]}"
    return re.sub(r"[^\w ]", "", t)
