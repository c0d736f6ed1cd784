"""`Interactions`: the user-item event table every stage consumes, with external/internal id maps."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal, cast

import numpy as np
import pandas as pd
import scipy.sparse as sp
from pydantic import Field

from hybrid_rec.config import StrictModel
from hybrid_rec.data.ids import IdMap, as_int_id, find_bad_id, show_id
from hybrid_rec.errors import ConfigError, DataError


class ColumnMapping(StrictModel):
    """Which input columns hold the user, item, timestamp, weight and (optional) event type."""

    user: str = Field("user_id", description="Column with the external user id.")
    item: str = Field("item_id", description="Column with the external item id.")
    timestamp: str = Field("timestamp", description="Column with the event time (numeric seconds or a datetime).")
    weight: str | None = Field(
        None, description="Column with the event weight (e.g. a rating); unset: every event weighs 1.0."
    )
    event: str | None = Field(None, description="Column with the event type (e.g. view, click); unset: none.")
    id_type: Literal["str", "int"] | None = Field(
        None,
        description="How user and item ids are read: 'str' keeps them as exact text ('007' and '7' are two ids; "
        "integers become their digits), 'int' parses integers ('007' is 7). Unset: text from CSV/TSV files, "
        "the column's own type from Parquet and DataFrames.",
    )


def _where(source: str, column: str, row: int | None = None) -> str:
    loc = f"{source}: column {column!r}"
    return loc if row is None else f"{loc}, row {row}"


@dataclass(frozen=True, eq=False)
class Interactions:
    """Events as parallel arrays of dense internal ids, in input row order.

    ``user``/``item`` index into `users`/`items`; ``timestamp`` is seconds (float64);
    ``weight`` is float32 (1.0 when the input has none); ``event`` optionally names the event type.
    Several `Interactions` built from one dataset share the same `IdMap` objects, so their
    internal ids agree (the splits rely on this).
    """

    user: np.ndarray
    item: np.ndarray
    timestamp: np.ndarray
    weight: np.ndarray
    users: IdMap
    items: IdMap
    event: np.ndarray | None = None
    meta: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.user)
        arrays = {"item": self.item, "timestamp": self.timestamp, "weight": self.weight}
        if self.event is not None:
            arrays["event"] = self.event
        for name, arr in arrays.items():
            if len(arr) != n:
                raise DataError(f"Interactions: {name} has {len(arr)} rows, user has {n}")
        if n and (self.user.min() < 0 or self.user.max() >= len(self.users)):
            raise DataError("Interactions: user index out of range of the user IdMap")
        if n and (self.item.min() < 0 or self.item.max() >= len(self.items)):
            raise DataError("Interactions: item index out of range of the item IdMap")

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_dataframe(
        cls,
        df: pd.DataFrame,
        columns: ColumnMapping | Mapping[str, str | None] | None = None,
        *,
        source: str = "<DataFrame>",
        duplicates: Literal["raise", "drop"] = "raise",
        users: IdMap | None = None,
        items: IdMap | None = None,
        row_offset: int = 0,
    ) -> Interactions:
        """Validate and convert a DataFrame.

        Bad input raises `DataError` naming `source`, the column and the row (``row_offset`` is
        added to 0-based positions, so file readers can report file lines): among it ids that are
        missing or empty or that could not be saved and loaded back exactly (see `hybrid_rec.data.ids`),
        and timestamps or weights that are not finite numbers. Rows repeating an
        earlier (user, item, timestamp) are duplicates: ``duplicates="raise"`` (default) or
        ``"drop"``. `users`/`items` extend existing id maps instead of starting new ones.
        """
        cols = (
            columns
            if isinstance(columns, ColumnMapping)
            else ColumnMapping.from_dict(dict(columns or {}), source="columns")
        )
        if len(df) == 0:
            raise DataError(f"{source}: no interaction rows")
        needed = [c for c in (cols.user, cols.item, cols.timestamp, cols.weight, cols.event) if c]
        missing = [c for c in needed if c not in df.columns]
        if missing:
            raise DataError(
                f"{source}: missing column(s) {missing}; found {list(df.columns)}. "
                "Map your column names with ColumnMapping(user=..., item=..., timestamp=...)"
            )
        user_ids = _ids(df[cols.user], cols.id_type, source, cols.user, row_offset)
        item_ids = _ids(df[cols.item], cols.id_type, source, cols.item, row_offset)
        ts = _numeric(df[cols.timestamp], source, cols.timestamp, row_offset, kind="timestamp")
        if cols.weight:
            weight = _numeric(df[cols.weight], source, cols.weight, row_offset, kind="weight")
            if not np.all(np.isfinite(weight)) or (weight < 0).any():
                row = int(np.argmax(~np.isfinite(weight) | (weight < 0)))
                raise DataError(f"{_where(source, cols.weight, row + row_offset)}: weight must be finite and >= 0")
        else:
            weight = np.ones(len(df), dtype=np.float64)
        key = pd.DataFrame({"u": user_ids, "i": item_ids, "t": ts})
        dup = key.duplicated().to_numpy()
        keep = np.ones(len(df), dtype=bool)
        if dup.any():
            if duplicates == "raise":
                row = int(np.argmax(dup))
                raise DataError(
                    f"{source}: row {row + row_offset} repeats an earlier (user, item, timestamp) "
                    f"({user_ids[row]!r}, {item_ids[row]!r}, {ts[row]}); pass duplicates='drop' to drop repeats"
                )
            keep = ~dup
        try:  # the given maps may hold another id type than the frame's
            umap = (users or IdMap([], name="user")).extend(pd.unique(user_ids[keep]))
            imap = (items or IdMap([], name="item")).extend(pd.unique(item_ids[keep]))
        except DataError as exc:
            raise DataError(f"{source}: {exc}") from exc
        event = df[cols.event].astype(str).to_numpy(dtype=object)[keep] if cols.event else None
        return cls(
            user=umap.to_internal(user_ids[keep]).astype(np.int32),
            item=imap.to_internal(item_ids[keep]).astype(np.int32),
            timestamp=ts[keep],
            weight=weight[keep].astype(np.float32),
            users=umap,
            items=imap,
            event=event,
            meta={"source": source},
        )

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        columns: ColumnMapping | Mapping[str, str | None] | None = None,
        *,
        format: Literal["auto", "csv", "tsv", "parquet"] = "auto",
        sep: str | None = None,
        duplicates: Literal["raise", "drop"] = "raise",
        chunk_rows: int | None = None,
    ) -> Interactions:
        """Read CSV, TSV or Parquet (format from the suffix when ``"auto"``), then `from_dataframe`;
        with `chunk_rows`, `chunk_rows` rows at a time (`from_chunks`: peak memory for big files).

        CSV/TSV cells are read as exact text: ids stay text ("007", "NA" and "" are what they say;
        an empty id is missing) unless the mapping's ``id_type="int"`` asks for integers. Parquet
        columns keep their types. Rows in errors are reported as 1-based file lines for CSV/TSV
        (the header is line 1).
        """
        path = Path(path)
        if chunk_rows is not None:
            return cls.from_chunks(iter_table(path, chunk_rows, format=format, sep=sep), columns, source=str(path),
                                   duplicates=duplicates)  # fmt: skip
        df, row_offset = read_table(path, format=format, sep=sep)
        return cls.from_dataframe(df, columns, source=str(path), duplicates=duplicates, row_offset=row_offset)

    @classmethod
    def from_chunks(
        cls,
        chunks: Iterable[tuple[pd.DataFrame, int]],
        columns: ColumnMapping | Mapping[str, str | None] | None = None,
        *,
        source: str = "<chunks>",
        duplicates: Literal["raise", "drop"] = "raise",
    ) -> Interactions:
        """`from_dataframe` over (frame, row offset) chunks, e.g. `iter_table`: only one chunk of text
        ids is in memory at a time (the rows are kept as dense int32 / float arrays); the result is
        the same as reading the whole file at once, repeats across chunks included."""
        parts: list[Interactions] = []
        users: IdMap | None = None
        items: IdMap | None = None
        for df, row_offset in chunks:
            if len(df) == 0:
                continue
            part = cls.from_dataframe(df, columns, source=source, duplicates=duplicates, users=users, items=items,
                                      row_offset=row_offset)  # fmt: skip
            users, items = part.users, part.items
            parts.append(part)
        if not parts or users is None or items is None:
            raise DataError(f"{source}: no interaction rows")
        has_event = parts[0].event is not None
        joined = cls(
            user=np.concatenate([p.user for p in parts]),
            item=np.concatenate([p.item for p in parts]),
            timestamp=np.concatenate([p.timestamp for p in parts]),
            weight=np.concatenate([p.weight for p in parts]),
            users=users,
            items=items,
            event=np.concatenate([cast(np.ndarray, p.event) for p in parts]) if has_event else None,
            meta={"source": source},
        )
        dup = pd.DataFrame({"u": joined.user, "i": joined.item, "t": joined.timestamp}).duplicated().to_numpy()
        if not dup.any():
            return joined
        if duplicates == "raise":  # a repeat across chunks (within one chunk, from_dataframe raised)
            row = int(np.argmax(dup))
            user, item = users.to_external([joined.user[row]])[0], items.to_external([joined.item[row]])[0]
            raise DataError(
                f"{source}: interaction {row + 1} repeats an earlier (user, item, timestamp) "
                f"({user!r}, {item!r}, {joined.timestamp[row]}); pass duplicates='drop' to drop repeats"
            )
        return joined.subset(~dup)

    # ------------------------------------------------------------------ views
    def __len__(self) -> int:
        return len(self.user)

    @property
    def n_users(self) -> int:
        return len(self.users)

    @property
    def n_items(self) -> int:
        return len(self.items)

    def subset(self, mask: np.ndarray) -> Interactions:
        """Rows where `mask` (bool array or integer positions) selects; id maps are shared."""
        return Interactions(
            user=self.user[mask],
            item=self.item[mask],
            timestamp=self.timestamp[mask],
            weight=self.weight[mask],
            users=self.users,
            items=self.items,
            event=None if self.event is None else self.event[mask],
            meta=dict(self.meta),
        )

    def with_items(self, item_ids: Iterable[object]) -> Interactions:
        """The same rows over an item map that also holds `item_ids` (appended; existing ids keep
        their internal ids): items of a catalog that nobody has interacted with yet."""
        return replace(self, items=self.items.extend(item_ids))

    def concat(self, other: Interactions) -> Interactions:
        """Rows of self followed by rows of `other` (both must share id maps)."""
        if other.users is not self.users and other.users != self.users:
            raise DataError("concat: the two Interactions use different user id maps")
        if other.items is not self.items and other.items != self.items:
            raise DataError("concat: the two Interactions use different item id maps")
        if (self.event is None) != (other.event is None):
            raise DataError("concat: one Interactions has event types and the other has none")
        return Interactions(
            user=np.concatenate([self.user, other.user]),
            item=np.concatenate([self.item, other.item]),
            timestamp=np.concatenate([self.timestamp, other.timestamp]),
            weight=np.concatenate([self.weight, other.weight]),
            users=self.users,
            items=self.items,
            event=None if self.event is None else np.concatenate([self.event, other.event]),
            meta=dict(self.meta),
        )

    def to_csr(self, values: Literal["binary", "weight", "count"] = "binary") -> sp.csr_matrix:
        """users x items matrix over the full id maps; repeated pairs are summed (binary: 1)."""
        data = self.weight if values == "weight" else np.ones(len(self), np.float32)
        mat = sp.csr_matrix((data, (self.user, self.item)), shape=(self.n_users, self.n_items), dtype=np.float32)
        mat.sum_duplicates()
        if values == "binary":
            mat.data[:] = 1.0
        return mat

    def to_dataframe(self) -> pd.DataFrame:
        """The rows with external ids: user_id, item_id, timestamp, weight (and event)."""
        df = pd.DataFrame(
            {
                "user_id": self.users.to_external(self.user),
                "item_id": self.items.to_external(self.item),
                "timestamp": self.timestamp,
                "weight": self.weight,
            }
        )
        if self.event is not None:
            df["event"] = self.event
        return df

    def item_counts(self) -> np.ndarray:
        """Interactions per item (length n_items)."""
        return np.bincount(self.item, minlength=self.n_items)

    def item_popularity(self, count: Literal["interactions", "users"] = "users") -> np.ndarray:
        """The one definition of item popularity (float64, length n_items): distinct users per item
        (what the candidate stage's popularity source ranks by) or every interaction."""
        if count == "interactions":
            return self.item_counts().astype(np.float64)
        if count == "users":
            return np.diff(self.to_csr("binary").tocsc().indptr).astype(np.float64)
        raise ConfigError(f"count must be 'interactions' or 'users', not {count!r}")

    def user_counts(self) -> np.ndarray:
        """Interactions per user (length n_users)."""
        return np.bincount(self.user, minlength=self.n_users)


def _numeric(series: pd.Series, source: str, column: str, row_offset: int, *, kind: str) -> np.ndarray:
    """Column as float64 seconds/values; datetimes become epoch seconds."""
    if pd.api.types.is_datetime64_any_dtype(series):
        values = series.to_numpy(dtype="datetime64[ns]")
        bad = np.isnat(values)
        out = values.astype("int64").astype(np.float64) / 1e9
    else:
        out = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64)
        bad = np.isnan(out)
    if bad.any():
        row = int(np.argmax(bad))
        raise DataError(f"{_where(source, column, row + row_offset)}: {kind} value {series.iloc[row]!r} is not numeric")
    infinite = ~np.isfinite(out)
    if infinite.any():
        row = int(np.argmax(infinite))
        raise DataError(
            f"{_where(source, column, row + row_offset)}: {kind} value {series.iloc[row]!r} is not a finite number"
        )
    return out


