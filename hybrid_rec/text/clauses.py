"""How a request in words is cut before its values are read: clauses and whether each is negated
(negation cues of everyday English, "X-free", "keep X out", a bare "no thanks"), periods ("the 90s",
"before 1980") and the normal form of a title. Patterns only; `intent` maps what is left to values."""

from __future__ import annotations

import re

import numpy as np

__all__ = ["LIKE", "clauses", "norm_title", "years_of"]

# Negation and exclusion cues of everyday English: what follows a cue in its clause is rejected.
# "anything / everything / all but X" excludes X ("nothing but X" does not: it asks for X only).
_NEGATION = re.compile(
    r"\b(?:(?:any|every)(?:thing|one)? but|all but|no|not|nothing|without|never|avoid|except(?: for)?|excluding|"
    r"exclude|skip|none|other than|apart from|aside from|besides|minus|leave out|rule out|hold the|forget|"
    r"stay away from|keep away from|done with|sick of|tired of|fed up with|rather not|"
    r"don'?t|do not|doesn'?t|isn'?t|hate|dislike|less like|fewer)\b",
    re.IGNORECASE,
)
# a clause break; "but" only where it does not belong to "anything but" (which is one cue)
_SPLIT = re.compile(
    r"[,;.!?]|(?<!anything )(?<!everything )(?<!anyone )(?<!everyone )(?<!all )\bbut\b|\bhowever\b|"
    r"\balthough\b|\bthough\b",
    re.IGNORECASE,
)
_FREE = re.compile(r"\b([a-z][\w']*(?:[ -][a-z][\w']*)?)-free\b", re.IGNORECASE)  # "toy-free" = "no toy"
_KEEP_OUT = re.compile(r"\bkeep\s+(.+?)\s+out\b", re.IGNORECASE)  # "keep X out (of it)" = "no X"
# a clause that only says no ("X? no thanks", "X - no way"): it rejects the clause before it
_BARE_NO = re.compile(r"^\s*(?:no|nope|no thanks|no thank you|no way|not that|not those)\s*$", re.IGNORECASE)
LIKE = re.compile(r"\b(?:similar to|like|reminds? me of|in the style of|the same as)\s+(.+)$", re.IGNORECASE)
_WORD_DECADES = {
    "twenties": 1920, "thirties": 1930, "forties": 1940, "fifties": 1950,
    "sixties": 1960, "seventies": 1970, "eighties": 1980, "nineties": 1990,
}  # fmt: skip
_DECADE = re.compile(r"\b(?:(19|20)(\d)0|'?(\d)0)'?s\b", re.IGNORECASE)
_RANGE = re.compile(r"\bbetween\s+((?:19|20)\d\d)\s+and\s+((?:19|20)\d\d)\b", re.IGNORECASE)
_BOUND = re.compile(r"\b(before|after|since|until|older than|newer than)\s+((?:19|20)\d\d)\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(?:in|of|from)\s+((?:19|20)\d\d)\b", re.IGNORECASE)


def clauses(text: str) -> list[tuple[str, bool]]:
    """(clause, negated) pairs: a negation cue negates the rest of its clause ("less like X" keeps
    its "like", so that X is read as a title)."""
    text = _KEEP_OUT.sub(lambda m: f", no {m[1]} ,", _FREE.sub(lambda m: f", no {m[1]},", text))
    out: list[tuple[str, bool]] = []
    for part in _SPLIT.split(text):
        if _BARE_NO.match(part) and out and not out[-1][1]:
            out[-1] = (out[-1][0], True)  # "kitchen things? no thanks"
            continue
        cue = _NEGATION.search(part)
        if cue is None:
            out.append((part.strip(), False))
        else:
            rest = part[cue.end() :].strip()
            out += [(part[: cue.start()].strip(), False), (("like " if cue[0].lower().endswith("like") else "") + rest, True)]
    return [(c, neg) for c, neg in out if re.search(r"\w", c)]


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
