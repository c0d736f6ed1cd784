"""The model the service answers with: the live version of a model store, reloaded when it changes.

Each request compares the store's ``CURRENT`` with the version it last handled; a change starts one
background loader (transformers' loading is serialized process-wide), while requests keep being
answered by the old model, swapped for the new one under a lock only once it is complete. A version
that fails to load is logged, the old model keeps serving and `ModelHolder.failure` says why (for
``/health`` and ``/version``); a live version that cannot be loaded at start-up is a `DataError`.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hybrid_rec.errors import DataError, NotFittedError

if TYPE_CHECKING:
    from hybrid_rec.pipeline import HybridPipeline

log = logging.getLogger(__name__)


def _label(pointer: str) -> str:
    """A version tag for what CURRENT says ('v7'), or the text itself, shortened, when it is no number."""
    return f"v{int(pointer)}" if pointer.isdigit() else repr(pointer[:40])


class ModelHolder:
    """The live pipeline of a model store (or a plain model directory).

    A changed ``CURRENT`` is loaded by one background thread, at most once per value of ``CURRENT``,
    while the old pipeline keeps answering; the new one is swapped in under `lock` only when complete.
    A version that fails to load is logged and kept in `failure`, and the old one stays. The first
    load happens in the constructor: a live version that cannot be loaded there is a `DataError`.
    """

    def __init__(self, model: Path) -> None:
        self.model = model
        self.lock = threading.Lock()  # guards the served state, `failure`, `_handled` and `_loader`
        self.version: str | None = None
        self.meta: dict[str, Any] = {}
        self.pipeline: HybridPipeline | None = None
        self.failure: dict[str, str] | None = None  # {"version": ..., "error": ...} of the last failed load
        self._handled: str | None = None  # the CURRENT last loaded or failed: never loaded twice
        self._trying: str | None = None  # the version being loaded (only the one loader touches it)
        self._loader: threading.Thread | None = None
        self._idle = threading.Event()  # set while no loader runs
        self._idle.set()
        pointer = self._pointer()
        try:
            self._load()
        except Exception as exc:  # a corrupt store, a non-numeric CURRENT, broken files: one line
            failed = self._trying or _label(pointer)
            raise DataError(f"{model}: cannot load the live model version {failed}: {exc}") from exc
        self._handled = pointer

    def _pointer(self) -> str:
        """What CURRENT says now ('plain' for a plain model directory): one small read per request."""
        try:
            return (self.model / "CURRENT").read_text().strip()
        except FileNotFoundError:
            return "plain"
        except (OSError, UnicodeDecodeError) as exc:
            return f"unreadable CURRENT ({exc})"

    def _load(self) -> None:
        """Resolve and load the live version, then swap it in (nothing to do when it is served already)."""
        from hybrid_rec.pipeline import HybridPipeline
        from hybrid_rec.store import resolve_model

        path, version, meta = resolve_model(self.model)
        if version != self.version:
            self._trying = version
            pipeline = HybridPipeline.load(path).warm_up()  # fully loaded (and warm) before anyone sees it
            with self.lock:
                self.pipeline, self.version, self.meta = pipeline, version, meta
            log.info("serving model %s", version)
        with self.lock:
            self.failure = None

    def _background(self) -> None:
        """The loader thread: load what CURRENT names; on failure keep the old model and record why."""
        pointer = self._pointer()  # read here, just before resolving it, so that the two agree
        self._trying = None
        try:
            self._load()
        except Exception as exc:
            failed = self._trying or _label(pointer)
            log.exception("model version %s failed to load; still serving %s", failed, self.version)
            with self.lock:
                self.failure = {"version": failed, "error": f"{type(exc).__name__}: {exc}"}
        finally:
            with self.lock:
                self._handled, self._loader = pointer, None
            self._idle.set()

    def refresh(self) -> None:
        """Start loading a changed CURRENT in the background; returns at once (one loader at a time)."""
        pointer = self._pointer()
        with self.lock:
            if pointer == self._handled or self._loader is not None:
                return
            self._idle.clear()
            self._loader = threading.Thread(target=self._background, name="hybrid_rec-model-loader", daemon=True)
            self._loader.start()

    def wait_loaded(self, timeout: float | None = None) -> bool:
        """Pick up CURRENT and block until the version it names is served or has failed (see `failure`):
        True, or False when `timeout` seconds passed first. For POST /items (its caller expects the
        version it published to answer) and for tests, which must not guess with sleeps."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            self.refresh()
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not self._idle.wait(left):
                return False
            with self.lock:
                if self._loader is None and self._handled == self._pointer():
                    return True
            if deadline is not None and time.monotonic() >= deadline:
                return False

    def live(self) -> tuple[HybridPipeline, str]:
        """The pipeline answering requests and its version, as one consistent pair (after noticing a
        newly published version, which then loads in the background)."""
        self.refresh()
        with self.lock:
            pipe, version = self.pipeline, self.version
        if pipe is None or version is None:  # pragma: no cover - the constructor loads a model
            raise NotFittedError("no model is loaded")
        return pipe, version

    def current(self) -> HybridPipeline:
        """The live pipeline (see `live`)."""
        return self.live()[0]

    def status(self) -> dict[str, Any]:
        """The served version, its snapshot metadata and the last failed load (None when the last load
        succeeded), read together."""
        with self.lock:
            return {"version": self.version, "meta": dict(self.meta), "failure": self.failure}
