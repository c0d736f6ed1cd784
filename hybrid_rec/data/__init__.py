"""Data layer: id maps, interactions, catalogs, datasets, splits and synthetic data."""

from hybrid_rec.data.catalog import ItemCatalog
from hybrid_rec.data.datasets import Dataset, fetch_dataset, fetch_movielens_100k, load_dataset
from hybrid_rec.data.filters import k_core
from hybrid_rec.data.ids import IdMap
from hybrid_rec.data.interactions import ColumnMapping, Interactions
from hybrid_rec.data.recbole import load_recbole
from hybrid_rec.data.splits import Split, leave_last_out, random_holdout, temporal_split
from hybrid_rec.data.synthetic import SyntheticConfig, make_synthetic

__all__ = [
    "ColumnMapping",
    "Dataset",
    "IdMap",
    "Interactions",
    "ItemCatalog",
    "Split",
    "SyntheticConfig",
    "fetch_dataset",
    "fetch_movielens_100k",
    "k_core",
    "leave_last_out",
    "load_dataset",
    "load_recbole",
    "make_synthetic",
    "random_holdout",
    "temporal_split",
]
