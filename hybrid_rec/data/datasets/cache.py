"""The dataset cache: where fetched datasets live and the manifest that makes them trusted.

Each dataset is a directory ``<cache root>/datasets/<name>`` holding atomic files and a
``manifest.json`` with each file's SHA-256. A fetch fills a temporary staging directory that is
renamed into place only after every check passed, and every load verifies the manifest first, so
an interrupted or corrupted fetch is never trusted.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pandas as pd

from hybrid_rec.errors import DataError
from hybrid_rec.persist import sha256_file

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"

#: A way to fill a staging directory: returns more manifest entries (or None).
Source = Callable[[Path], "Mapping[str, object] | None"]
#: Errors that make a source fail (and the next one be tried) rather than crash the fetch.
SOURCE_ERRORS = (OSError, EOFError, DataError, zipfile.BadZipFile, pd.errors.ParserError, UnicodeDecodeError)


def data_home(home: str | Path | None = None) -> Path:
    """The cache root: `home`, else ``$HYBRID_REC_HOME``, else ``~/.cache/hybrid_rec``."""
    root = home or os.environ.get("HYBRID_REC_HOME") or Path.home() / ".cache" / "hybrid_rec"
    return Path(root).expanduser()


def verified(directory: Path) -> bool:
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


def recorded_sha256(directory: Path, name: str) -> str | None:
    """The SHA-256 the manifest of `directory` records for the download `name` (None: not recorded)."""
    try:
        downloads = json.loads((directory / MANIFEST).read_text()).get("downloads", [])
    except (OSError, ValueError):
        return None
    return next((d.get("sha256") for d in downloads if d.get("file") == name), None)


def _install(staging: Path, target: Path, source: str, extra: Mapping[str, object] | None = None) -> None:
    """Write the manifest into `staging`, then move it to `target` in one rename."""
    files = {p.name: sha256_file(p) for p in sorted(staging.iterdir()) if p.is_file()}
    (staging / MANIFEST).write_text(json.dumps({"source": source, "files": files, **(extra or {})}, indent=2))
    if target.exists():
        shutil.rmtree(target)
    os.replace(staging, target)


def fetch_into_cache(
    name: str,
    label: str,
    home: str | Path | None,
    force: bool,
    sources: Sequence[tuple[str, Source]],
    reuse: Callable[[Path], bool] | None = None,
) -> Path:
    """The one fetch: return the verified cache directory of `name` when there is one (and `reuse`
    accepts it), else try `sources` in order, each into a fresh staging directory that is
    installed only when the source returned without error."""
    root = data_home(home) / "datasets"
    target = root / name
    if not force and verified(target) and (reuse is None or reuse(target)):
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
            except SOURCE_ERRORS as exc:
                log.warning("%s: %s failed (%s)", label, source, exc)
                errors.append(f"{source}: {exc}")
                continue
            _install(staging, target, source, extra)
            return target
    raise DataError(f"could not fetch {label}; " + "; ".join(errors))


def cached_directory(name: str, label: str, home: str | Path | None, download: bool, fetch: Callable[[], Path]) -> Path:
    """The verified cache directory of `name`, fetched first when missing (and `download`)."""
    directory = data_home(home) / "datasets" / name
    if verified(directory):
        return directory
    if not download:
        raise DataError(
            f"{directory}: {label} is not in the cache (or failed verification); run `hybrid-rec data fetch {name}`"
        )
    return fetch()
