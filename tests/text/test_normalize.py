"""Typed variants of a request read exactly as their clean forms (`text.normalize`), in the normaliser and
through the parser."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hybrid_rec.data.catalog import ItemCatalog
from hybrid_rec.text import HashingEncoder
from hybrid_rec.text.intent import IntentParser
from hybrid_rec.text.normalize import normalize

# (typed as on a phone or in a hurry, cleanly typed)
TYPED = [
    ("I don\u2019t want horror", "I don't want horror"),
    ("I don\u2018t want horror", "I don't want horror"),
    ("I dont want horror", "I don't want horror"),
    ("I DON'T WANT HORROR!!!", "I don't want horror!"),
    ("i can\u2019t stand musicals", "I can't stand musicals"),
    ("i cant stand musicals", "I can't stand musicals"),
    ("Im not in the mood for westerns", "I'm not in the mood for westerns"),
    ("comedy pls", "comedy please"),
    ("comedy plz!!", "comedy please!"),
    ("something like \u201cToy Story\u201d", 'something like "Toy Story"'),
    ("no horror\u2026 or anything scary", "no horror. or anything scary"),
    ("no   horror ,  thanks", "no horror, thanks"),
    ("ＮＯ ＨＯＲＲＯＲ", "no horror"),  # full-width letters (NFKC)
    ("it doesnt matter, anything but horror??", "it doesn't matter, anything but horror?"),
    ("can u show me comedies w/o romance", "can you show me comedies without romance"),
    ("horror \u2013 not for me", "horror - not for me"),
    ("comedy?!?", "comedy?"),
    ("I wanna see a comedy", "I want to see a comedy"),
    ("somewhere w/ good snow", "somewhere with good snow"),
    ("a spa day for my mum's BDAY", "a spa day for my mum's birthday"),
    ("no skiing tho", "no skiing though"),
    ("kinda want a beach, idk", "kind of want a beach, i don't know"),
    ("fav thing is rafting b4 xmas", "favourite thing is rafting before christmas"),
]
# Words the normaliser must leave alone: ordinary English spelled like a contraction without its apostrophe.
KEPT = ["I won't", "the wont of", "I'll", "ill at ease", "its plot", "we were", "R&B", "u-boat", "id software"]


@pytest.mark.parametrize(("typed", "clean"), TYPED)
def test_a_typed_variant_has_the_normal_form_of_its_clean_form(typed: str, clean: str) -> None:
    assert normalize(typed) == normalize(clean)


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_words_are_kept(text: str) -> None:
    assert normalize(text) == text.lower()


def test_none_and_blank_are_empty() -> None:
    assert normalize(None) == normalize("  \t ") == ""


@given(st.text(max_size=60))
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@pytest.fixture(scope="module")
def parser() -> IntentParser:
    rows = [("m1", "Toy Story", ("Comedy",)), ("m2", "Scream", ("Horror",)), ("m3", "Unforgiven", ("Western",))]
    frame = pd.DataFrame(rows, columns=["item_id", "title", "genres"]).set_index("item_id")
    return IntentParser(ItemCatalog(frame), HashingEncoder(dim=256))


@pytest.mark.parametrize(("typed", "clean"), TYPED)
def test_the_parser_reads_a_typed_variant_as_its_clean_form(parser: IntentParser, typed: str, clean: str) -> None:
    assert parser.parse(typed) == parser.parse(clean)


def test_a_typographic_apostrophe_keeps_a_negation(parser: IntentParser) -> None:
    """The reported failure: U+2019 in "don’t" turned a rejection of horror into a wish for it."""
    intent = parser.parse("I don\u2019t want horror")
    assert "Horror" in intent.exclude
    assert "Horror" not in intent.include


def test_spaces_before_punctuation_do_not_leave_a_repeat() -> None:
    assert normalize("no horror ! !") == normalize("no horror!") == "no horror!"
