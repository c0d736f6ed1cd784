"""A versioned model store: atomic snapshots, the last N kept, rollback.

Layout: ``versions/v000001/`` (a saved model plus ``snapshot.json``) and ``CURRENT`` (the name of
the live version). A snapshot is written into a temporary directory and renamed into
``versions/`` only when complete; ``CURRENT`` is replaced with `os.replace` after that. A reader
resolves ``CURRENT`` once and loads that directory, so it sees the old or the new version, never a
torn one; pruning never deletes the live version or the one before it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hybrid_rec._faults import fault_point
from hybrid_rec.errors import ConflictError, DataError

SNAPSHOT = "snapshot.json"


@dataclass(frozen=True)
class Snapshot:
    version: int
    path: Path
    meta: dict[str, Any]  # snapshot.json: JSON values


def resolve_model(path: str | Path) -> tuple[Path, str, dict[str, object]]:
    """The pipeline directory to load from `path`: a model store's live version, or `path` itself
    when it is a plain saved pipeline. Returns (directory, version tag, snapshot metadata)."""
    path = Path(path)
    if (path / "CURRENT").is_file():
        snap = ModelStore(path).current()
        return snap.path / "model", f"v{snap.version}", dict(snap.meta)
    if not (path / "pipeline.json").is_file():
        raise DataError(f"{path}: not a saved HybridPipeline nor a model store (see `hybrid-rec train`)")
    return path, "plain", {}


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ModelStore:
    """Snapshots under `root`; `keep` complete versions are retained (at least 2)."""

    def __init__(self, root: str | Path, keep: int = 5) -> None:
        self.root = Path(root)
        self.keep = max(2, keep)
        self.versions_dir = self.root / "versions"
        self.versions_dir.mkdir(parents=True, exist_ok=True)

    def versions(self) -> list[int]:
        out = []
        for p in self.versions_dir.iterdir():
            if p.name.startswith("v") and p.name[1:].isdigit() and (p / SNAPSHOT).is_file():
                out.append(int(p.name[1:]))
        return sorted(out)

    def _path(self, version: int) -> Path:
        return self.versions_dir / f"v{version:06d}"

    def current(self) -> Snapshot:
        """The live snapshot (`DataError` when the store has none)."""
        pointer = self.root / "CURRENT"
        if not pointer.is_file():
            raise DataError(f"{self.root}: the model store has no published version yet")
        text = pointer.read_text(errors="replace").strip()
        if not text.isascii() or not text.isdigit() or len(text) > 9:
            raise DataError(f"{pointer}: names {text[:40]!r}, not a version number; repair it or publish again")
        version = int(text)
        path = self._path(version)
        if not (path / SNAPSHOT).is_file():
            raise DataError(f"{self.root}: CURRENT names v{version:06d}, which is missing or incomplete")
        return Snapshot(version, path, json.loads((path / SNAPSHOT).read_text()))

    def has_current(self) -> bool:
        return (self.root / "CURRENT").is_file()

    def _locked(self) -> contextlib.AbstractContextManager[None]:
        """One writer at a time (an exclusive flock on ``.lock``)."""

        @contextlib.contextmanager
        def lock() -> Iterator[None]:
            with open(self.root / ".lock", "a") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(fh, fcntl.LOCK_UN)

        return lock()

    def publish(self, save: Callable[[Path], None], meta: dict[str, object], *, parent: int | None = None) -> Snapshot:
        """Write a new version with `save(directory)`, then make it live atomically. `parent` = the
        version the new one was derived from: when another writer has published since, nothing is
        written and `ConflictError` says so (compare-and-swap: reload the live version and retry)."""
        with self._locked():
            if parent is not None and self.has_current() and (live := self.current().version) != parent:
                raise ConflictError(
                    f"{self.root}: v{live:06d} was published after v{parent:06d}, which this update was made from; "
                    "reload the live version and apply it again"
                )
            return self._publish(save, meta)

    def _publish(self, save: Callable[[Path], None], meta: dict[str, object]) -> Snapshot:
        version = max(self.versions(), default=0) + 1
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=self.versions_dir))
        try:
            save(staging / "model")
            full = {**meta, "version": version, "created": time.time()}
            (staging / SNAPSHOT).write_text(json.dumps(full, indent=2, default=str))
            _fsync_dir(staging)
            fault_point("store.staged")
            os.replace(staging, self._path(version))
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        _fsync_dir(self.versions_dir)
        fault_point("store.renamed")
        self._point(version)
        fault_point("store.pointed")
        self._prune()
        return Snapshot(version, self._path(version), full)

    def _point(self, version: int) -> None:
        tmp = self.root / "CURRENT.tmp"
        with open(tmp, "w") as fh:
            fh.write(str(version))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.root / "CURRENT")
        _fsync_dir(self.root)

    def rollback(self) -> Snapshot:
        """Make the version before the live one live again."""
        with self._locked():
            return self._rollback()

    def _rollback(self) -> Snapshot:
        live = self.current().version
        older = [v for v in self.versions() if v < live]
        if not older:
            raise DataError(f"{self.root}: no version before v{live:06d} to roll back to")
        self._point(older[-1])
        return self.current()

    def _prune(self) -> None:
        live = self.current().version
        versions = self.versions()
        protected = {live, *[v for v in versions if v < live][-1:]}
        for v in versions[: max(0, len(versions) - self.keep)]:
            if v not in protected:
                shutil.rmtree(self._path(v), ignore_errors=True)
        for stale in self.versions_dir.glob(".staging-*"):  # left by a killed writer
            shutil.rmtree(stale, ignore_errors=True)
