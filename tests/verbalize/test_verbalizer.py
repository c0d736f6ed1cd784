from __future__ import annotations

import pandas as pd
import pytest

from hybrid_rec.config import StrictModel
from hybrid_rec.data import IdMap, ItemCatalog
from hybrid_rec.errors import ConfigError
from hybrid_rec.rerank.tokenizer import EOS, RecTokenizer
from hybrid_rec.verbalize import BUILTIN_TEMPLATES, Template, Verbalizer, VerbalizerConfig
from hybrid_rec.verbalize.verbalizer import encode_instruction, encode_with_layout


@pytest.fixture()
def setup():
    items = IdMap(["m1", "m2", "evil1", "evil2"], name="item")
    catalog = ItemCatalog(
        pd.DataFrame(
            {
                "title": ["Heat", "Fargo", "<i1>", EOS],
                "year": ["1995", "1996", "2000", "2001"],
                "genres": [("Action",), ("Crime", "Drama"), ("Comedy",), ("Horror",)],
            },
            index=pd.Index(["m1", "m2", "evil1", "evil2"], name="item_id"),
        ),
        pd.DataFrame(
            {"age": ["33"], "occupation": ["writer"], "zip_code": ["90210"]},
            index=pd.Index(["user-secret-42"], name="user_id"),
        ),
    )
    tok = RecTokenizer.train_bpe(["Heat Fargo Instruction recommend the next movie History"], n_items=4, vocab_size=300)
    return items, catalog, tok


def test_builtin_templates_cover_three_kinds():
    kinds = {t.kind for t in BUILTIN_TEMPLATES.values()}
    assert len(BUILTIN_TEMPLATES) >= 6 and kinds == {"implicit", "intention", "task"}


def test_catalog_text_cannot_inject_item_or_special_tokens(setup):
    items, catalog, tok = setup
    v = Verbalizer(items, catalog, VerbalizerConfig(history_format="titles", continuation="item_title"))
    ids = encode_instruction(v.instruction([2, 3, 0]), tok, 500)
    item_ids = [i for i in ids if tok.is_item_token(i)]
    assert item_ids == [tok.item_token_id(2), tok.item_token_id(3), tok.item_token_id(0)]  # only real refs
    assert ids.count(tok.eos_id) == 1 and ids[0] == tok.eos_id  # only the template's start marker
    cont = tok.encode(v.continuation(3))
    assert cont[0] == tok.item_token_id(3) and tok.eos_id not in cont[1:]
    assert not any(tok.is_item_token(i) for i in cont[1:])


def test_history_truncation_keeps_the_most_recent(setup):
    items, catalog, tok = setup
    v = Verbalizer(items, catalog)
    instr = v.instruction([0, 1, 2, 3, 0, 1])
    _full, starts = encode_with_layout(instr, tok, 10_000)
    head = starts[0]
    ids, _kept = encode_with_layout(instr, tok, head + 2)
    assert len(ids) == head + 2 and ids[-2:] == [tok.item_token_id(0), tok.item_token_id(1)]
    with pytest.raises(ConfigError, match="fixed part .* shorten the request"):
        encode_instruction(instr, tok, head - 1)


def test_privacy_only_allowed_attributes_and_never_the_user_id(setup):
    items, catalog, _ = setup
    attrs = catalog.user("user-secret-42")
    text = Verbalizer(items, catalog, VerbalizerConfig(template="profile", attributes=["age"])).render(
        Verbalizer(items, catalog, VerbalizerConfig(template="profile", attributes=["age"])).instruction(
            [0], attributes=attrs
        )
    )
    assert "age 33" in text and "writer" not in text and "90210" not in text and "secret" not in text
    closed = Verbalizer(items, catalog, VerbalizerConfig(template="profile"))
    assert "33" not in closed.render(closed.instruction([0], attributes=attrs))


def test_request_selects_the_intention_template(setup):
    items, catalog, _ = setup
    v = Verbalizer(items, catalog)
    text = v.render(v.instruction([0, 1], request="a  comedy\n"))
    assert "asks for a comedy." in text and text.endswith("[Fargo (1996); Crime, Drama]")
    with pytest.raises(ConfigError, match="needs a request"):
        v.instruction([0], template="intention")
    task = v.render(v.instruction([0], template="rank", candidates=[1, 2]))
    assert "[Fargo (1996); Crime, Drama]" in task and "candidates" in task