def _ids(
    series: pd.Series, id_type: Literal["str", "int"] | None, source: str, column: str, row_offset: int
) -> np.ndarray:
    """An id column as exact ids (text per ``id_type="str"``, integers per ``"int"``, else as given);
    a missing or empty id, or one that could not be saved and loaded back exactly, raises `DataError`."""
    values = series.to_numpy()
    missing = pd.isna(values)
    if values.dtype.kind in "OU":
        missing = missing | (values == "")
    if missing.any():
        row = int(np.argmax(missing))
        what = "empty" if values[row] == "" else "NaN"
        raise DataError(f"{_where(source, column, row + row_offset)}: missing id ({what})")
    if id_type is not None and not (
        (id_type == "str" and pd.api.types.infer_dtype(values, skipna=False) == "string")
        or (id_type == "int" and values.dtype.kind == "i")
    ):
        out = np.empty(len(values), dtype=object)
        for row, v in enumerate(values.tolist()):
            if isinstance(v, bool) or not isinstance(v, (int, str)):
                raise DataError(
                    f"{_where(source, column, row + row_offset)}: id {show_id(v)} is a {type(v).__name__}; "
                    f"id_type={id_type!r} reads text and integer ids only"
                )
            out[row] = str(v) if id_type == "str" else as_int_id(v) if isinstance(v, str) else v
            if isinstance(out[row], str) and id_type == "int":
                raise DataError(
                    f"{_where(source, column, row + row_offset)}: id {show_id(v)} is not an integer; "
                    "read the ids as text with id_type='str'"
                )
        values = out
    bad = find_bad_id(values)
    if bad is not None:
        raise DataError(f"{_where(source, column, bad[0] + row_offset)}: {bad[1]}")
    return values


