"""Named datasets: download, verify, cache and load, through one registry and one fetch mechanism.

Registered datasets (`REGISTERED`; ``hybrid-rec data fetch NAME``, ``load_dataset(NAME)``):

- ``movielens-100k``: the official GroupLens archive (MD5-checked); when that host cannot be
  reached, the copy inside the PyPI package ``recbole==1.2.1`` (wheel and files SHA-256-checked).
- ``movielens-1m``, ``movielens-20m``: the official GroupLens archives, checked against GroupLens'
  published MD5 and the SHA-256 TensorFlow Datasets records for the same archives.
- ``movielens-latest-small``: GroupLens' "latest" small archive (SHA-256 as published by
  TensorFlow Datasets). GroupLens replaces the "latest" archives between releases without
  changing their URL, so a checksum mismatch may be a newer release rather than a bad download:
  the error says how to pin the new file's SHA-256 if you want it.
- ``amazon2023-all-beauty``, ``amazon2023-video-games``, ``amazon2023-sports-and-outdoors``:
  Amazon Reviews 2023 (McAuley lab, UCSD), 5-core; no published checksums (recorded, pinnable).

Every dataset is normalised to RecBole atomic files under ``$HYBRID_REC_HOME/datasets/<name>``
(default ``~/.cache/hybrid_rec``), installed by one rename after every check passed and verified
against its ``manifest.json`` on every load. The modules, one job each:

- `cache`: the cache root, staging, the manifest and its verification (the one fetch loop);
- `download`: downloads held to checksums; per-file overrides (pinned SHA-256, mirror URLs);
- `registered`: `RegisteredDataset` (files, converter, fallbacks): fetch and load of an entry;
- `registry`: `REGISTERED`, `load_dataset`, `fetch_dataset`;
- `atomic`: writing atomic files; `movielens`, `recbole_wheel`, `amazon`: the source families;
- `local`: your own events / atomic files as a `Dataset`; `dataset`: `Dataset` itself.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

from hybrid_rec.data.datasets.amazon import AMAZON2023_URLS, amazon2023, amazon2023_to_atomic
from hybrid_rec.data.datasets.atomic import GENRE_SEPARATOR, INTER_HEADER, ITEM_HEADER
from hybrid_rec.data.datasets.cache import MANIFEST, Source, data_home
from hybrid_rec.data.datasets.dataset import Dataset
from hybrid_rec.data.datasets.download import parse_overrides
from hybrid_rec.data.datasets.local import load_atomic_files, load_event_files
from hybrid_rec.data.datasets.movielens import (
    CSV_CHUNK_ROWS,
    GROUPLENS,
    GROUPLENS_MD5,
    GROUPLENS_URL,
    ML1M_AGES,
    ML1M_OCCUPATIONS,
    ML100K_GENRES,
    grouplens_to_atomic,
    movielens_1m_to_atomic,
    movielens_100k_to_atomic,
    movielens_csv_to_atomic,
)
from hybrid_rec.data.datasets.recbole_wheel import RECBOLE_MEMBERS, RECBOLE_REQUIREMENT, RECBOLE_WHEEL_SHA256
from hybrid_rec.data.datasets.registered import Converter, Fallback, RegisteredDataset, SourceFile
from hybrid_rec.data.datasets.registry import (
    REGISTERED,
    fetch_dataset,
    fetch_movielens_100k,
    load_dataset,
    load_movielens_100k,
    registered,
)

__all__ = [
    "AMAZON2023_URLS",
    "CSV_CHUNK_ROWS",
    "GENRE_SEPARATOR",
    "GROUPLENS",
    "GROUPLENS_MD5",
    "GROUPLENS_URL",
    "INTER_HEADER",
    "ITEM_HEADER",
    "MANIFEST",
    "ML1M_AGES",
    "ML1M_OCCUPATIONS",
    "ML100K_GENRES",
    "RECBOLE_MEMBERS",
    "RECBOLE_REQUIREMENT",
    "RECBOLE_WHEEL_SHA256",
    "REGISTERED",
    "Converter",
    "Dataset",
    "Fallback",
    "RegisteredDataset",
    "Source",
    "SourceFile",
    "amazon2023",
    "amazon2023_to_atomic",
    "data_home",
    "fetch_dataset",
    "fetch_movielens_100k",
    "grouplens_to_atomic",
    "load_atomic_files",
    "load_dataset",
    "load_event_files",
    "load_movielens_100k",
    "movielens_1m_to_atomic",
    "movielens_100k_to_atomic",
    "movielens_csv_to_atomic",
    "parse_overrides",
    "registered",
]

#: The old name -> loader / fetcher tables, now views computed from `REGISTERED` on each access.
_VIEWS = {"DATASETS": "load", "FETCHERS": "fetch"}


def __getattr__(name: str) -> dict[str, Callable[..., object]]:
    """``DATASETS`` / ``FETCHERS`` (deprecated): what `REGISTERED` holds, as name -> bound method."""
    if name not in _VIEWS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    warnings.warn(
        f"hybrid_rec.data.datasets.{name} is deprecated: use REGISTERED[name].{_VIEWS[name]} (or load_dataset / "
        "fetch_dataset)",
        DeprecationWarning,
        stacklevel=2,
    )
    return {key: getattr(spec, _VIEWS[name]) for key, spec in REGISTERED.items()}
