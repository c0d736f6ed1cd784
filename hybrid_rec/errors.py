"""Exception hierarchy: every error the library raises on purpose derives from `HybridRecError`."""

from __future__ import annotations

from typing import TypeVar


class HybridRecError(Exception):
    """Base class of all hybrid_rec errors."""


class NotFittedError(HybridRecError):
    """A model was used before `fit` (or `load`)."""


T = TypeVar("T")


def require_fitted(state: T | None, what: str, fix: str = "call fit() or load() first") -> T:
    """`state` when it is set, else `NotFittedError` naming `what` and the fix: the one check behind
    every component's `fitted` accessor (so the type checker sees non-optional parts)."""
    if state is None:
        raise NotFittedError(f"{what} is not fitted; {fix}")
    return state


class UnknownIdError(HybridRecError, KeyError):
    """An external user or item id is not known to the model."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class ConfigError(HybridRecError, ValueError):
    """A configuration value or file is invalid."""


class DataError(HybridRecError, ValueError):
    """Input data is malformed: the message names the file, the column and the row where known."""


class MissingExtraError(HybridRecError, ImportError):
    """A feature needs an optional extra that is not installed; the message names the pip command."""


class ConflictError(HybridRecError):
    """Another writer changed the model store first (e.g. published a version): reload and retry."""


class BusyError(HybridRecError):
    """A shared resource (the event log) is held by another writer longer than this call waits: retry later."""