def _table_format(path: Path, format: Literal["auto", "csv", "tsv", "parquet"]) -> str:
    """Check that `path` is a non-empty file; its format (from the suffix when ``"auto"``)."""
    if not path.exists():
        raise DataError(f"{path}: file not found")
    if path.is_dir():
        raise DataError(f"{path}: is a directory; give the events file (CSV, TSV or Parquet)")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: file is empty")
    if format != "auto":
        return format
    suffix = path.suffix.lower()
    return {".parquet": "parquet", ".pq": "parquet", ".tsv": "tsv", ".tab": "tsv"}.get(suffix, "csv")


@contextmanager
def _read_errors(path: Path, fmt: str) -> Iterator[None]:
    """pandas' / pyarrow's read errors as one-line `DataError`s naming the file."""
    try:
        yield
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"{path}: file is empty") from exc
    except pd.errors.ParserError as exc:
        raise DataError(f"{path}: cannot parse as {fmt.upper()} ({str(exc).strip()})") from exc
    except UnicodeDecodeError as exc:
        bad = exc.object[exc.start : exc.start + 1].hex()
        raise DataError(f"{path}: not UTF-8 text (byte 0x{bad} cannot be decoded); save the file as UTF-8") from exc
    except DataError:
        raise
    except Exception as exc:  # pyarrow raises many types for a bad Parquet file
        if fmt != "parquet":
            raise
        raise DataError(f"{path}: not a readable Parquet file ({exc})") from exc


