"""Downloads held to checksums, and the per-file overrides (a pinned SHA-256, a mirror URL).

A download is streamed to disk and checked against the digests its source publishes; a mismatch
removes the file and says so, so nothing unchecked is ever converted.
"""

from __future__ import annotations

import hashlib
import shutil
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

from hybrid_rec.errors import ConfigError, DataError


def download(url: str, dest: Path, timeout: float) -> None:
    """Stream `url` to `dest`."""
    with urllib.request.urlopen(url, timeout=timeout) as response, open(dest, "wb") as fh:
        shutil.copyfileobj(response, fh)


def digests(path: Path) -> dict[str, str]:
    """MD5 and SHA-256 of a file, in one read."""
    md5, sha256 = hashlib.md5(), hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            md5.update(block)
            sha256.update(block)
    return {"md5": md5.hexdigest(), "sha256": sha256.hexdigest()}


def checked_download(
    url: str, dest: Path, timeout: float, expected: Mapping[str, str], hint: str = ""
) -> dict[str, str]:
    """Download `url` to `dest` and check it against `expected` (algorithm -> hex digest); returns
    the file's digests. A mismatch is a `DataError` (`hint` appended) and removes `dest`."""
    download(url, dest, timeout)
    found = digests(dest)
    for algo, want in expected.items():
        if found[algo] != want.lower():
            dest.unlink()
            raise DataError(f"{url}: checksum mismatch ({algo} {found[algo]}, expected {want}){hint}")
    return found


def per_file(value: str | Mapping[str, str] | None, files: Sequence[str], what: str, dataset: str) -> dict[str, str]:
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


def sha256_hex(value: str) -> str:
    """`value` as a lower-case SHA-256 hex digest; a `ConfigError` when it is not one."""
    text = value.strip().lower()
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        raise ConfigError(f"sha256 {value!r} is not 64 hexadecimal digits")
    return text


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
