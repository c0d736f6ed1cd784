"""The learned stance model: how a request stands to each thing it may be about (wanted, rejected,
neither), trained on a compositional grammar over the pretrained encoder's token states."""

from hybrid_rec.text.stance.model import StanceConfig
from hybrid_rec.text.stance.reader import StanceReader, build_stance

__all__ = ["StanceConfig", "StanceReader", "build_stance"]
