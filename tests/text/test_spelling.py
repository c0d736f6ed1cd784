"""Small typos read as the words meant (`text.spelling`), cautiously: a word that is English or the
catalog's own is never changed, and a short unknown word is changed only by a swap of its letters."""

from __future__ import annotations

import pandas as pd
import pytest

from hybrid_rec.data.catalog import ItemCatalog
from hybrid_rec.text import HashingEncoder
from hybrid_rec.text.intent import IntentConfig, IntentParser
from hybrid_rec.text.spelling import Speller

# (typed with a typo, as meant)
TYPOS = [
    ("any good fantsy", "any good fantasy"),
    ("reciepe books?", "recipe books?"),
    ("headphnes for the bus please", "headphones for the bus please"),
    ("i don't wnat rock", "i don't want rock"),
    ("camping gaer", "camping gear"),
    ("a scray movie", "a scary movie"),
    ("somthing romantic", "something romantic"),
]
# Left as typed: English, short unknown words, contractions, names the catalog holds.
KEPT = ["anything but kpopp", "lol", "edm please", "i'm obsessed", "sci-fi", "cosy crime", "whodunnit", "rosa bellamy"]


@pytest.fixture(scope="module")
def speller() -> Speller:
    return Speller(["Rosa Bellamy", "Synthwave Nights", "K-Pop"])


@pytest.mark.parametrize(("typed", "meant"), TYPOS)
def test_a_small_typo_is_corrected(speller: Speller, typed: str, meant: str) -> None:
    assert speller.correct(typed) == meant


@pytest.mark.parametrize("text", KEPT)
def test_known_and_short_words_are_kept(speller: Speller, text: str) -> None:
    assert speller.correct(text) == text


def test_a_typo_of_the_catalogs_own_word_is_corrected_to_it(speller: Speller) -> None:
    assert speller.correct("synthwav and rosa belamy") == "synthwave and rosa bellamy"
    assert Speller().correct("synthwav") == "synthwav"  # no catalog word close: left alone


@pytest.fixture(scope="module")
def catalog() -> ItemCatalog:
    rows = [("m1", "Toy Story", ("Comedy",)), ("m2", "Scream", ("Horror",)), ("m3", "Unforgiven", ("Western",))]
    return ItemCatalog(pd.DataFrame(rows, columns=["item_id", "title", "genres"]).set_index("item_id"))


def test_the_parser_reads_a_typo_as_the_word_meant(catalog: ItemCatalog) -> None:
    parser = IntentParser(catalog, HashingEncoder(dim=256))
    assert parser.canonical("No HORRRO!!") == "no horror"
    assert parser.parse("a westren please") == parser.parse("a western please")
    assert "Western" in parser.parse("a westren please").include
    off = IntentParser(catalog, HashingEncoder(dim=256), IntentConfig(spelling=False))
    assert off.canonical("a westren please") == "a westren please"


def test_a_catalog_compound_reads_as_the_catalog_writes_it(speller: Speller) -> None:
    """Typed apart or run together, "K-Pop" is the catalog's compound (so "kpop" is never corrected to "pop")."""
    assert speller.correct("anything but kpop") == "anything but k-pop"
    assert speller.correct("k pop please, no k pop remixes") == "k-pop please, no k-pop remixes"
    compounds = Speller(["Hip-Hop", "Non-Stop Hits", "No-Show"])
    assert compounds.correct("no hip hop or hiphop") == "no hip-hop or hip-hop"
    assert compounds.correct("non stop dancing, no show tunes") == "non stop dancing, no show tunes"  # a negation


def test_the_final_punctuation_says_nothing(catalog: ItemCatalog) -> None:
    """A request typed with or without its last full stop, "?" or "!" reads as one text, for every reader and
    the LM (so the same list); the punctuation inside it is kept ("horror? no thanks")."""
    parser = IntentParser(catalog, HashingEncoder(dim=256))
    assert parser.canonical("a western please.") == parser.canonical("A western please!!") == "a western please"
    assert parser.canonical("horror? no thanks.") == "horror? no thanks"
    assert parser.canonical("?!") == ""
    assert parser.parse("no horror.") == parser.parse("no horror")
