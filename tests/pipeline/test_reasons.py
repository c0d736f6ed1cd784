"""Each recommended item says in words why it is there: what of the request it matches, the history
item it is most often chosen with, or only its popularity."""

from __future__ import annotations

import numpy as np
import pytest

from hybrid_rec.pipeline import HybridPipeline


@pytest.fixture(scope="module")
def pipe(tiny_store) -> HybridPipeline:
    return HybridPipeline.load(tiny_store)


def test_items_a_request_matched_say_which_of_its_values(pipe):
    catalog = pipe.reranker.catalog
    genre = sorted({g for gs in catalog.items["genres"] for g in gs})[0]
    user = pipe.generator.users.ids[0]
    plain = [r.item_id for r in pipe.recommend([user], 15)[0]]  # a list of several genres, reranked whole
    recs = pipe.rerank(user, plain, request=f"a {genre} movie")
    has = [genre in catalog.item(r.item_id)["genres"] for r in recs]
    assert any(has) and not all(has), "the list mixes the asked genre with others"
    for r in recs:  # the reason is there exactly when the item has the asked genre, and names it alone
        has = genre in catalog.item(r.item_id)["genres"]
        said = [x for x in r.reasons if x.startswith("matches your request")]
        assert said == ([f"matches your request: {genre}"] if has else []), (r.item_id, r.reasons)


def test_a_known_users_items_name_a_history_item_they_are_chosen_with(pipe):
    user = pipe.generator.users.ids[0]
    history = set(pipe.generator.items.to_external(pipe.reranker.histories[0]).tolist())
    titles = {pipe.reranker.verbalizer.text_of(i) for i in history}
    recs = pipe.recommend([user], 10)[0]
    said = [x for r in recs for x in r.reasons if x.startswith("often chosen by people who chose ")]
    assert said and all(x.removeprefix("often chosen by people who chose ") in titles for x in said)
    # the named item is the user's history item closest to it in the CF model, never the item itself
    factors = pipe.generator.als.item_factors
    unit = factors / np.linalg.norm(factors, axis=1, keepdims=True)
    hist = pipe.reranker.histories[0][-50:]
    for r in recs:
        item = int(pipe.generator.items.to_internal([r.item_id])[0])
        sims = unit[hist] @ unit[item]
        best = pipe.reranker.verbalizer.text_of(pipe.generator.items.to_external([int(hist[np.argmax(sims)])])[0])
        named = [x for x in r.reasons if x.startswith("often chosen by")]
        assert named == ([f"often chosen by people who chose {best}"] if sims.max() >= 0.3 else [])


def test_a_followed_reason_has_the_evidence_its_rule_asks_for(pipe):
    """A property over many users' lists: "often chosen right after X" is said only when the item followed X at least
    `reason_pairs` times (pairs weighted 1 / gap) and more often than its base rate (lift above `reason_lift`), and X
    is the supported recent item it most often followed; a follow too thin for the rule is not a reason."""
    gen = pipe.generator
    cfg, t = gen.config.transitions, gen.fitted.transitions
    counts = t.counts.toarray()
    base = counts.sum(axis=0) / counts.sum()  # each item's share of every transition's later item
    named = withheld = 0
    for u, user in enumerate(gen.users.ids[:40]):
        recent = gen.recent_items(u)[: cfg.history]
        for r in pipe.recommend([user], 20)[0]:
            item = int(gen.items.to_internal([r.item_id])[0])
            hist = recent[(recent != item) & (recent < len(counts))]
            pairs = counts[hist, item]
            p = pairs / (counts[hist].sum(axis=1) + cfg.shrinkage + 1e-300)
            supported = (pairs >= cfg.reason_pairs) & (p / max(base[item], 1e-300) > cfg.reason_lift)
            said = [x for x in r.reasons if x.startswith("often chosen right after ")]
            if supported.any():
                named += 1
                best = hist[np.argmax(np.where(supported, p, 0.0))]
                text = pipe.reranker.verbalizer.text_of(gen.items.to_external([int(best)])[0])
                assert said == [f"often chosen right after {text}"], (r.item_id, r.reasons)
            else:
                assert not said, (r.item_id, r.reasons, pairs)
                withheld += bool((pairs > 0).any())
    assert named and withheld, "the lists hold both a supported follow and one too thin to be a reason"


def test_popular_with_everyone_is_said_only_of_the_head(pipe):
    """"popular with everyone" only for an item in the top tenth of items by interactions."""
    counts = pipe.generator.popularity_counts
    head = np.quantile(counts[counts > 0], 0.9)
    said = 0
    for user in pipe.generator.users.ids[:40]:
        for r in pipe.recommend([user], 20)[0]:
            if "popular with everyone" in r.reasons:
                said += 1
                assert counts[int(pipe.generator.items.to_internal([r.item_id])[0])] >= head, r.item_id
    for r in pipe.recommend(["nobody"], 20, on_unknown="fallback")[0]:  # popularity alone proposes these
        item = int(pipe.generator.items.to_internal([r.item_id])[0])
        assert ("popular with everyone" in r.reasons) == (counts[item] >= head and r.sources == ("popularity",))


def test_an_unknown_user_gets_reasons_without_a_history(pipe):
    recs = pipe.recommend(["nobody"], 5, on_unknown="fallback")[0]
    assert recs and not any(x.startswith("often chosen") for r in recs for x in r.reasons)
