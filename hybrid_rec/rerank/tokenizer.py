"""`RecTokenizer`: a byte-level BPE (or any pretrained GPT-2 tokenizer) plus one token per item.

Item tokens live *after* the base vocabulary (id = ``base_vocab_size + internal item id``) and are
never produced from text: text is encoded by the base tokenizer with special-token matching turned
off, so a catalog title such as ``<i42>`` or ``<|endoftext|>`` stays plain text. Only the
verbalizer's `ItemRef` parts become item tokens.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import cast

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import AutoTokenizer, PreTrainedTokenizerBase

from hybrid_rec.errors import ConfigError, DataError
from hybrid_rec.persist import component_dir, require

EOS = "<|endoftext|>"


class RecTokenizer:
    """Encodes text with a base tokenizer and items as dedicated token ids."""

    def __init__(self, base: Tokenizer | PreTrainedTokenizerBase, n_items: int, source: str = "bpe") -> None:
        if n_items < 0:
            raise ConfigError(f"n_items must be >= 0, got {n_items}")
        self.base = base
        self.n_items = n_items
        self.source = source  # "bpe" (trained here) or the pretrained path/name
        if isinstance(base, Tokenizer):
            base.encode_special_tokens = True  # "<|endoftext|>" in text is text
            self.base_vocab_size = base.get_vocab_size(with_added_tokens=True)
            eos = base.token_to_id(EOS)
        else:
            self.base_vocab_size = len(base)
            eos = cast(int, base.convert_tokens_to_ids(base.eos_token or EOS))  # transformers: one str -> one id
        if eos is None or eos < 0:
            raise ConfigError(f"base tokenizer has no {EOS!r} token")
        self.eos_id = int(eos)

    # ------------------------------------------------------------------ construction
    @classmethod
    def train_bpe(cls, texts: Iterable[str], n_items: int, vocab_size: int = 2000, seed_text: str = "") -> RecTokenizer:
        """Train a byte-level BPE on `texts` (catalog and template text)."""
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size,
            special_tokens=[EOS],
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
        )
        tok.train_from_iterator([*texts, seed_text], trainer=trainer)
        return cls(tok, n_items, "bpe")

    @classmethod
    def from_pretrained(cls, path_or_name: str | Path, n_items: int) -> RecTokenizer:
        """Any GPT-2-style tokenizer from a local directory or hub name (no network access is attempted
        for local directories)."""
        try:
            base = AutoTokenizer.from_pretrained(str(path_or_name))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot load tokenizer {path_or_name!r}: {exc}") from exc
        return cls(base, n_items, str(path_or_name))

    # ------------------------------------------------------------------ ids
    @property
    def vocab_size(self) -> int:
        return self.base_vocab_size + self.n_items

    def item_token_id(self, item: int) -> int:
        if not 0 <= item < self.n_items:
            raise DataError(f"item index {item} outside [0, {self.n_items})")
        return self.base_vocab_size + int(item)

    def is_item_token(self, token_id: int) -> bool:
        return token_id >= self.base_vocab_size

    def encode_text(self, text: str) -> list[int]:
        """Base-tokenizer ids of `text`; never item or special tokens."""
        if isinstance(self.base, Tokenizer):
            return self.base.encode(text, add_special_tokens=False).ids
        return self.base(text, add_special_tokens=False, split_special_tokens=True)["input_ids"]

    def encode(self, parts: Sequence[str | int]) -> list[int]:
        """Concatenate parts: a str is text, an int is an internal item id (its item token)."""
        out: list[int] = []
        for part in parts:
            if isinstance(part, str):
                out.extend(self.encode_text(part))
            else:
                out.append(self.item_token_id(part))
        return out

    def decode(self, ids: Sequence[int]) -> str:
        """Readable text; item tokens render as ``<i{internal id}>``."""
        out: list[str] = []
        text_ids: list[int] = []
        for i in ids:
            if i >= self.base_vocab_size:
                if text_ids:
                    out.append(cast(str, self.base.decode(text_ids)))  # transformers: one sequence -> one str
                    text_ids = []
                out.append(f"<i{i - self.base_vocab_size}>")
            else:
                text_ids.append(int(i))
        if text_ids:
            out.append(cast(str, self.base.decode(text_ids)))
        return "".join(out)

    # ------------------------------------------------------------------ persistence
    def save(self, directory: str | Path) -> None:
        """The base tokenizer's own files plus ``rec_tokenizer.json``."""
        directory = component_dir(directory)
        if isinstance(self.base, Tokenizer):
            self.base.save(str(directory / "tokenizer.json"))
        else:
            self.base.save_pretrained(str(directory))
        meta = {
            "n_items": self.n_items,
            "base_vocab_size": self.base_vocab_size,
            "source": self.source,
            "kind": "bpe" if isinstance(self.base, Tokenizer) else "pretrained",
        }
        (directory / "rec_tokenizer.json").write_text(json.dumps(meta, indent=2))

    @classmethod
    def load(cls, directory: str | Path) -> RecTokenizer:
        directory = require(directory, "rec_tokenizer.json", what="RecTokenizer")
        meta = json.loads((directory / "rec_tokenizer.json").read_text())
        if meta["kind"] == "bpe":
            base: Tokenizer | PreTrainedTokenizerBase = Tokenizer.from_file(str(directory / "tokenizer.json"))
        else:
            base = AutoTokenizer.from_pretrained(str(directory))
        tok = cls(base, int(meta["n_items"]), meta["source"])
        if tok.base_vocab_size != meta["base_vocab_size"]:
            raise DataError(
                f"{directory}: base vocabulary size changed ({tok.base_vocab_size} != {meta['base_vocab_size']})"
            )
        return tok
