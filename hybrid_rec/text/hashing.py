"""`HashingEncoder`: the dependency-free text encoder (and the fallback when MiniLM is absent).

Words and character n-grams of each word are hashed into `dim` signed buckets (the hashing trick)
with sublinear term frequency ``1 + log(tf)``; the word block and the n-gram block are each L2
normalised and summed, then the row is normalised again, so exact words and spelling overlap
("scary" ~ "scariest") count equally. No training and no randomness: the hash is CRC-32 of the
UTF-8 feature, not Python's per-process salted ``hash()``, so vectors are the same in every process.
It knows no synonyms ("funny" is not "comedy"): it matches wording, not meaning.
"""

from __future__ import annotations

import math
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
from tqdm.auto import tqdm

from hybrid_rec.errors import ConfigError
from hybrid_rec.text.encoder import DEFAULT_BATCH_SIZE, check_texts, l2_normalise

_WORD = re.compile(r"\w+", re.UNICODE)


class HashingEncoder:
    """Hashed word + character n-gram features, sublinear tf, L2 normalised."""

    name = "hashing"

    def __init__(
        self, dim: int = 1024, *, ngram_range: tuple[int, int] = (3, 5), batch_size: int = DEFAULT_BATCH_SIZE
    ) -> None:
        lo, hi = ngram_range
        if dim < 2:
            raise ConfigError(f"HashingEncoder dim must be >= 2, got {dim}")
        if not 1 <= lo <= hi:
            raise ConfigError(f"HashingEncoder ngram_range must satisfy 1 <= lo <= hi, got {ngram_range}")
        self.dim = dim
        self.ngram_range = (lo, hi)
        self.batch_size = batch_size

    def __repr__(self) -> str:
        return f"HashingEncoder(dim={self.dim}, ngram_range={self.ngram_range})"

    def _features(self, text: str) -> tuple[Counter[str], Counter[str]]:
        """(word counts, character n-gram counts) of `text`, lower-cased; words are padded "<word>"."""
        words = _WORD.findall(text.lower())
        lo, hi = self.ngram_range
        grams: Counter[str] = Counter()
        for word in words:
            padded = f"<{word}>"
            for n in range(lo, hi + 1):
                grams.update(padded[i : i + n] for i in range(len(padded) - n + 1))
        return Counter(words), grams

    def _block(self, counts: Counter[str], prefix: bytes) -> np.ndarray:
        """Signed hashed buckets of `counts` with weights ``1 + log(tf)``, L2 normalised."""
        out = np.zeros(self.dim, dtype=np.float64)
        for feature, tf in counts.items():
            h = zlib.crc32(prefix + feature.encode("utf-8"))
            sign = 1.0 if h & 0x80000000 else -1.0  # the top bit signs, the rest picks the bucket
            out[(h & 0x7FFFFFFF) % self.dim] += sign * (1.0 + math.log(tf))
        norm = float(np.linalg.norm(out))
        return out / norm if norm > 0 else out

    def encode(self, texts: Sequence[str], *, batch_size: int | None = None, progress: bool = False) -> np.ndarray:
        """Float32 ``[len(texts), dim]``, unit rows (a text without any word: a zero row)."""
        items = check_texts(texts)
        out = np.zeros((len(items), self.dim), dtype=np.float32)
        rows: Iterable[int] = range(len(items))
        if progress:
            rows = tqdm(rows, desc="hashing texts", unit="text")
        for row in rows:
            words, grams = self._features(items[row])
            if words:
                out[row] = self._block(words, b"w:") + self._block(grams, b"c:")
        return l2_normalise(out)
