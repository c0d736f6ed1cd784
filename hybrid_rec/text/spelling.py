"""Small typos in a request corrected against English and the catalog's own words (`Speller`).

Phones misspell ("headphnes", "any good fantsy", "i dont wnat rock"); a misspelt word is no word the
encoder knows, so the request reads as nothing and the list does not move. After `normalize`, each
word neither English (symspellpy's 82,765-word frequency list) nor the catalog's own (its values,
titles and text fields) is replaced by its closest known word, when one is close enough: symspellpy's
symmetric-delete lookup (Damerau-Levenshtein distance), not a hand-written one. Cautious by design, since
a wrong correction can name a category the user never meant ("kpop" is not "pop"):

- words of 3 letters or fewer are left alone; a 4-letter word is corrected only by a swap of its own
  letters ("wnat" -> "want", "gaer" -> "gear"); 5 to 7 letters at distance 1; longer at distance 2;
- among equally close words: one with the same letters first, then the catalog's own, then the most frequent
  English word (corrections are drawn from its 30,000 most frequent words).

A compound the catalog writes with a hyphen ("Hip-Hop", "Self-Help", "K-Pop") is read as written when typed
apart or run together ("hip hop", "hiphop" -> "hip-hop"): the same words, so the same reading and the same list.
Not for compounds of a negation word ("non-stop", "no-show"), whose parts typed apart may be a negation cue.
"""

from __future__ import annotations

import importlib.resources
import re
import threading
from collections.abc import Iterable
from typing import Any

__all__ = ["Speller"]

_DICTIONARY = "frequency_dictionary_en_82_765.txt"
_CORRECTIONS = 30_000  # the most frequent English words a typo may be corrected to
_WORD = re.compile(r"(?<![\w'])[a-z]+(?![\w'])")
_COMPOUND = re.compile(r"(?<![\w'-])[a-z]+(?:-[a-z]+)+(?![\w'-])")
_NEGATION_PARTS = frozenset({"no", "non", "not", "never", "nothing", "without", "anti"})
_LOCK = threading.Lock()
_ENGLISH: dict[str, Any] = {}  # "known": every word of the list; "index": a SymSpell of the most frequent


def _english() -> tuple[frozenset[str], Any]:
    """(every English word of the list, a SymSpell over its most frequent words): loaded once per process."""
    with _LOCK:
        if not _ENGLISH:
            from symspellpy import SymSpell

            index = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
            known = set()
            with importlib.resources.files("symspellpy").joinpath(_DICTIONARY).open(encoding="utf-8") as f:
                for n, line in enumerate(f):
                    word, count = line.split()
                    known.add(word)
                    if n < _CORRECTIONS:
                        index.create_dictionary_entry(word, int(count))
            _ENGLISH.update(known=frozenset(known), index=index)
        return _ENGLISH["known"], _ENGLISH["index"]


def _allowed(word: str) -> int:
    """The edit distance a typo of `word`'s length may be corrected at (0: none)."""
    return 0 if len(word) <= 3 else 1 if len(word) <= 7 else 2


class Speller:
    """Corrects a request's typos (`correct`); `words`: the catalog's own words (any text; split here). Its
    indexes are built in the background (about a second), not in the first request's reading."""

    def __init__(self, words: Iterable[str] = ()) -> None:
        texts = [str(text).lower() for text in words]
        self._own = frozenset(w for text in texts for w in _WORD.findall(text))
        compounds = {c for text in texts for c in _COMPOUND.findall(text) if not _NEGATION_PARTS & set(c.split("-"))}
        # each compound's parts typed apart ("hip hop") or run together ("hiphop"), longest first
        variants = {v: c for c in compounds for v in (c.replace("-", " "), c.replace("-", ""))}
        pattern = "|".join(re.escape(v).replace(r"\ ", r"\s+") for v in sorted(variants, key=len, reverse=True))
        self._joined = {" ".join(v.split()): c for v, c in variants.items()}
        self._compounds = re.compile(rf"(?<![\w'-])(?:{pattern})(?![\w'-])") if variants else None
        self._index: Any = None  # a SymSpell of the catalog's words
        self._ready = threading.Thread(target=self._build, name="hybrid_rec-speller", daemon=True)
        self._ready.start()

    def _build(self) -> None:
        from symspellpy import SymSpell

        _english()
        index = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
        for w in self._own:
            index.create_dictionary_entry(w, 1)
        self._index = index

    def correct(self, text: str) -> str:
        """`text` (already normalised) with each unknown word replaced by its closest known one, if close, and the
        catalog's hyphenated compounds as the catalog writes them."""
        if self._compounds is not None:
            text = self._compounds.sub(lambda m: self._joined[" ".join(m[0].split())], text)
        words = {w for w in _WORD.findall(text) if _allowed(w) and w not in self._own}
        if not words:
            return text
        self._ready.join()
        known, english = _english()
        fixes = {w: fix for w in words - known if (fix := self._closest(w, english)) is not None}
        if not fixes:
            return text
        return _WORD.sub(lambda m: fixes.get(m[0], m[0]), text)

    def _closest(self, word: str, english: Any) -> str | None:
        from symspellpy import Verbosity

        limit = _allowed(word)
        found = [(s.distance, 1, -s.count, s.term) for s in english.lookup(word, Verbosity.CLOSEST, limit)]
        found += [(s.distance, 0, 0, s.term) for s in self._index.lookup(word, Verbosity.CLOSEST, limit)]
        if len(word) == 4:  # a 4-letter word: only its own letters swapped
            found = [f for f in found if sorted(f[3]) == sorted(word)]
        if not found:
            return None
        best = min(f[0] for f in found)
        return min((sorted(f[3]) != sorted(word), *f[1:]) for f in found if f[0] == best)[-1]
