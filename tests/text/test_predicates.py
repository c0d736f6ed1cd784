"""Negated predicates: `resolve` decides from what the predicate says (stand-in scores, a known answer)."""

from __future__ import annotations

import numpy as np
import pytest

from hybrid_rec.text import HashingEncoder
from hybrid_rec.text.clauses import clauses
from hybrid_rec.text.predicates import DISLIKING, FAILING, LIKING, REJECTING, PredicateReader, reference, resolve

CLARITY = {"camping": 0.9, "my kids": 0.5, "for my kids": 0.5, "want more toys": 0.8, "for me": -1.0, "work anymore": -1.0,
           "my headphones": 0.7, "keep camping warm": 0.8, "qqq": 0.6, "a qqq": 0.6, "my qqq": 0.6, "zzz": -1.0}  # fmt: skip


def _resolve(text: str, says: float, margin: float = 0.1) -> list[tuple[str, bool]]:
    return resolve(clauses(text), lambda c: CLARITY.get(c, -1.0), lambda c: False, lambda p: says, margin)


def test_a_clear_rejection_rejects_the_subject_when_it_names_more():
    assert _resolve("camping is not for me", -0.5) == [("camping", True)]


def test_a_rejected_subject_leaves_the_object_alone():
    """"camping is not for my kids": the object says for whom (it names a value, less clearly than the
    subject); only the subject is rejected, never both."""
    assert _resolve("camping is not for my kids", -0.5) == [("camping", True)]


def test_a_clear_rejection_rejects_the_object_when_the_predicate_names_more():
    assert _resolve("my kids don't want more toys", -0.5) == [("want more toys", True)]


def test_a_clear_complaint_is_a_need():
    assert _resolve("my headphones don't work anymore", 0.5) == [("my headphones", False)]


def test_a_complaint_reads_its_object_only_when_the_subject_names_nothing():
    """"my sunscreen is useless at the beach": a need for sunscreen, not for the beach; "the thing doesn't
    keep my zzz warm" (the subject names nothing): the object says what is needed."""
    assert _resolve("my headphones don't work at camping", 0.5) == [("my headphones", False)]
    assert _resolve("the thing doesn't keep camping warm", 0.5) == [("the thing", False), ("keep camping warm", False)]


@pytest.mark.parametrize("says", [-0.05, 0.0, 0.05])
def test_unsure_rejects_nothing_the_subject_names_more_clearly(says):
    """Inside the margin, and with a subject whose form tells nothing ("a ..."), a predicate that names less
    than its subject drops both: no exclusion it is not sure of."""
    assert _resolve("a qqq isn't zzz", says) == []


@pytest.mark.parametrize("says", [-0.05, 0.0, 0.05])
def test_unsure_reads_the_subjects_form_a_kind_rejected_a_thing_someone_has_needed(says):
    """When the predicate's words do not tell, a kind of thing ("face masks don't suit me") is rejected and a
    thing someone has ("my desk chair isn't comfortable") is a complaint, a need."""
    assert _resolve("qqq isn't zzz", says) == [("qqq", True)]
    assert _resolve("my qqq isn't zzz", says) == [("my qqq", False)]


def test_clear_words_outweigh_the_subjects_form():
    assert _resolve("my qqq isn't zzz", -0.5) == [("my qqq", True)]
    assert _resolve("a qqq isn't zzz", 0.5) == [("a qqq", False)]


def test_a_kind_of_thing_failing_is_neither_needed_nor_rejected():
    """"rowing machines don't suit our flat": a reason not to want them, not a need ("my qqq" would be)."""
    assert _resolve("qqq isn't zzz", 0.5) == []
    assert _resolve("my qqq isn't zzz", 0.5) == [("my qqq", False)]


@pytest.mark.parametrize("text", ["qqq are useless to us", "qqq is pointless", "qqq are totally unnecessary",
                                  "qqq are a waste of money", "qqq is irrelevant for us"])  # fmt: skip
def test_a_refusal_without_not_is_a_negated_predicate(text):
    """"dog leashes are useless to us" says no to its subject as "are not for us" does: read as a predicate."""
    subject, *rest = clauses(text)
    assert subject.subject and subject.text == "qqq" and all(c.negated for c in rest)
    assert _resolve(text, -0.5)[0] == ("qqq", True)


def test_the_subjects_form_does_not_override_an_object_that_names_more():
    """'my wife doesn't like kitchen gadgets' (unsure words): the object is rejected, not read as a need."""
    assert _resolve("my kids don't want more toys", 0.0) == [("want more toys", True)]


@pytest.mark.parametrize(
    ("subject", "form"),
    [("my headphones", "owned"), ("the kite", "owned"), ("the dog's bed", "owned"), ("the kids' old games", "owned"),
     ("our tent", "owned"), ("stuffed animals", "kind"), ("camping", "kind"), ("baby products", "kind"),
     ("a soundbar", None), ("those stools", None), ("some pans", None), ("", None)],
)  # fmt: skip
def test_reference_tells_a_thing_someone_has_from_a_kind(subject, form):
    assert reference(subject) == form


