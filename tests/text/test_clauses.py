"""How a request is cut into clauses before its values are read (`hybrid_rec.text.clauses`)."""

from __future__ import annotations

import pytest

from hybrid_rec.text.clauses import clauses


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("comedy or horror", [("comedy", False), ("horror", False)]),
        ("either a tent or maybe a stove", [("a tent", False), ("a stove", False)]),
        ("something like Toy Story or Aladdin", [("something like Toy Story", False), ("something like Aladdin", False)]),
        ("nothing sad or depressing", [("sad or depressing", True)]),  # a rejection is read whole
        ("neither horror nor comedy", [("horror nor comedy", True)]),
        ("more or less anything", [("more or less anything", False)]),  # an idiom, not alternatives
    ],
)
def test_a_wish_is_cut_into_its_alternatives_a_rejection_is_not(text: str, expected: list[tuple[str, bool]]) -> None:
    assert [(c.text, c.negated) for c in clauses(text)] == expected


def test_a_negated_predicate_s_subject_stays_whole() -> None:
    cut = clauses("tents or sleeping bags are not for us")
    assert cut[0].subject and cut[0].text == "tents or sleeping bags"


@pytest.mark.parametrize(
    ("text", "thing", "said"),
    [
        ("gardening wears me out", "gardening", "it wears me out"),
        ("camping is dreadful", "camping", "it is dreadful"),
        ("camping's dreadful", "camping", "it's dreadful"),
        ("board games get on my wick", "board games", "it get on my wick"),
        ("I despise camping", "camping", "I despise it"),
        ("we really despise board games", "board games", "we really despise it"),
        ("we're terrified of spiders", "spiders", "we're terrified of it"),
    ],
)
def test_what_may_be_dislike_without_a_negation_is_a_thing_and_what_is_said_of_it(text, thing, said):
    """The thing is the shortest subject (or the object of "I <verb>"); what is said is masked, so that its
    stance is weighed apart from the thing, and the clause is kept whole to be read as said otherwise."""
    (cut,) = clauses(text)
    assert cut.stance and not cut.negated and (cut.text, cut.predicate, cut.whole) == (thing, said, text)


@pytest.mark.parametrize(
    "text",
    ["I want a tent", "a tent that keeps me warm", "I'm crazy about tents", "I'm hopeless at gardening", "it wears me out", "something for my dad", "comedy or horror",
     "I need something for camping"],
)  # fmt: skip
def test_a_wish_pronoun_or_relative_clause_is_no_stance(text):
    assert not any(c.stance for c in clauses(text))
