"""Data configuration: where the interactions come from (`DatasetConfig`) and how they are cut
(`SplitConfig`).

Each is one strict model per kind, picked by the value users write (``[dataset] name = ...``,
``[split] kind = ...``; omitted: ``"movielens-100k"`` / ``"leave_last_out"``). An option of another
kind, a missing required option or a value out of range fails when the config is loaded, with a
message naming the option and the kind: before any data is read, not hours into a run.
"""

from __future__ import annotations

import difflib
import typing
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Discriminator, Field, RootModel, Tag, model_validator
from pydantic_core import PydanticCustomError

from hybrid_rec.config import StrictModel
from hybrid_rec.data.catalog import CatalogColumns, ItemCatalog, UserColumns
from hybrid_rec.data.datasets import REGISTERED, Dataset, load_atomic_files, load_dataset, load_event_files
from hybrid_rec.data.interactions import ColumnMapping, Interactions
from hybrid_rec.data.splits import (
    Split,
    check_random_fractions,
    check_temporal_cuts,
    cold_item_split,
    leave_last_out,
    random_holdout,
    temporal_split,
)
from hybrid_rec.data.synthetic import SyntheticConfig, make_synthetic

# ---------------------------------------------------------------------------------- kinds


class KindConfig(StrictModel):
    """One kind of a config table whose `tag` field picks the kind: an option of another kind, or a
    missing required one, fails with a message naming the option, the kind and the fix."""

    table: ClassVar[str]  # the TOML table, e.g. "split"
    tag: ClassVar[str]  # the field whose value picks the kind, e.g. "kind"

    @classmethod
    def family(cls) -> tuple[type[KindConfig], ...]:
        """Every kind of this table (to say which kind an option belongs to)."""
        return ()

    @classmethod
    def check_tag(cls, value: object) -> None:
        """Raise a `ValueError` when `value` cannot be this kind's tag (before its options are read)."""

    @classmethod
    def describe(cls) -> str:
        """This kind in messages, e.g. ``kind = 'random'``."""
        return f"{cls.tag} = {cls.model_fields[cls.tag].default!r}"

    @model_validator(mode="before")
    @classmethod
    def _options_of_this_kind(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        value = data.get(cls.tag, cls.model_fields[cls.tag].default)
        cls.check_tag(value)
        kind = f"{cls.table}.{cls.tag} = {value!r}"
        for key in data:
            if key not in cls.model_fields:
                options = ", ".join(cls.model_fields)
                raise _error(
                    f"{cls.table}.{key} is not an option when {kind}{cls._whose(str(key))}; its options: {options}"
                )
        for name, field in cls.model_fields.items():
            if field.is_required() and name not in data:
                raise _error(f"{cls.table}.{name} is required when {kind}")
        return data

    @classmethod
    def _whose(cls, key: str) -> str:
        """Where the unknown option `key` belongs: the other kinds that have it, else the closest option
        of any kind (and its kinds, when it is not this one's)."""
        kinds = (cls, *(other for other in cls.family() if other is not cls))
        close = difflib.get_close_matches(key, list(dict.fromkeys(o for kind in kinds for o in kind.model_fields)), n=1)
        if not close:
            return ""
        owners = " or ".join(kind.describe() for kind in kinds[1:] if close[0] in kind.model_fields)
        if close[0] == key:
            return f" (it is an option of {owners})"
        return f" (did you mean {close[0]!r}{'' if close[0] in cls.model_fields else f', an option of {owners}'}?)"


def _error(message: str) -> PydanticCustomError:
    """A validation error whose message is `message` as it is (pydantic prefixes a ValueError's)."""
    return PydanticCustomError("config_option", "{message}", {"message": message})


def _discriminator(
    table: str, field: str, default: str, tags: tuple[str, ...], other: str | None = None
) -> Discriminator:
    """The kind of a table (a dict or a model) by its `field` (`default` when omitted): its value when
    that is one of `tags`, else `other` (when given; else an error listing the kinds)."""

    def kind_of(value: Any) -> str | None:
        raw = value.get(field, default) if isinstance(value, dict) else getattr(value, field, None)
        return (raw if raw in tags else other) if isinstance(raw, str) else None

    kinds = ", ".join(repr(t) for t in tags)
    return Discriminator(
        kind_of,
        custom_error_type="unknown_kind",
        custom_error_message=f"{table}.{field} must be one of {kinds} (with that kind's options)",
    )


def _kinds(union: Any) -> tuple[type[KindConfig], ...]:
    """The kind models of a tagged union ``Annotated[Annotated[Kind, Tag] | ..., Discriminator]``."""
    return tuple(typing.get_args(member)[0] for member in typing.get_args(typing.get_args(union)[0]))


# ---------------------------------------------------------------------------------- datasets


class _DatasetKind(KindConfig):
    table: ClassVar[str] = "dataset"
    tag: ClassVar[str] = "name"

    name: str = Field(description="What kind of dataset this is; see the kinds.")
    min_weight: float | None = Field(
        None,
        description="Keep only rows whose weight is at least this (e.g. 4 to take ratings >= 4 as positives); "
        "unset keeps every row.",
    )
    item_noun: str | None = Field(
        None,
        min_length=1,
        description="What one item is called ('product', 'book', 'song'): prompts and training requests speak of "
        "it. Unset: the source's own (a registered dataset's, a generator's), else 'item'.",
    )

    @classmethod
    def family(cls) -> tuple[type[KindConfig], ...]:
        return DATASET_KINDS


class RegisteredDatasetConfig(_DatasetKind):
    """A registered dataset (`hybrid_rec.data.datasets.REGISTERED`): fetched, verified and cached."""

    name: str = Field(
        "movielens-100k",
        description=f"A registered dataset, fetched and cached: {', '.join(repr(n) for n in REGISTERED)}.",
    )

    @classmethod
    def describe(cls) -> str:
        return "a registered dataset"

    @classmethod
    def check_tag(cls, value: object) -> None:
        if value not in REGISTERED:
            raise ValueError(
                f"unknown dataset {value!r}; registered: {sorted(REGISTERED)}, or 'synthetic', 'file', 'recbole'"
            )

    def load(self, home: str | Path | None = None) -> Dataset:
        return load_dataset(self.name, home)


class SyntheticDatasetConfig(_DatasetKind):
    """Generated data with planted structure (see `hybrid_rec.data.synthetic`)."""

    name: Literal["synthetic"] = Field("synthetic", description="'synthetic': generated data.")
    synthetic: SyntheticConfig = Field(
        default_factory=SyntheticConfig, description="Size and structure of the generated data."
    )

    def load(self, home: str | Path | None = None) -> Dataset:
        return make_synthetic(self.synthetic)


class FileDatasetConfig(_DatasetKind):
    """Your own events in CSV/TSV/Parquet, with an optional items file (and users file)."""

    name: Literal["file"] = Field("file", description="'file': your own events at `path`.")
    path: str = Field(description="The CSV/TSV/Parquet events file (required).")
    item_path: str | None = Field(
        None, description="The optional item catalog: a CSV/TSV/Parquet of items (columns in `item_columns`)."
    )
    user_path: str | None = Field(
        None,
        description="Optional user attributes (needs `item_path`): a CSV/TSV/Parquet with the id column of "
        "`user_columns` and one column per attribute.",
    )
    item_columns: CatalogColumns = Field(
        default_factory=CatalogColumns, description="Which columns of the items file hold id, title, ..."
    )
    user_columns: UserColumns = Field(default_factory=UserColumns, description="The users file's id column.")
    format: Literal["auto", "csv", "tsv", "parquet"] = Field(
        "auto", description="The events file's format; 'auto' goes by the file extension."
    )
    columns: ColumnMapping = Field(
        default_factory=ColumnMapping, description="Which columns hold user, item, timestamp, weight and event type."
    )
    chunk_rows: int | None = Field(
        None,
        gt=0,
        description="Read the events this many rows at a time (only one chunk of text ids in memory; for files "
        "of tens of millions of rows); unset reads the whole file at once.",
    )

    @model_validator(mode="after")
    def _users_need_items(self) -> FileDatasetConfig:
        if self.user_path is not None and self.item_path is None:
            raise ValueError("dataset.user_path needs dataset.item_path (user attributes travel with the catalog)")
        return self

    def load(self, home: str | Path | None = None) -> Dataset:
        return load_event_files(
            self.path,
            self.columns,
            format=self.format,
            chunk_rows=self.chunk_rows,
            item_path=self.item_path,
            user_path=self.user_path,
            item_columns=self.item_columns,
            user_columns=self.user_columns,
        )


class AtomicColumns(StrictModel):
    """Which field of a RecBole ``.inter`` file is the weight (its other fields have fixed names)."""

    weight: str | None = Field(
        None, description="The .inter field that becomes the weight (e.g. 'rating'); unset: every event weighs 1.0."
    )


class RecboleDatasetConfig(_DatasetKind):
    """RecBole atomic files (``.inter``, optional ``.item`` / ``.user``)."""

    name: Literal["recbole"] = Field("recbole", description="'recbole': RecBole atomic files.")
    path: str = Field(description="The .inter file (required).")
    item_path: str | None = Field(None, description="The optional .item file (the catalog).")
    user_path: str | None = Field(None, description="The optional .user file (user attributes).")
    columns: AtomicColumns = Field(default_factory=AtomicColumns, description="Which .inter field is the weight.")

    def load(self, home: str | Path | None = None) -> Dataset:
        return load_atomic_files(self.path, self.item_path, self.user_path, weight_field=self.columns.weight)


DatasetKind = Annotated[
    Annotated[RegisteredDatasetConfig, Tag("registered")]
    | Annotated[SyntheticDatasetConfig, Tag("synthetic")]
    | Annotated[FileDatasetConfig, Tag("file")]
    | Annotated[RecboleDatasetConfig, Tag("recbole")],
    _discriminator("dataset", "name", "movielens-100k", ("synthetic", "file", "recbole"), other="registered"),
]
DATASET_KINDS = _kinds(DatasetKind)


class DatasetConfig(RootModel[DatasetKind]):
    """Where the interactions come from: ``name`` = a registered dataset (``movielens-100k``,
    ``movielens-1m``, ``amazon2023-all-beauty``, ...), ``synthetic``, ``file`` (your events file)
    or ``recbole`` (atomic files); the options are those of that kind. ``DatasetConfig(name=...,
    ...)`` builds the kind; ``.root`` is it, ``.name`` its name."""

    root: DatasetKind = Field(
        default_factory=RegisteredDatasetConfig,
        description="The dataset: name = a registered dataset, 'synthetic', 'file' or 'recbole', and that kind's "
        "options (an option of another kind is an error).",
    )

    @property
    def name(self) -> str:
        """The dataset's name (its kind's tag)."""
        return self.root.name


def build_dataset(cfg: DatasetConfig | DatasetKind, home: str | Path | None = None) -> Dataset:
    """Load (or generate) the dataset `cfg` names, applying ``min_weight``."""
    kind = cfg.root if isinstance(cfg, DatasetConfig) else cfg
    dataset = kind.load(home)
    if kind.item_noun is not None and dataset.catalog is not None:
        catalog = dataset.catalog
        dataset = Dataset(dataset.name, dataset.interactions, ItemCatalog(catalog.items, catalog.users, kind.item_noun))
    if kind.min_weight is not None:
        inter = dataset.interactions
        dataset = Dataset(dataset.name, inter.subset(inter.weight >= kind.min_weight), dataset.catalog)
    return dataset


# ---------------------------------------------------------------------------------- splits


class _SplitKind(KindConfig):
    table: ClassVar[str] = "split"
    tag: ClassVar[str] = "kind"

    kind: str = Field(description="How to split; see the kinds.")

    @classmethod
    def family(cls) -> tuple[type[KindConfig], ...]:
        return SPLIT_KINDS


class LeaveLastOutSplitConfig(_SplitKind):
    """Each user's last event is test, the second last validation (`leave_last_out`)."""

    kind: Literal["leave_last_out"] = Field(
        "leave_last_out", description="'leave_last_out': each user's last event is test, the second last validation."
    )
    min_interactions: int = Field(3, ge=3, description="Users with fewer events stay in train only (at least 3).")

    def apply(self, interactions: Interactions) -> Split:
        return leave_last_out(interactions, self.min_interactions)


class TemporalSplitConfig(_SplitKind):
    """A global time cut (`temporal_split`): exactly one of `test_quantile` / `test_start`."""

    kind: Literal["temporal"] = Field("temporal", description="'temporal': a global time cut.")
    test_quantile: float | None = Field(
        None, gt=0, lt=1, description="The test cut as a quantile of the timestamps, in (0, 1); or give test_start."
    )
    valid_quantile: float | None = Field(
        None,
        gt=0,
        lt=1,
        description="The validation cut as a timestamp quantile, in (0, 1); unset with valid_start: no validation.",
    )
    test_start: float | None = Field(None, description="The test cut as a timestamp (seconds).")
    valid_start: float | None = Field(None, description="The validation cut as a timestamp (seconds).")

    @model_validator(mode="after")
    def _cuts(self) -> TemporalSplitConfig:
        check_temporal_cuts(**self.model_dump(exclude={"kind"}))
        return self

    def apply(self, interactions: Interactions) -> Split:
        return temporal_split(interactions, **self.model_dump(exclude={"kind"}))


class RandomSplitConfig(_SplitKind):
    """A seeded per-row holdout (`random_holdout`)."""

    kind: Literal["random"] = Field("random", description="'random': a seeded per-row holdout.")
    test_fraction: float = Field(0.2, gt=0, lt=1, description="Probability that a row is test, in (0, 1).")
    valid_fraction: float = Field(
        0.1, ge=0, lt=1, description="Probability that a row is validation, in [0, 1); with test_fraction below 1."
    )
    seed: int = Field(0, description="Seed of the draw.")

    @model_validator(mode="after")
    def _fractions(self) -> RandomSplitConfig:
        check_random_fractions(self.test_fraction, self.valid_fraction)
        return self

    def apply(self, interactions: Interactions) -> Split:
        return random_holdout(
            interactions, test_fraction=self.test_fraction, valid_fraction=self.valid_fraction, seed=self.seed
        )


class ColdItemsSplitConfig(_SplitKind):
    """A share of the items held out of every fit; test = the last events of those items (`cold_item_split`)."""

    kind: Literal["cold_items"] = Field(
        "cold_items", description="'cold_items': a share of the items held out of every fit."
    )
    cold_fraction: float = Field(0.1, gt=0, lt=1, description="The share of items held out entirely, in (0, 1).")
    min_interactions: int = Field(3, ge=3, description="Users with fewer events stay in train only (at least 3).")
    seed: int = Field(0, description="Seed of the draw of the held-out items.")

    def apply(self, interactions: Interactions) -> Split:
        return cold_item_split(interactions, self.cold_fraction, self.seed, self.min_interactions)


SplitKind = Annotated[
    Annotated[LeaveLastOutSplitConfig, Tag("leave_last_out")]
    | Annotated[TemporalSplitConfig, Tag("temporal")]
    | Annotated[RandomSplitConfig, Tag("random")]
    | Annotated[ColdItemsSplitConfig, Tag("cold_items")],
    _discriminator("split", "kind", "leave_last_out", ("leave_last_out", "temporal", "random", "cold_items")),
]
SPLIT_KINDS = _kinds(SplitKind)


class SplitConfig(RootModel[SplitKind]):
    """How train, validation and test are cut: ``kind`` = ``leave_last_out`` (the default),
    ``temporal``, ``random`` or ``cold_items``, with that kind's options (see
    `hybrid_rec.data.splits` for the exact rules). ``SplitConfig(kind=..., ...)`` builds the kind;
    ``.root`` is it, ``.kind`` its kind."""

    root: SplitKind = Field(
        default_factory=LeaveLastOutSplitConfig,
        description="The split: kind = 'leave_last_out' (each user's last event is test, the second last "
        "validation), 'temporal' (a global time cut), 'random' (a seeded per-row holdout) or 'cold_items' (a share "
        "of the items held out of every fit), and that kind's options (an option of another kind is an error).",
    )

    @property
    def kind(self) -> str:
        """The split's kind."""
        return self.root.kind


def build_split(cfg: SplitConfig | SplitKind, interactions: Interactions) -> Split:
    """Cut `interactions` as `cfg` says."""
    return (cfg.root if isinstance(cfg, SplitConfig) else cfg).apply(interactions)