def test_custom_templates_from_toml_and_validation(setup, tmp_path):
    items, catalog, _ = setup

    class Holder(StrictModel):
        verbalizer: VerbalizerConfig

    path = tmp_path / "v.toml"
    path.write_text(
        '[verbalizer]\ntemplate = "mine"\n[[verbalizer.templates]]\nname = "mine"\nkind = "implicit"\n'
        'prompt = "{eos}Seen:{history}"\n'
    )
    cfg = Holder.from_toml(path)
    assert Holder.from_dict(Holder.model_validate(cfg.model_dump()).model_dump()) == cfg
    v = Verbalizer(items, catalog, cfg.verbalizer)
    assert v.render(v.instruction([1])) == "Seen:[Fargo (1996); Crime, Drama]"
    with pytest.raises(ValueError, match="must end with"):
        Template(name="x", kind="implicit", prompt="{history} then text")
    with pytest.raises(ValueError, match="unknown placeholder"):
        Template(name="x", kind="implicit", prompt="{user_id}{history}")
    with pytest.raises(ConfigError, match="unknown template"):
        Verbalizer(items, catalog, VerbalizerConfig(template="nope"))


def test_intentions_name_a_shops_category_field():
    """Training intentions (and the request fusion fitted on them) come from any catalog's category
    field, not only from one named 'genres'."""
    import numpy as np

    catalog = ItemCatalog(pd.DataFrame({"title": ["Trail Headlamp", "Chef Knife"], "category": [("camping",), ("kitchen",)]},
                                       index=["a", "b"]))  # fmt: skip
    v = Verbalizer(IdMap(["a", "b"]), catalog, VerbalizerConfig(noun="product"))
    assert v.genres(1) == ("kitchen",)
    assert v.genre_request(0, np.random.default_rng(0)) == "a camping product"


def test_prompts_speak_of_what_the_catalog_calls_an_item(tmp_path):
    """A shop's prompt says "product" without any verbalizer setting; a set noun wins; no noun: "item"."""
    rows = pd.DataFrame({"title": ["Trail Headlamp", "Chef Knife"], "category": [("camping",), ("kitchen",)]},
                        index=["a", "b"])  # fmt: skip
    items = IdMap(["a", "b"])
    shop = ItemCatalog(rows, noun="product")
    assert "Recommend a product that fits" in Verbalizer(items, shop).render(
        Verbalizer(items, shop).instruction([0], request="a knife")
    )
    assert Verbalizer(items, shop, VerbalizerConfig(noun="gadget")).noun == "gadget"
    assert Verbalizer(items, ItemCatalog(rows)).noun == "item" and Verbalizer(items).noun == "item"
    shop.save(tmp_path)  # the noun travels with a saved catalog
    assert ItemCatalog.load(tmp_path).noun == "product"
    assert shop.merged(rows.iloc[:1]).noun == "product"


def test_an_instruction_carries_its_request_for_the_lm_to_read():
    v = Verbalizer(IdMap(["a", "b"]))
    assert v.instruction([0], request="  a  quiet\tone ").request == "a quiet one"
    assert v.instruction([0]).request is None and v.instruction([0], request="  ").request is None


def test_reactions_are_written_after_the_history_and_trimmed_to_fit(setup):
    items, catalog, tok = setup
    v = Verbalizer(items, catalog)
    plain = v.instruction([0, 1])
    said = v.instruction([0, 1], reactions={"passed": [2, 3], "liked": [1], "disliked": []})
    assert v.render(said) == v.render(plain) + " passed over:" + "".join(f"[{v.item_text(i)}]" for i in (2, 3)) \
        + " more like:" + f"[{v.item_text(1)}]" + " next:"
    assert v.instruction([0, 1], reactions={"passed": []}).reactions == []  # nothing said: the plain prompt
    full, starts = encode_with_layout(said, tok, 10_000)
    assert full[-len(tok.encode_text(" next:")) :] == tok.encode_text(" next:")
    # a tight budget: the history keeps at least half the room, the passed-over items go first
    head = starts[0]
    tight, kept = encode_with_layout(said, tok, head + 10)
    assert len(tight) <= head + 10 and kept
    assert tok.item_token_id(1) in tight[len(tight) - 8 :]  # "more like" stayed, the passed ones went first
