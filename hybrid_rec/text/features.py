"""Catalog rows -> numeric item features, for models that learn from what an item *is*.

`ItemFeaturizer` reads each catalog field by what it holds: list fields (genres) become multi-hot
over their most frequent values, numeric fields (year) one-hot quantile buckets plus a "missing"
flag, short categorical fields one-hot, and the named text fields (title) sentence-encoder
vectors. What `fit` learns (the vocabularies and bucket edges) is plain JSON, so a saved
featurizer reads new catalog rows the same way without running any code.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from hybrid_rec.config import StrictModel
from hybrid_rec.data.catalog import ItemCatalog
from hybrid_rec.errors import DataError
from hybrid_rec.text.config import TextEncoderConfig, shared_encoder
from hybrid_rec.text.encoder import TextEncoder


class ItemFeaturesConfig(StrictModel):
    """Which catalog fields become item features, and how."""

    fields: list[str] | None = Field(
        None, description="Catalog fields to use (None: every field); fields the catalog lacks are an error."
    )
    text_fields: list[str] = Field(
        default_factory=lambda: ["title"],
        description="Fields embedded by the sentence encoder (free text); missing ones are skipped.",
    )
    max_values: int = Field(
        200, gt=0, description="List and categorical fields: the most frequent values that get a column each."
    )
    buckets: int = Field(10, gt=1, description="Numeric fields: quantile buckets, one column each.")
    numeric_share: float = Field(
        0.8, gt=0, le=1, description="A field is numeric when at least this share of its values parse as numbers."
    )
    encoder: TextEncoderConfig = Field(
        default_factory=TextEncoderConfig, description="The sentence encoder of the text fields."
    )


class FieldSpec(StrictModel):
    """What `fit` learned about one field."""

    name: str = Field(description="The catalog field.")
    kind: Literal["multi", "numeric", "categorical", "text"] = Field(description="How the field is read.")
    values: list[str] = Field(default_factory=list, description="multi / categorical: the values with a column.")
    edges: list[float] = Field(default_factory=list, description="numeric: inner quantile edges of the buckets.")


class FittedFeatures(StrictModel):
    """A fitted featurizer: its config and one spec per field, in column order (saved as JSON)."""

    config: ItemFeaturesConfig = Field(description="The featurizer's config.")
    specs: list[FieldSpec] = Field(description="One per used field, in column order.")
    text_dim: int = Field(0, ge=0, description="Width of each text field's encoder vector (0: no text field).")


def _number(value: object) -> float:
    """A value as a number (a leading year of a date counts); NaN when it is none."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return float("nan")
    text = str(value).strip()
    try:
        return float(text)
    except ValueError:
        try:
            return float(text[:4]) if len(text) >= 4 else float("nan")
        except ValueError:
            return float("nan")


def _as_list(value: object) -> list[str]:
    if isinstance(value, tuple | list | np.ndarray):
        return [str(v) for v in value]
    return [] if value is None or (isinstance(value, float) and np.isnan(value)) else [str(value)]


class ItemFeaturizer:
    """``fit(catalog)`` learns each field's reading; ``transform(catalog, ids)`` gives [n, dim] features
    (a row of zeros, and ``known`` False, for an id the catalog does not hold)."""

    def __init__(self, fitted: FittedFeatures, encoder: TextEncoder | None = None) -> None:
        self.fitted = fitted
        self._encoder = encoder

    @property
    def encoder(self) -> TextEncoder:
        if self._encoder is None:
            self._encoder = shared_encoder(self.fitted.config.encoder.model_dump_json())
        return self._encoder

    @classmethod
    def fit(cls, catalog: ItemCatalog, config: ItemFeaturesConfig | None = None,
            encoder: TextEncoder | None = None) -> ItemFeaturizer:  # fmt: skip
        """Learn each field's vocabulary or bucket edges from every catalog row."""
        config = config or ItemFeaturesConfig()
        fields = config.fields if config.fields is not None else catalog.fields
        missing = [f for f in fields if f not in catalog.fields]
        if missing:
            raise DataError(f"item features: fields {missing} are not in the catalog (it has {catalog.fields})")
        specs = [_spec(name, catalog.items[name], config) for name in fields]
        self = cls(FittedFeatures(config=config, specs=specs), encoder)
        if any(s.kind == "text" for s in specs):
            self.fitted = self.fitted.model_copy(update={"text_dim": int(self.encoder.encode(["probe"]).shape[1])})
        return self

    @property
    def dim(self) -> int:
        return sum(_width(s, self.fitted) for s in self.fitted.specs)

    def transform(self, catalog: ItemCatalog, item_ids: Sequence[object] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """([len(item_ids), dim] float32 features, [len(item_ids)] bool: the id is in the catalog)."""
        ids = list(item_ids)
        known = np.array([i in catalog for i in ids], bool)
        out = np.zeros((len(ids), self.dim), np.float32)
        rows = catalog.items.loc[[i for i, k in zip(ids, known, strict=True) if k]]
        at = np.flatnonzero(known)
        col = 0
        for spec in self.fitted.specs:
            width = _width(spec, self.fitted)
            if len(at):
                out[at, col : col + width] = self._block(spec, rows[spec.name])
            col += width
        return out, known

    def _block(self, spec: FieldSpec, values: pd.Series) -> np.ndarray:
        n = len(values)
        if spec.kind == "text":
            texts = ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in values]
            block = np.zeros((n, self.fitted.text_dim), np.float32)
            present = [i for i, t in enumerate(texts) if t.strip()]
            if present:
                block[present] = self.encoder.encode([texts[i] for i in present])
            return block
        if spec.kind == "numeric":
            x = np.array([_number(v) for v in values])
            block = np.zeros((n, len(spec.edges) + 2), np.float32)
            ok = ~np.isnan(x)
            block[np.flatnonzero(ok), np.searchsorted(spec.edges, x[ok], side="right")] = 1.0
            block[~ok, -1] = 1.0  # missing
            return block
        lookup = {v: j for j, v in enumerate(spec.values)}
        block = np.zeros((n, len(spec.values)), np.float32)
        for r, value in enumerate(values):
            for v in _as_list(value):
                if v in lookup:
                    block[r, lookup[v]] = 1.0
        return block


def _width(spec: FieldSpec, fitted: FittedFeatures) -> int:
    if spec.kind == "text":
        return fitted.text_dim
    if spec.kind == "numeric":
        return len(spec.edges) + 2
    return len(spec.values)


def _spec(name: str, values: pd.Series, config: ItemFeaturesConfig) -> FieldSpec:
    """How to read one field, learned from its values."""
    if name in config.text_fields:
        return FieldSpec(name=name, kind="text")
    lists = values.map(lambda v: isinstance(v, tuple | list | np.ndarray)).any()
    if not lists:
        x = np.array([_number(v) for v in values])
        if len(x) and (~np.isnan(x)).mean() >= config.numeric_share:
            qs = np.quantile(x[~np.isnan(x)], np.linspace(0, 1, config.buckets + 1)[1:-1])
            return FieldSpec(name=name, kind="numeric", edges=sorted({float(q) for q in qs}))
    counts: Counter[str] = Counter(v for value in values for v in _as_list(value))
    top = sorted(counts, key=lambda v: (-counts[v], v))[: config.max_values]
    return FieldSpec(name=name, kind="multi" if lists else "categorical", values=top)
