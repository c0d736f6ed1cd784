"""Decisions from the stance model's probabilities (`text.learned`), with a stand-in stance model whose
probabilities the test sets: a hard exclusion needs a probable *and* clear rejection, an unsure reading
moves the list less than a clear one, and a value the request is not about is left alone."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hybrid_rec.data.catalog import ItemCatalog
from hybrid_rec.data.ids import IdMap
from hybrid_rec.text import HashingEncoder
from hybrid_rec.text.intent import IntentConfig
from hybrid_rec.text.learned import ValueReading, decide
from hybrid_rec.text.matcher import IntentMatcher

ROWS = [("p1", "Tent", ("Camping",)), ("p2", "Frying Pan", ("Kitchen",)), ("p3", "Lantern", ("Camping",))]


class FixedStance:
    """A stance model that answers P(about) and P(wanted, rejected, mentioned | about) for every target."""

    def __init__(self, about: float, given: tuple[float, float, float]) -> None:
        self.about, self.given = about, given
        self.encoder = HashingEncoder(dim=256)

    def prime(self, requests: list[str], others: list[str] = ()) -> np.ndarray:  # type: ignore[assignment]
        return self.encoder.encode(list(others)) if others else np.zeros((0, 256), np.float32)

    def read(self, request: str, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.full(len(targets), self.about), np.tile(np.asarray(self.given, float), (len(targets), 1))


def matcher(about: float, given: tuple[float, float, float], **config: float) -> IntentMatcher:
    frame = pd.DataFrame(ROWS, columns=["item_id", "title", "category"]).set_index("item_id")
    m = IntentMatcher(IdMap(frame.index.to_numpy()), ItemCatalog(frame), HashingEncoder(dim=256),
                      IntentConfig(reader="rules", **config))  # fmt: skip
    m.parser.stance = FixedStance(about, given)
    return m


def reading(
    about: float, wanted: float, rejected: float, weight: float = 1.0, clear: bool = True, cued: bool = True
) -> ValueReading:
    return ValueReading("Camping", about, wanted, rejected, 1 - wanted - rejected, weight, clear, cued)


def test_an_exclusion_needs_a_probable_and_clear_rejection() -> None:
    assert decide([reading(0.95, 0.05, 0.95)], 0.8, 0.5, 0.5).exclude == ("Camping",)
    unclear = decide([reading(0.95, 0.05, 0.95, clear=False)], 0.8, 0.5, 0.5)
    unsure = decide([reading(0.95, 0.3, 0.65)], 0.8, 0.5, 0.5)
    not_about = decide([reading(0.6, 0.0, 1.0)], 0.8, 0.5, 0.5)
    assert not_about.exclude == ()  # a clear rejection of something the request is maybe not about
    assert unsure.exclude == () and "Camping" in unsure.avoid  # lowered, not removed
    # a probable rejection of a value no clause names clearly ("nothing with vampires" and romance): left alone
    assert (unclear.include, unclear.exclude, unclear.avoid) == ({}, (), {})
    # probable and clear, but said without a negation cue ("camping makes me gag"): lowered, never removed
    uncued = decide([reading(0.95, 0.05, 0.95, cued=False)], 0.8, 0.5, 0.5)
    assert uncued.exclude == () and "Camping" in uncued.avoid


def test_a_value_only_mentioned_beside_a_wish_or_not_about_is_left_alone() -> None:
    """ "my partner likes camping, I want a frying pan": camping only mentioned; what a rejection of
    something else may be about ("no vampires" in a bookshop's romance) is not excluded either."""
    wish = ValueReading("Kitchen", 0.95, 0.95, 0.02, 0.03, 1.0, True)
    mentioned = decide([reading(0.9, 0.1, 0.1), wish], 0.8, 0.5, 0.5)
    assert (mentioned.include, mentioned.exclude, mentioned.avoid) == ({"Kitchen": round(0.95 * 0.95, 2)}, (), {})
    not_about = decide([reading(0.3, 0.05, 0.9)], 0.8, 0.5, 0.5)
    assert (not_about.include, not_about.exclude, not_about.avoid) == ({}, (), {})


def test_what_a_request_is_about_and_does_not_reject_is_its_wish_when_it_names_no_other() -> None:
    """ "an overnight hike in the woods, first time sleeping out there": camping, said without a wish word."""
    assert decide([reading(1.0, 0.2, 0.02)], 0.8, 0.5, 0.5).include == {"Camping": 0.98}


@pytest.mark.parametrize("rejected", [0.5, 0.55])
def test_a_less_sure_rejection_lowers_items_less(rejected: float) -> None:
    sure = matcher(1.0, (0.05, rejected + 0.1, 0.0), reject_probability=0.7)  # both under the exclusion threshold
    unsure = matcher(1.0, (0.05, rejected, 0.0), reject_probability=0.7)
    a, _ = sure.match(sure.parse("no camping"))
    b, excluded = unsure.match(unsure.parse("no camping"))
    camping = np.array([True, False, True])
    assert not excluded.any()  # under reject_probability: nothing removed
    assert (a[camping] < b[camping]).all()
    assert (a[~camping] == b[~camping]).all()


def test_an_unsure_wish_moves_the_list_less_than_a_clear_one() -> None:
    clear, unsure, torn = matcher(0.9, (0.95, 0.0, 0.05)), matcher(0.9, (0.7, 0.25, 0.05)), matcher(0.9, (0.5, 0.45, 0.05))
    a, _ = clear.match(clear.parse("camping gear"))
    b, _ = unsure.match(unsure.parse("camping gear"))
    assert a[0] > b[0] > 0  # a camping item: matched, less when the reading is unsure
    assert a[1] == b[1] == 0  # a kitchen item: not matched either way
    assert torn.parse("camping gear").empty  # torn between wanted and rejected (`sign_margin`): nothing moves


def test_a_clear_rejection_excludes_and_is_reported_with_its_probability() -> None:
    m = matcher(1.0, (0.02, 0.95, 0.03))
    intent = m.parse("no camping")
    _, excluded = m.match(intent)
    assert intent.exclude == ("Camping",)
    assert excluded.tolist() == [True, False, True]
    assert [(r.value, r.rejected) for r in intent.stance] == [("Camping", 0.95)]


class ByText(FixedStance):
    """A stance model whose P(wanted, rejected, mentioned | about) depends on the text read (default: rejected)."""

    def __init__(
        self, given: dict[str, tuple[float, float, float]], default: tuple[float, float, float] = (0.02, 0.95, 0.03)
    ) -> None:
        super().__init__(0.95, default)
        self.by_text = given

    def read(self, request: str, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        given = np.asarray(self.by_text.get(request, self.given), float)
        return np.full(len(targets), self.about), np.tile(given, (len(targets), 1))


def test_a_rejection_is_left_alone_when_another_clause_naming_it_wants_it() -> None:
    """The whole request reads as a rejection of Camping. Named by two clauses, one of which wants it read
    alone ("camping at the lake, no camping stove though"): conflicting, left alone. Named by one clause and
    answered by a cue that names nothing ("camping? not on your life"): excluded, as the whole reads it."""
    m = matcher(0.95, (0.02, 0.95, 0.03))
    m.parser.stance = ByText({"camping at the lake": (0.95, 0.02, 0.03), "camping": (0.95, 0.02, 0.03)})
    both = m.parse("camping at the lake, no camping stove though")
    assert (both.include, both.exclude, both.avoid) == ((), (), ())
    answered = m.parse("camping? not on your life")
    assert answered.exclude == ("Camping",)
    said_once = m.parse("camping? count me out")  # no cue: a soft rejection only
    assert said_once.exclude == () and dict(said_once.avoid).get("Camping", 0) > 0.5


def test_a_wish_is_left_alone_when_the_clause_naming_it_rejects_it_read_alone() -> None:
    """The whole request reads as a wish for Camping, but the one clause that names it, read alone, rejects
    it ("don't give me camping gear, I'm not outdoorsy": a reason after a rejection turned the whole reading):
    the two readings disagree, so Camping is neither asked for nor removed. When the clause alone agrees, the
    wish stands; a request of one clause has nothing to check."""
    m = matcher(0.95, (0.95, 0.02, 0.03))
    m.parser.stance = ByText({"don't give me camping gear": (0.02, 0.95, 0.03)}, (0.95, 0.02, 0.03))
    turned = m.parse("don't give me camping gear, I'm not outdoorsy")
    assert (turned.include, turned.exclude, turned.avoid) == ((), (), ())
    m.parser.stance = ByText({}, (0.95, 0.02, 0.03))
    agreed = m.parse("camping gear please, I'm going to the lake")
    assert agreed.include == ("Camping",)
    assert m.parse("camping gear please").include == ("Camping",)


def test_the_learned_reader_reads_a_named_field_against_that_field() -> None:
    """An author named word for word is a candidate of its own (clearly named), decided like a category."""
    rows = [("b1", "Summer Kiss", ("Romance",), "Rosa Bellamy"), ("b2", "Old Empires", ("History",), "Tobias Grant")]
    frame = pd.DataFrame(rows, columns=["item_id", "title", "category", "author"]).set_index("item_id")
    m = IntentMatcher(IdMap(frame.index.to_numpy()), ItemCatalog(frame), HashingEncoder(dim=256),
                      IntentConfig(reader="rules", named_fields=["author"]))  # fmt: skip
    m.parser.stance = FixedStance(0.95, (0.95, 0.02, 0.03))
    wish = m.parse("anything by Rosa Bellamy")
    assert "author: Rosa Bellamy" in wish.include
    np.testing.assert_array_equal(m.match(wish)[0] > 0, [True, False])
    m.parser.stance = FixedStance(0.95, (0.02, 0.95, 0.03))
    rejected = m.parse("not Tobias Grant again")
    assert rejected.exclude == ("author: Tobias Grant",)
    np.testing.assert_array_equal(m.match(rejected)[1], [False, True])


def test_a_value_only_described_is_never_rejected() -> None:
    """A rejection needs the value named at least `reject_similarity` closely: below it, however sure the model,
    nothing is lowered or removed ("something funny": Comedy only described)."""
    frame = pd.DataFrame(ROWS, columns=["item_id", "title", "category"]).set_index("item_id")

    def reading_of(similarity: float):  # type: ignore[no-untyped-def]
        m = IntentMatcher(IdMap(frame.index.to_numpy()), ItemCatalog(frame), HashingEncoder(dim=256),
                          IntentConfig(reader="rules", reject_similarity=similarity))  # fmt: skip
        m.parser.stance = FixedStance(0.95, (0.02, 0.95, 0.03))
        return m.parse("no camping gear")

    named, described = reading_of(0.0), reading_of(1.0)  # "camping gear" is below 1.0 like the value's name
    assert named.exclude == ("Camping",)
    assert (described.include, described.exclude, described.avoid) == ((), (), ())


def test_a_need_told_over_several_clauses_is_read_as_a_whole() -> None:
    """No clause alone names Camping closely enough (threshold 0.8: "the tent" 0.72), the request's words together
    do (0.99): it is a candidate wish, decided by the model; a single clause still needs to name it itself."""
    frame = pd.DataFrame(ROWS, columns=["item_id", "title", "category"]).set_index("item_id")
    m = IntentMatcher(IdMap(frame.index.to_numpy()), ItemCatalog(frame), HashingEncoder(dim=256),
                      IntentConfig(reader="rules", threshold=0.8, tentative=0.8))  # fmt: skip
    m.parser.stance = FixedStance(0.95, (0.95, 0.02, 0.03))
    assert m.parse("the tent, the lantern").include == ("Camping",)
    assert m.parse("the tent").empty
    m.parser.stance = FixedStance(0.95, (0.02, 0.95, 0.03))  # read as a whole, a value is only ever wished for
    rejected = m.parse("no tent, no lantern")
    assert (rejected.include, rejected.exclude, rejected.avoid) == ((), (), ())


def test_a_wish_for_a_value_the_request_is_hardly_about_is_not_asked_for() -> None:
    """P(wanted | about) says nothing when P(about) is low ("no reggae please" and Hip-Hop: about 0.5, "wanted" 0.97
    given about): below `about_probability` the value is not asked for, in `decide` and through the parser."""
    sure, unsure = reading(0.6, 0.95, 0.02), reading(0.4, 0.95, 0.02)
    assert decide([sure], 0.8, 0.5, 0.5, about_probability=0.5).include == {"Camping": 0.57}
    assert decide([unsure], 0.8, 0.5, 0.5, about_probability=0.5).include == {}
    assert decide([unsure], 0.8, 0.5, 0.5).include == {"Camping": 0.38}  # no floor: the old reading
    assert matcher(0.6, (0.95, 0.02, 0.03)).parse("camping gear").include == ("Camping",)
    assert matcher(0.4, (0.95, 0.02, 0.03)).parse("camping gear").empty
