"""Seeded synthetic datasets with planted structure, each returned with its ground truth, so tests
can assert that a method finds the structure and benchmarks can measure how well.

- `clusters`: `make_synthetic`: user clusters over item groups, planted item successors, film-like
  titles and genres (the tests' and scale benchmarks' default data);
- `products`: `make_products`: a shop catalog (camping, kitchen, audio, ...) with descriptive product
  titles, a category list field and users who prefer a few categories (request benchmarks); with
  ``kind="music"`` a record shop's (jazz, rock, classical, ...; items are albums), with ``kind="books"`` a
  bookshop's (subjects; items are books, each with an author), with ``kind="trips"`` a travel agency's (kinds
  of holiday; items are trips, each with a destination);
- `series`: `make_series`: franchises with numbered parts in the titles, watched in order with noise,
  a long tail of rare franchises (sequence and tail-item benchmarks);
- `stream`: per-user item sequences -> timestamps -> one `Interactions` event stream.
"""

from hybrid_rec.data.synthetic.clusters import SyntheticConfig, SyntheticDataset, SyntheticTruth, make_synthetic
from hybrid_rec.data.synthetic.products import (
    MUSIC_CATEGORIES,
    PRODUCT_CATEGORIES,
    TRIP_CATEGORIES,
    CategoryWords,
    ProductConfig,
    ProductDataset,
    ProductTruth,
    make_products,
)
from hybrid_rec.data.synthetic.series import SeriesConfig, SeriesDataset, SeriesTruth, make_series, series_title

__all__ = [
    "MUSIC_CATEGORIES",
    "PRODUCT_CATEGORIES",
    "TRIP_CATEGORIES",
    "CategoryWords",
    "ProductConfig",
    "ProductDataset",
    "ProductTruth",
    "SeriesConfig",
    "SeriesDataset",
    "SeriesTruth",
    "SyntheticConfig",
    "SyntheticDataset",
    "SyntheticTruth",
    "make_products",
    "make_series",
    "make_synthetic",
    "series_title",
]
