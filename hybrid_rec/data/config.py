"""Dataset configuration: where a pipeline's or a comparison's interactions come from."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from hybrid_rec.config import StrictModel
from hybrid_rec.data.catalog import CatalogColumns, UserColumns, catalog_from_files, with_catalog_items
from hybrid_rec.data.datasets import DATASETS, Dataset, load_dataset
from hybrid_rec.data.interactions import ColumnMapping, Interactions
from hybrid_rec.data.recbole import load_recbole
from hybrid_rec.data.synthetic import SyntheticConfig, make_synthetic


class DatasetConfig(StrictModel):
    """Where the interactions come from.

    ``name``: a registered dataset (``movielens-100k``, ``movielens-1m``, ``amazon2023-all-beauty``, ...:
    the keys of `hybrid_rec.data.datasets.DATASETS`), ``synthetic`` (see `synthetic`), ``file``
    (CSV/TSV/Parquet at `path`, columns mapped by `columns`) or ``recbole`` (atomic files:
    `path` is the ``.inter`` file, `item_path`/`user_path` optional). ``min_weight`` keeps only rows
    whose weight is at least this (e.g. ratings >= 4 as positives).
    """

    name: str = Field(
        "movielens-100k",
        description=f"A registered dataset (fetched and cached: {', '.join(repr(n) for n in DATASETS)}), 'synthetic', "
        "'file' (your own events at `path`) or 'recbole' (RecBole atomic files).",
    )
    path: str | None = Field(
        None, description="'file': the CSV/TSV/Parquet events file; 'recbole': the .inter file. Required for both."
    )
    item_path: str | None = Field(
        None,
        description="The optional item catalog: 'recbole': the .item file; 'file': a CSV/TSV/Parquet of items "
        "(columns in `item_columns`).",
    )
    user_path: str | None = Field(
        None,
        description="Optional user attributes: 'recbole': the .user file; 'file': a CSV/TSV/Parquet with the id "
        "column of `user_columns` and one column per attribute.",
    )
    item_columns: CatalogColumns = Field(
        default_factory=CatalogColumns, description="'file': which columns of the items file hold id, title, ..."
    )
    user_columns: UserColumns = Field(default_factory=UserColumns, description="'file': the users file's id column.")
    format: Literal["auto", "csv", "tsv", "parquet"] = Field(
        "auto", description="'file': the file format; 'auto' goes by the file extension."
    )
    columns: ColumnMapping = Field(
        default_factory=ColumnMapping,
        description="'file': which columns hold user, item, timestamp, weight and event type "
        "('recbole': only `weight` is used).",
    )
    synthetic: SyntheticConfig = Field(
        default_factory=SyntheticConfig, description="'synthetic': size and structure of the generated data."
    )
    chunk_rows: int | None = Field(
        None,
        gt=0,
        description="'file': read the events this many rows at a time (only one chunk of text ids in memory; "
        "for files of tens of millions of rows); unset reads the whole file at once.",
    )
    min_weight: float | None = Field(
        None,
        description="Keep only rows whose weight is at least this (e.g. 4 to take ratings >= 4 as positives); "
        "unset keeps every row.",
    )

    @model_validator(mode="after")
    def _path_needed(self) -> DatasetConfig:
        if self.name in ("file", "recbole") and not self.path:
            raise ValueError(f"dataset.path is required when dataset.name = {self.name!r}")
        if self.name not in ("synthetic", "file", "recbole") and self.name not in DATASETS:
            raise ValueError(
                f"unknown dataset {self.name!r}; registered: {sorted(DATASETS)}, or 'synthetic', 'file', 'recbole'"
            )
        return self


def build_dataset(cfg: DatasetConfig, home: str | Path | None = None) -> Dataset:
    """Load (or generate) the dataset `cfg` names, applying ``min_weight``."""
    if cfg.name == "synthetic":
        dataset: Dataset = make_synthetic(cfg.synthetic)
    elif cfg.name == "file":
        inter = Interactions.from_file(cfg.path or "", cfg.columns, format=cfg.format, chunk_rows=cfg.chunk_rows)
        catalog = catalog_from_files(
            inter.items, cfg.item_path, cfg.user_path, cfg.item_columns, cfg.user_columns, inter.users
        )
        dataset = Dataset(cfg.path or "", with_catalog_items(inter, catalog, source=str(cfg.item_path)), catalog)
    elif cfg.name == "recbole":
        inter, catalog = load_recbole(cfg.path or "", cfg.item_path, cfg.user_path, weight_field=cfg.columns.weight)
        dataset = Dataset(Path(cfg.path or "").stem, inter, catalog)
    else:
        dataset = load_dataset(cfg.name, home)
    if cfg.min_weight is not None:
        inter = dataset.interactions
        dataset = Dataset(dataset.name, inter.subset(inter.weight >= cfg.min_weight), dataset.catalog)
    return dataset