def test_the_reader_scores_the_built_in_phrasings_on_their_own_side():
    """Each built-in phrasing, read back, is closer to its own bank (a planted swap of the banks fails this)."""
    reader = PredicateReader(HashingEncoder())
    assert all(reader.says(p) > 0 for p in FAILING[:5]) and all(reader.says(p) < 0 for p in REJECTING[:5])
    assert np.isfinite(reader.says("zzz qqq"))


def test_people_are_who_a_predicate_speaks_of_not_a_kind_of_thing():
    """"grown-ups don't need toys": a bare subject more like people than like what it names is who speaks,
    so the object is rejected; a kind of thing ("camping", like no one) is rejected itself."""
    cut = clauses("qqq don't want more toys")
    clarity = {"qqq": 0.6, "want more toys": 0.8}.get
    person = resolve(cut, lambda c: clarity(c, -1.0), lambda c: False, lambda p: -0.5, 0.1, lambda s: 0.9)
    assert person == [("want more toys", True)]
    thing = resolve(cut, lambda c: clarity(c, -1.0), lambda c: False, lambda p: -0.5, 0.1, lambda s: 0.2)
    assert thing == [("qqq", True)]


def test_the_reader_knows_people_from_things():
    reader = PredicateReader(HashingEncoder())
    assert reader.people("people") > reader.people("zzz qqq")


def _stance(text: str, dislikes: bool, people: float = -1.0) -> list[tuple[str, bool]]:
    clarity = {"camping": 0.9, "qqq": 0.6, "my tent": 0.7, "tents": 0.8, "beach toys": 0.7, "the camping": 0.9,
               "the tents": 0.6}.get  # fmt: skip
    return resolve(clauses(text), lambda c: clarity(c, -1.0), lambda c: False, lambda p: 0.0, 0.1,
                   lambda s: people, lambda said: dislikes, 0.85)  # fmt: skip


def test_dislike_without_a_negation_rejects_a_kind_of_thing_only_when_clearly_dislike():
    """"camping wears me out": rejected when what is said is dislike; read whole as a wish otherwise
    (liking, or unsure: an exclusion it is not sure of is never applied)."""
    assert _stance("camping wears me out", True) == [("camping", True)]
    assert _stance("I despise camping", True) == [("camping", True)]
    assert _stance("camping wears me out", False) == [("camping wears me out", False)]
    assert _stance("camping makes my day", False) == [("camping makes my day", False)]


def test_dislike_of_a_thing_someone_has_people_or_nothing_named_rejects_nothing():
    """"my tent is awful" is a complaint (a need), "kids wear me out" speaks of people, "zzz is awful"
    names no value: each is read as said, nothing excluded."""
    assert _stance("my tent is awful", True) == [("my tent is awful", False)]
    assert _stance("qqq wear me out", True, people=0.9) == [("qqq wear me out", False)]
    assert _stance("zzz is awful", True) == [("zzz is awful", False)]


def test_the_thing_is_a_kind_when_it_names_a_value_outright():
    """"the blues depress me": "the X" is a kind of thing when X names a value at least `outright`
    closely, and otherwise one someone has ("the tents are awful": a complaint)."""
    assert _stance("the camping is awful", True) == [("the camping", True)]
    assert _stance("the tents are awful", True) == [("the tents are awful", False)]


def test_a_stance_read_as_a_wish_keeps_its_alternatives():
    assert _stance("tents or beach toys make my day", False) == [("tents", False), ("beach toys make my day", False)]


def test_the_reader_weighs_liking_and_disliking_on_their_own_side():
    """Each built-in phrasing of liking or disliking, read back, has its own stance (a planted swap fails)."""
    reader = PredicateReader(HashingEncoder())
    assert all(reader.stance(p) > 0 for p in LIKING[:5]) and all(reader.stance(p) < 0 for p in DISLIKING[:5])
    assert all(reader.dislikes(p, 0.1) for p in DISLIKING[:5]) and not any(reader.dislikes(p, 0.1) for p in LIKING[:5])


def test_negative_words_say_dislike_where_the_banks_are_unsure():
    """Words of a plain negative sentiment ("it bores me to tears", close to no phrasing of the hashing
    encoder's banks) are dislike unless the stance is clearly liking; neutral words are not."""
    reader = PredicateReader(HashingEncoder())
    assert abs(reader.stance("it bores me to tears")) < 0.1 and reader.polarity("it bores me to tears") < -0.05
    assert reader.dislikes("it bores me to tears", 0.1)
    assert not reader.dislikes("it keeps my toddler busy", 0.1)
