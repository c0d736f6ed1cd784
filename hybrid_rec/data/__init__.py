"""Data layer: id maps, interactions, catalogs, datasets, splits, synthetic data and their configs."""

from hybrid_rec.data.catalog import ItemCatalog
from hybrid_rec.data.config import DatasetConfig, SplitConfig, build_dataset, build_split
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
    "DatasetConfig",
    "IdMap",
    "Interactions",
    "ItemCatalog",
    "Split",
    "SplitConfig",
    "SyntheticConfig",
    "build_dataset",
    "build_split",
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
