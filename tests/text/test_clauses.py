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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tents or sleeping bags are not for us", [("tents or sleeping bags", True)]),  # a kind of thing: rejected
        ("camping isn't my thing", [("camping", True)]),
        ("my headphones don't work anymore", [("my headphones", False)]),  # a thing someone has: a need
        ("a soundbar isn't needed", []),  # unsure: nothing read
        ("I don't want horror", [("I", False), ("want horror", True)]),  # a person: the cue decides
        ("a dog bed that is not too soft", [("a dog bed that is", False), ("too soft", True)]),
    ],
)
def test_a_negated_predicate_s_subject_by_its_form(text: str, expected: list[tuple[str, bool]]) -> None:
    """The rules reader's one reading of a negated predicate (the learned reader reads what it says)."""
    assert [(c.text, c.negated) for c in clauses(text)] == expected
