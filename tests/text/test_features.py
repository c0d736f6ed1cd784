from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hybrid_rec.data.catalog import ItemCatalog
from hybrid_rec.errors import DataError
from hybrid_rec.text import TextEncoderConfig
from hybrid_rec.text.features import FittedFeatures, ItemFeaturesConfig, ItemFeaturizer

HASHING = TextEncoderConfig(kind="hashing", dim=32)


def catalog() -> ItemCatalog:
    frame = pd.DataFrame(
        {
            "title": ["Alpha", "Beta", "Gamma", "Delta"],
            "year": ["1990", "1995", "unknown", "2000"],
            "genres": [("Comedy",), ("Drama", "Comedy"), ("Horror",), ()],
            "studio": ["a", "b", "a", "c"],
        },
        index=pd.Index([10, 11, 12, 13], name="item_id"),
    )
    return ItemCatalog(frame)


def test_each_field_is_read_by_what_it_holds():
    feats = ItemFeaturizer.fit(catalog(), ItemFeaturesConfig(buckets=2, numeric_share=0.7, encoder=HASHING))
    kinds = {s.name: s.kind for s in feats.fitted.specs}
    assert kinds == {"title": "text", "year": "numeric", "genres": "multi", "studio": "categorical"}
    x, known = feats.transform(catalog(), [11, 12, 99])
    assert known.tolist() == [True, True, False]
    assert not x[2].any()  # not in the catalog: a row of zeros
    col = 32  # after the title vector
    year = x[:, col : col + 3]  # 2 buckets + missing
    assert year[0].tolist() == [0.0, 1.0, 0.0] and year[1].tolist() == [0.0, 0.0, 1.0]  # 1995 high; unknown
    genres = feats.fitted.specs[2].values
    g = x[0, col + 3 : col + 3 + len(genres)]
    assert {genres[j] for j in np.flatnonzero(g)} == {"Drama", "Comedy"}
    assert x.shape[1] == feats.dim


def test_saved_json_reads_new_rows_the_same_way():
    feats = ItemFeaturizer.fit(catalog(), ItemFeaturesConfig(text_fields=[], numeric_share=0.7, encoder=HASHING))
    again = ItemFeaturizer(FittedFeatures.model_validate_json(feats.fitted.model_dump_json()))
    new = ItemCatalog(pd.DataFrame({"title": ["New"], "year": ["1999"], "genres": [("Horror", "Western")],
                                    "studio": ["z"]}, index=pd.Index([50])))  # fmt: skip
    assert np.array_equal(feats.transform(new, [50])[0], again.transform(new, [50])[0])
    assert feats.transform(new, [50])[0].sum() == 2.0  # one year bucket + Horror (unseen Western / studio z: none)


def test_a_field_the_catalog_lacks_is_named():
    with pytest.raises(DataError, match="plot"):
        ItemFeaturizer.fit(catalog(), ItemFeaturesConfig(fields=["title", "plot"], encoder=HASHING))
