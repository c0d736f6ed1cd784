"""One normal form for a request as people type it, applied once where a request enters (`normalize`).

Phones type typographic apostrophes and quotes (U+2019 in "don’t"), drop apostrophes ("dont"),
shout ("NO HORROR!!!") and abbreviate ("pls"). Every reader of a request (the parser, the stance
model, the LM's request projection) sees the same text, so a typed variant reads exactly as its
clean form: Unicode NFKC, typographic quotes and dashes to ASCII, lower case, repeated punctuation
once, unpunctuated contractions and a few chat abbreviations spelled out, single spaces.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalize"]

# Typographic marks NFKC leaves alone, to their ASCII forms.
_MARKS = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'", "`": "'",
    "\u02bc": "'", "\uff07": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u2026": ".", "\u00a0": " ",
})  # fmt: skip
# Contractions typed without their apostrophe, and chat abbreviations; only words that are not also
# ordinary English words ("wont", "ill", "id", "its", "were", "hell" are left as typed).
_WORDS = {
    "dont": "don't", "doesnt": "doesn't", "didnt": "didn't", "cant": "can't", "couldnt": "couldn't",
    "wouldnt": "wouldn't", "shouldnt": "shouldn't", "isnt": "isn't", "arent": "aren't", "wasnt": "wasn't",
    "werent": "weren't", "havent": "haven't", "hasnt": "hasn't", "hadnt": "hadn't", "aint": "ain't",
    "mustnt": "mustn't", "neednt": "needn't", "im": "i'm", "ive": "i've", "youre": "you're", "youve": "you've",
    "theyre": "they're", "weve": "we've", "thats": "that's", "whats": "what's", "theres": "there's",
    "wanna": "want to", "gonna": "going to", "gimme": "give me", "pls": "please", "plz": "please",
    "plez": "please", "thx": "thanks", "u": "you", "ur": "your", "w/o": "without",
    "cuz": "because", "bc": "because", "nothin": "nothing", "somethin": "something", "sth": "something", "smth": "something",
    "w/": "with", "tho": "though", "thru": "through", "b4": "before", "abt": "about", "rly": "really", "wld": "would",
    "ppl": "people", "luv": "love", "fav": "favourite", "fave": "favourite", "bday": "birthday", "b-day": "birthday",
    "xmas": "christmas", "hols": "holidays", "wknd": "weekend", "tmrw": "tomorrow", "nite": "night", "idk": "i don't know",
    "dunno": "don't know", "kinda": "kind of", "sorta": "sort of", "lemme": "let me", "gotta": "got to",
}  # fmt: skip
_WORD = re.compile(
    r"(?<![\w'&/-])(" + "|".join(re.escape(w) for w in sorted(_WORDS, key=len, reverse=True)) + r")(?![\w'&/-])"
)
_REPEATED = re.compile(r"([!?.,;:\-'\"])\1+")  # "!!!" -> "!", "??" -> "?", "..." -> "."
_MIXED = re.compile(r"[!?]{2,}")  # "?!?" -> "?"
_SPACE_BEFORE = re.compile(r"\s+([,;.!?])")


def normalize(text: str | None) -> str:
    """`text` in the one form every reader sees (empty for None); idempotent."""
    t = unicodedata.normalize("NFKC", str(text or "")).translate(_MARKS).lower()
    t = _SPACE_BEFORE.sub(r"\1", " ".join(t.split()))  # first: "no horror ! !" -> "no horror!!" -> "no horror!"
    t = _REPEATED.sub(r"\1", t)
    t = _MIXED.sub(lambda m: "?" if "?" in m[0] else "!", t)
    t = _WORD.sub(lambda m: _WORDS[m[1]], t)
    return " ".join(t.split())