def read_table(
    path: Path, *, format: Literal["auto", "csv", "tsv", "parquet"] = "auto", sep: str | None = None
) -> tuple[pd.DataFrame, int]:
    """Read a CSV/TSV/Parquet file; returns the frame and the offset from row position to file line."""
    fmt = _table_format(path, format)
    with _read_errors(path, fmt):
        if fmt == "parquet":
            return pd.read_parquet(path), 0
        # Every cell as exact text: pandas would make "007" the integer 7 and "NA" a NaN.
        df = pd.read_csv(path, sep=sep or ("\t" if fmt == "tsv" else ","), dtype=str, keep_default_na=False)
    return df, 2  # line 1 is the header; row 0 is line 2


def iter_table(
    path: Path, chunk_rows: int, *, format: Literal["auto", "csv", "tsv", "parquet"] = "auto", sep: str | None = None
) -> Iterator[tuple[pd.DataFrame, int]]:
    """`read_table` `chunk_rows` rows at a time: (frame, offset from row position to file line) per
    chunk (Parquet: record batches through pyarrow; CSV/TSV: pandas' chunked reader, cells as text)."""
    if chunk_rows <= 0:
        raise ConfigError(f"chunk_rows must be a positive number of rows, got {chunk_rows}")
    fmt = _table_format(path, format)
    with _read_errors(path, fmt):
        if fmt == "parquet":
            import pyarrow.parquet as pq

            start = 0
            for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows):
                yield batch.to_pandas(), start
                start += batch.num_rows
            return
        reader = pd.read_csv(path, sep=sep or ("\t" if fmt == "tsv" else ","), dtype=str, keep_default_na=False,
                             chunksize=chunk_rows)  # fmt: skip
        line = 2
        with reader:
            for df in reader:
                yield df.reset_index(drop=True), line
                line += len(df)
