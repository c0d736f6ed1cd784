"""`ItemCatalog`: item text (title, year, genres, ...) and optional user attributes."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd
from pydantic import Field

from hybrid_rec.config import StrictModel
from hybrid_rec.data.ids import IdMap
from hybrid_rec.data.interactions import Interactions
from hybrid_rec.errors import DataError, UnknownIdError

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class ItemCatalog:
    """Text fields per item, indexed by external item id, and optional user attributes.

    ``items`` has one row per item and string-valued columns; list-valued fields such as
    genres are stored as tuples of strings. ``users`` (optional) holds attributes such as age,
    gender and occupation, indexed by external user id. ``noun`` is what one item is called
    ("movie", "product", "book"): prompts and training requests speak of it (None: "item").
    """

    items: pd.DataFrame
    users: pd.DataFrame | None = None
    noun: str | None = None

    def __post_init__(self) -> None:
        if not self.items.index.is_unique:
            dup = self.items.index[self.items.index.duplicated()][0]
            raise DataError(f"ItemCatalog: item {dup!r} appears twice")
        if self.users is not None and not self.users.index.is_unique:
            dup = self.users.index[self.users.index.duplicated()][0]
            raise DataError(f"ItemCatalog: user {dup!r} appears twice in the user attributes")

    @property
    def fields(self) -> list[str]:
        return list(self.items.columns)

    def __len__(self) -> int:
        return len(self.items)

    @cached_property
    def _rows(self) -> dict[object, int]:
        """Item id -> row position, built once: a membership test on a large text index is a scan
        (pandas' Arrow strings), which made per-item lookups O(catalog)."""
        return {key: pos for pos, key in enumerate(self.items.index.tolist())}

    def __contains__(self, item_id: object) -> bool:
        try:
            return item_id in self._rows
        except TypeError:  # an unhashable id is in no catalog
            return False

    def item(self, item_id: object) -> dict[str, object]:
        """The fields of one item."""
        pos = self._rows.get(item_id) if item_id in self else None
        if pos is None:
            raise UnknownIdError(f"item {item_id!r} is not in the catalog")
        return self.items.iloc[pos].to_dict()

    def user(self, user_id: object) -> dict[str, object]:
        """The attributes of one user ({} when the catalog has none for this user)."""
        if self.users is None or user_id not in self.users.index:
            return {}
        return self.users.loc[user_id].to_dict()

    def category_field(self, preferred: str | None = None) -> str | None:
        """The field whose values are an item's categories (what requests name and intentions ask
        for): `preferred` when the catalog has it, else ``genres``, else the catalog's only list field
        (a shop's ``category``); None when there is none to tell."""
        if preferred is not None:
            return preferred if preferred in self.fields else None
        if "genres" in self.fields:
            return "genres"
        lists = self._list_columns()
        return lists[0] if len(lists) == 1 else None

    def describe(self, item_id: object) -> str:
        """A one-line text of an item, e.g. ``Toy Story (1995); Animation, Comedy`` (its categories last)."""
        fields = self.item(item_id)
        category = self._category
        return _described(fields.get("title", item_id), fields.get("year"),
                          fields.get(category) if category is not None else None)  # fmt: skip

    def describe_many(self, item_ids: Iterable[object]) -> list[str]:
        """`describe` of each id (the id itself as text where the catalog lacks it), reading each field's column once:
        no per-item row lookup, so a catalog of 10^5 items is described in well under a second."""
        ids = list(item_ids)
        pos = self._positions(ids)
        titles, years, genres = (self._column(name, pos) for name in ("title", "year", self._category))
        return [str(i) if p < 0 else _described(i if titles is None else titles[k], None if years is None else years[k],
                                                None if genres is None else genres[k])
                for k, (i, p) in enumerate(zip(ids, pos, strict=True))]  # fmt: skip

    def values_of(self, field: str, item_ids: Iterable[object]) -> list[object]:
        """Each id's value of `field` (None where the catalog lacks the id or the field), one pass over the column."""
        pos = self._positions(item_ids)
        return self._column(field, pos) or [None] * len(pos)

    def _positions(self, item_ids: Iterable[object]) -> list[int]:
        """Each id's row position (-1: not in the catalog)."""
        rows = self._rows
        return [rows.get(i, -1) if _hashable(i) else -1 for i in item_ids]

    def _column(self, name: str | None, pos: list[int]) -> list[object] | None:
        """Field `name`'s value at each row position (None at -1); None when the catalog has no such field."""
        if name is None or name not in self.items.columns:
            return None
        values = self.items[name].tolist()
        return [values[p] if p >= 0 else None for p in pos]

    def cold_items(self, items: IdMap) -> np.ndarray:
        """External ids of catalog items that `items` (the interactions' map) does not hold: items
        nobody has interacted with yet, in catalog order."""
        return self.items.index[~self.items.index.isin(pd.Index(items.ids))].to_numpy()


    def merged(self, rows: pd.DataFrame) -> ItemCatalog:
        """A catalog with `rows` (indexed by item id, this catalog's fields) added; a row whose id is
        already here replaces it. A field the catalog lacks is a `DataError` (naming it); fields the
        rows leave out are empty for them; list fields take lists or ``"A|B"`` text (CSV files)."""
        if not rows.index.is_unique:
            raise DataError(f"catalog rows: item {rows.index[rows.index.duplicated()][0]!r} appears twice")
        extra = [c for c in rows.columns if c not in self.items.columns]
        if extra:
            raise DataError(f"catalog rows: fields {extra} are not catalog fields ({self.fields}); drop or rename them")
        rows = rows.reindex(columns=self.items.columns)
        for col in self._list_columns():  # list fields stay tuples (JSON brings lists)
            rows[col] = rows[col].map(_as_tuple)
        kept = self.items[~self.items.index.isin(rows.index)]
        return ItemCatalog(pd.concat([kept, rows]), self.users, self.noun)

    @cached_property
    def _category(self) -> str | None:
        return self.category_field()

    def _list_columns(self) -> list[str]:
        """Item fields holding tuples / lists (e.g. genres): Parquet stores them as lists."""
        return [c for c in self.items.columns if self.items[c].map(lambda v: isinstance(v, tuple | list)).any()]

    # ------------------------------------------------------------------ persistence
    def save(self, directory: str | Path) -> None:
        """``catalog_items.parquet`` (+ ``catalog_users.parquet``, + ``catalog.json`` with the noun) in
        `directory` (genres as lists)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        items = self.items.copy()
        for col in self._list_columns():
            items[col] = items[col].map(lambda v: [] if v is None else list(v))
        items.reset_index().to_parquet(directory / "catalog_items.parquet", index=False)
        if self.users is not None:
            self.users.reset_index().to_parquet(directory / "catalog_users.parquet", index=False)
        if self.noun is not None:
            (directory / "catalog.json").write_text(json.dumps({"noun": self.noun}))

    @classmethod
    def load(cls, directory: str | Path) -> ItemCatalog | None:
        """The catalog saved in `directory`, or None when it holds none."""
        directory = Path(directory)
        if not (directory / "catalog_items.parquet").is_file():
            return None
        items = pd.read_parquet(directory / "catalog_items.parquet")
        items = items.set_index(items.columns[0])
        for col in items.columns:  # list fields come back as arrays: tuples again, as when built
            if items[col].map(lambda v: isinstance(v, np.ndarray)).any():
                items[col] = items[col].map(lambda v: tuple(v) if isinstance(v, np.ndarray) else ())
        users = None
        if (directory / "catalog_users.parquet").is_file():
            users = pd.read_parquet(directory / "catalog_users.parquet")
            users = users.set_index(users.columns[0])
        noun = None
        if (directory / "catalog.json").is_file():
            try:
                noun = json.loads((directory / "catalog.json").read_text()).get("noun")
            except (ValueError, AttributeError) as exc:
                raise DataError(f"{directory / 'catalog.json'}: not a catalog description ({exc})") from None
        return cls(items, users, noun if isinstance(noun, str) and noun else None)


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _described(title: object, year: object, genres: object) -> str:
    """``Title (Year); Genre, Genre``: an item's one-line text from its fields (`ItemCatalog.describe`)."""
    text = str(title)
    if year is not None and year != "" and not pd.isna(cast(float, year)):
        text += f" ({year})"
    if genres is not None and len(cast(Sequence[str], genres)):
        text += "; " + ", ".join(cast(Iterable[str], genres))  # list fields hold strings (class doc)
    return text


def _as_tuple(value: object) -> tuple[str, ...]:
    """A list field's value from a list, or from ``"A|B"`` text; empty when missing."""
    if isinstance(value, tuple | list | np.ndarray):
        return tuple(str(v) for v in value)
    if isinstance(value, str) and value.strip():
        return tuple(v.strip() for v in value.split("|") if v.strip())
    return ()


def genre_request(genres: Sequence[str], rng: np.random.Generator, noun: str = "movie") -> str | None:
    """A vague intention naming one of `genres`, drawn with `rng` ("a comedy movie"), as in InstructRec's
    intention tasks: the one phrasing used in training, in fitting request weights and in evaluation.
    None without genres (and then no draw is made)."""
    if not genres:
        return None
    return f"a {genres[int(rng.integers(len(genres)))].lower()} {noun}"


def with_catalog_items(interactions: Interactions, catalog: ItemCatalog | None, source: str = "catalog") -> Interactions:
    """`interactions` over an item map that also holds the catalog's items without interactions
    (logged as a warning with their count): they are never CF candidates, but requests and item
    text reach them."""
    if catalog is None:
        return interactions
    cold = catalog.cold_items(interactions.items)
    if not len(cold):
        return interactions
    log.warning("%s: %d catalog items have no interactions yet (e.g. %r); they are recommendable from their "
                "text only", source, len(cold), cold[0])  # fmt: skip
    return interactions.with_items(cold)


class CatalogColumns(StrictModel):
    """Which columns of an items file hold the catalog fields (CSV/TSV/Parquet)."""

    id: str = Field("item_id", description="The item id column (ids are read like the events file's).")
    title: str | None = Field("title", description="The title column (unset: none).")
    year: str | None = Field("year", description="The year / release date column (unset: none).")
    genres: str | None = Field("genres", description="The genres column: a list, or text split at genre_separator.")
    genre_separator: str = Field("|", min_length=1, description="What separates genres in a text genres column.")
    text: list[str] = Field(
        default_factory=list, description="More text columns kept as catalog fields (e.g. 'description', 'brand')."
    )


class UserColumns(StrictModel):
    """Which column of a users file holds the id; every other column is a user attribute."""

    id: str = Field("user_id", description="The user id column.")


def catalog_from_files(
    items: IdMap,
    item_path: str | Path | None,
    user_path: str | Path | None = None,
    item_columns: CatalogColumns | None = None,
    user_columns: UserColumns | None = None,
    users: IdMap | None = None,
) -> ItemCatalog | None:
    """An `ItemCatalog` from an items file (and optional users file) in CSV, TSV or Parquet, with ids
    read in the types of `items` / `users` (the events' id maps). None without an items file."""
    from hybrid_rec.data.interactions import read_table

    if item_path is None:
        if user_path is not None:
            raise DataError("dataset.user_path needs dataset.item_path (user attributes travel with the catalog)")
        return None
    cols = item_columns or CatalogColumns()
    frame, _ = read_table(Path(item_path))
    wanted = {cols.id: "item_id", **{c: f for c, f in ((cols.title, "title"), (cols.year, "year"),
                                                        (cols.genres, "genres")) if c}}  # fmt: skip
    wanted.update({c: c for c in cols.text})
    missing = [c for c in wanted if c not in frame.columns and (c == cols.id or c in cols.text)]
    if missing:
        raise DataError(f"{item_path}: columns {missing} not found (has {list(frame.columns)})")
    present = {c: f for c, f in wanted.items() if c in frame.columns}
    table = frame[list(present)].rename(columns=present)
    table["item_id"] = items.coerce(table["item_id"].tolist())
    if "genres" in table:
        sep = cols.genre_separator
        table["genres"] = table["genres"].map(
            lambda v: tuple(str(x) for x in v) if isinstance(v, list | tuple | np.ndarray)
            else tuple(g.strip() for g in str(v).split(sep) if g.strip()) if isinstance(v, str) else ()
        )  # fmt: skip
    for col in table.columns:
        if col not in ("item_id", "genres"):
            table[col] = table[col].map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
    if user_path is not None:
        ucols = user_columns or UserColumns()
        uframe, _ = read_table(Path(user_path))
        if ucols.id not in uframe.columns:
            raise DataError(f"{user_path}: no {ucols.id!r} column (has {list(uframe.columns)})")
        attributes = uframe.set_index(ucols.id).astype(str)
        if users is not None:
            attributes.index = pd.Index(users.coerce(attributes.index.tolist()), name=ucols.id)
        return ItemCatalog(table.set_index("item_id"), attributes)
    return ItemCatalog(table.set_index("item_id"))
