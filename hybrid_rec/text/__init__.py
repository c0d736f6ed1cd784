"""Text layer: item text and user requests -> unit vectors (pretrained MiniLM, or feature hashing)."""

from hybrid_rec.text.config import ENCODERS, TextEncoderConfig, build_encoder
from hybrid_rec.text.encoder import TextEncoder
from hybrid_rec.text.hashing import HashingEncoder
from hybrid_rec.text.minilm import MiniLMEncoder, ensure_model, minilm_available

__all__ = [
    "ENCODERS",
    "HashingEncoder",
    "MiniLMEncoder",
    "TextEncoder",
    "TextEncoderConfig",
    "build_encoder",
    "ensure_model",
    "minilm_available",
]
