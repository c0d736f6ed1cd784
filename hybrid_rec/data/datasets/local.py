"""Your own files as a `Dataset`: events in CSV/TSV/Parquet (with optional items and users files),
or RecBole atomic files. Read in place: nothing is fetched, copied or cached."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from hybrid_rec.data.catalog import CatalogColumns, UserColumns, catalog_from_files, with_catalog_items
from hybrid_rec.data.datasets.dataset import Dataset
from hybrid_rec.data.interactions import ColumnMapping, Interactions
from hybrid_rec.data.recbole import load_recbole


def load_event_files(
    path: str | Path,
    columns: ColumnMapping | None = None,
    *,
    format: Literal["auto", "csv", "tsv", "parquet"] = "auto",
    chunk_rows: int | None = None,
    item_path: str | Path | None = None,
    user_path: str | Path | None = None,
    item_columns: CatalogColumns | None = None,
    user_columns: UserColumns | None = None,
) -> Dataset:
    """The events file at `path` (columns mapped by `columns`), with the catalog of an optional
    items file (and users file); the catalog's items without events join the item map."""
    inter = Interactions.from_file(path, columns, format=format, chunk_rows=chunk_rows)
    catalog = catalog_from_files(inter.items, item_path, user_path, item_columns, user_columns, inter.users)
    return Dataset(str(path), with_catalog_items(inter, catalog, source=str(item_path)), catalog)


def load_atomic_files(
    path: str | Path,
    item_path: str | Path | None = None,
    user_path: str | Path | None = None,
    *,
    weight_field: str | None = None,
) -> Dataset:
    """RecBole atomic files: the ``.inter`` file at `path`, optional ``.item`` / ``.user`` files;
    named after the ``.inter`` file's stem."""
    inter, catalog = load_recbole(path, item_path, user_path, weight_field=weight_field)
    return Dataset(Path(path).stem, inter, catalog)
