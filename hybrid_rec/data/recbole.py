"""Readers for RecBole atomic files (``.inter``, ``.item``, ``.user``) with typed headers.

A header cell is ``name:type`` with type one of ``token``, ``token_seq``, ``float``,
``float_seq``. Files are tab-separated, with no quoting.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from hybrid_rec.data.catalog import ItemCatalog, with_catalog_items
from hybrid_rec.data.ids import as_int_id
from hybrid_rec.data.interactions import ColumnMapping, Interactions
from hybrid_rec.errors import DataError

_TYPES = {"token", "token_seq", "float", "float_seq"}

#: RecBole field names -> our catalog field names (MovieLens files use these).
ITEM_FIELD_ALIASES = {"movie_title": "title", "release_year": "year", "class": "genres"}


@dataclass(frozen=True)
class AtomicFile:
    """A parsed atomic file: string-valued frame plus the declared type of each column."""

    frame: pd.DataFrame
    types: dict[str, str]
    path: Path


def read_atomic(path: str | Path, *, id_type: Literal["str", "int"] = "str") -> AtomicFile:
    """Read one atomic file; token columns stay strings, float columns become float64.

    With ``id_type="int"`` the ``user_id``/``item_id`` columns become int64.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: file not found")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: file is empty")
    try:
        df = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, quoting=csv.QUOTE_NONE, encoding="utf-8")
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot parse as a RecBole atomic file ({exc})") from exc
    types: dict[str, str] = {}
    names = []
    for cell in df.columns:
        name, sep, typ = str(cell).rpartition(":")
        if not sep or typ not in _TYPES:
            raise DataError(f"{path}: header cell {cell!r} is not 'name:type' with type in {sorted(_TYPES)}")
        names.append(name)
        types[name] = typ
    df.columns = names
    for name, typ in types.items():
        if typ == "float":
            values = pd.to_numeric(df[name].replace("", np.nan), errors="coerce")
            bad = values.isna() & (df[name] != "")
            if bad.any():
                row = int(np.argmax(bad.to_numpy()))
                raise DataError(
                    f"{path}: column {name!r}, row {row} (line {row + 2}): value {df[name].iloc[row]!r} is not a float"
                )
            df[name] = values
        elif id_type == "int" and name in ("user_id", "item_id"):
            text = df[name].astype(str).str.strip()
            if text.str.fullmatch(r"-?[0-9]{1,18}").all():  # fast path: every id a plain int64 (ML-20M: 20M rows)
                df[name] = text.astype(np.int64)
                continue
            parsed = [as_int_id(str(v)) for v in df[name]]  # "1.5" or "1e3" is not an integer id
            bad = np.array([not isinstance(v, int) for v in parsed], bool)
            values = pd.Series([v if isinstance(v, int) else 0 for v in parsed], index=df.index)
            if bad.any():
                row = int(np.argmax(bad))
                raise DataError(
                    f"{path}: column {name!r}, row {row} (line {row + 2}): id {df[name].iloc[row]!r} is not an integer"
                )
            df[name] = values.astype(np.int64)
    return AtomicFile(df, types, path)


def load_recbole(
    inter_path: str | Path,
    item_path: str | Path | None = None,
    user_path: str | Path | None = None,
    *,
    weight_field: str | None = None,
    duplicates: Literal["raise", "drop"] = "raise",
    id_type: Literal["str", "int"] = "str",
) -> tuple[Interactions, ItemCatalog | None]:
    """Interactions (and a catalog when `.item`/`.user` are given) from RecBole atomic files.

    The `.inter` file needs ``user_id``, ``item_id`` and ``timestamp`` fields; `weight_field`
    (e.g. ``"rating"``) becomes the interaction weight. Ids are tokens (strings); with
    ``id_type="int"`` they are converted to integers (for datasets whose ids are numbers).
    """
    inter = read_atomic(inter_path, id_type=id_type)
    for need in ("user_id", "item_id", "timestamp"):
        if need not in inter.types:
            raise DataError(f"{inter.path}: missing field {need!r}; found {list(inter.types)}")
    if weight_field is not None and weight_field not in inter.types:
        raise DataError(f"{inter.path}: weight field {weight_field!r} not found; found {list(inter.types)}")
    for col in ("user_id", "item_id"):
        empty = (inter.frame[col] == "").to_numpy()
        if empty.any():
            row = int(np.argmax(empty))
            raise DataError(f"{inter.path}: column {col!r}, row {row} (line {row + 2}): missing id")
    interactions = Interactions.from_dataframe(
        inter.frame,
        ColumnMapping(weight=weight_field),
        source=str(inter.path),
        duplicates=duplicates,
        row_offset=2,
    )
    if item_path is None and user_path is None:
        return interactions, None
    items_df = pd.DataFrame(index=pd.Index(interactions.items.ids, name="item_id"))
    if item_path is not None:
        items_df = _catalog_frame(read_atomic(item_path, id_type=id_type), "item_id", ITEM_FIELD_ALIASES)
        interactions = with_catalog_items(interactions, ItemCatalog(items_df), source=str(item_path))
    users_df = _catalog_frame(read_atomic(user_path, id_type=id_type), "user_id", {}) if user_path is not None else None
    return interactions, ItemCatalog(items_df, users_df)


def _catalog_frame(atomic: AtomicFile, key: str, aliases: dict[str, str]) -> pd.DataFrame:
    if key not in atomic.types:
        raise DataError(f"{atomic.path}: missing field {key!r}; found {list(atomic.types)}")
    df = atomic.frame.copy()
    dup = df[key].duplicated().to_numpy()
    if dup.any():
        row = int(np.argmax(dup))
        raise DataError(f"{atomic.path}: column {key!r}, row {row} (line {row + 2}): {df[key].iloc[row]!r} repeats")
    for name, typ in atomic.types.items():
        if typ == "token_seq" and aliases.get(name) == "genres":
            df[name] = df[name].map(lambda s: tuple(s.split()))
    return df.set_index(key).rename(columns=aliases)
