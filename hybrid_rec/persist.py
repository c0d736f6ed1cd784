"""One save/load helper for components: a JSON config beside arrays, never pickle.

Every component saves into its own directory: its config as JSON (a `StrictModel`, so loading
validates it), arrays as ``.npz`` read with ``allow_pickle=False``, weights as safetensors, and
tokenizer / FAISS files in their libraries' own formats. Loading a model never runs code.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TypeVar

import numpy as np

from hybrid_rec.config import StrictModel
from hybrid_rec.errors import DataError

M = TypeVar("M", bound=StrictModel)


def component_dir(directory: str | Path) -> Path:
    """`directory` as a Path, created with its parents (for saving)."""
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    return path


def require(directory: str | Path, *names: str, what: str) -> Path:
    """`directory` as a Path, or a `DataError` naming the first of `names` it lacks and what it should hold."""
    path = Path(directory)
    for name in names:
        if not (path / name).is_file():
            raise DataError(f"{path}: missing {name}; not a saved {what}")
    return path


def save_config(directory: str | Path, config: StrictModel, filename: str = "config.json") -> Path:
    """Write `config` as JSON into `directory` (created); returns the directory."""
    path = component_dir(directory)
    (path / filename).write_text(config.model_dump_json(indent=2))
    return path


def load_config(directory: str | Path, cls: type[M], filename: str = "config.json", *, what: str) -> M:
    """The `cls` config saved in `directory`, validated (a missing file or bad value names the path)."""
    path = require(directory, filename, what=what) / filename
    return cls.from_dict(json.loads(path.read_text()), source=str(path))


def save_arrays(path: str | Path, **arrays: np.ndarray) -> None:
    """Arrays as one ``.npz`` (numbers and unicode only: object arrays would need pickle)."""
    np.savez(path, allow_pickle=False, **arrays)  # an object array fails here, not at load time


def load_arrays(path: str | Path) -> dict[str, np.ndarray]:
    """Every array of an ``.npz``, read without pickle."""
    with np.load(path, allow_pickle=False) as z:
        return {name: z[name] for name in z.files}


CHECKSUMS = "checksums.json"


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in blocks (hex)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_checksums(directory: str | Path) -> Path:
    """Record the SHA-256 of every file under `directory` (written last, after everything else) in
    ``checksums.json``, so that `verify_checksums` can tell a changed, truncated or missing file."""
    root = Path(directory)
    sums = {
        p.relative_to(root).as_posix(): sha256_file(p)
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != CHECKSUMS
    }
    (root / CHECKSUMS).write_text(json.dumps({"algorithm": "sha256", "files": sums}, indent=1))
    return root / CHECKSUMS


def verify_checksums(directory: str | Path, *, what: str) -> None:
    """Check every file `write_checksums` recorded: a `DataError` names the first file that is missing
    or whose bytes changed since it was saved. A directory without ``checksums.json`` (saved before
    checksums existed) is accepted as it is."""
    root = Path(directory)
    path = root / CHECKSUMS
    if not path.is_file():
        return
    try:
        files = json.loads(path.read_text())["files"]
    except (ValueError, KeyError, TypeError) as exc:
        raise DataError(f"{path}: unreadable checksum manifest ({exc}); the saved {what} is damaged") from None
    for name, expected in files.items():
        file = root / name
        if not file.is_file():
            raise DataError(f"{file}: missing; the saved {what} is incomplete (restore it or roll the store back)")
        if sha256_file(file) != expected:
            raise DataError(
                f"{file}: checksum mismatch, the file changed after it was saved; the saved {what} is damaged "
                "(restore it or roll the store back)"
            )
