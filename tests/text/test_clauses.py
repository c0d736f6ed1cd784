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
