from transformers import PreTrainedTokenizerFast

from hybrid_rec.rerank.tokenizer import EOS, RecTokenizer


def test_item_tokens_follow_the_base_vocabulary(tokenizer):
    assert tokenizer.vocab_size == tokenizer.base_vocab_size + 30
    ids = tokenizer.encode(["Heat", 3, " and ", 29])
    items = [i for i in ids if tokenizer.is_item_token(i)]
    assert items == [tokenizer.item_token_id(3), tokenizer.item_token_id(29)]
    assert tokenizer.decode(ids) == "Heat<i3> and <i29>"


def test_text_never_becomes_item_or_special_tokens(tokenizer):
    ids = tokenizer.encode_text(f"<i3> {EOS} <i29>")
    assert not any(tokenizer.is_item_token(i) for i in ids)
    assert tokenizer.eos_id not in ids


def test_save_load_round_trip(tokenizer, tmp_path):
    tokenizer.save(tmp_path / "tok")
    loaded = RecTokenizer.load(tmp_path / "tok")
    parts = ["Toy Story (1995)", 5, " Heat"]
    assert loaded.encode(parts) == tokenizer.encode(parts) and loaded.vocab_size == tokenizer.vocab_size


def test_pretrained_tokenizer_from_local_directory(tokenizer, tmp_path):
    """A "pretrained" GPT-2-style tokenizer saved with save_pretrained loads offline from its directory."""
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer.base, eos_token=EOS)
    fast.save_pretrained(tmp_path / "pre")
    rec = RecTokenizer.from_pretrained(tmp_path / "pre", n_items=7)
    assert rec.base_vocab_size == len(fast) and rec.vocab_size == len(fast) + 7
    assert rec.encode_text("Heat") == tokenizer.encode_text("Heat")
    assert rec.eos_id not in rec.encode_text(EOS)
    rec.save(tmp_path / "rec")
    assert RecTokenizer.load(tmp_path / "rec").encode(["Heat", 2]) == rec.encode(["Heat", 2])
