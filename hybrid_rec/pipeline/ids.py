"""External ids mapped once, at the pipeline's edge: coercion of ids that arrived as text, the
``on_unknown`` policy and its error hints, for the Python API, REST and the CLI alike."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hybrid_rec.data.ids import IdMap, as_id_array, show_id
from hybrid_rec.errors import ConfigError, DataError, UnknownIdError
from hybrid_rec.policy import OnUnknown, check_on_unknown

__all__ = ["IdBoundary", "check_k"]

_FALLBACK = {
    "user": "'fallback' (popular items and the LM's reading of the request) or 'skip' (left out)",
    "item": "'fallback' (kept after the scored ones, score NaN) or 'skip' (dropped)",
}


def _hint(argument: str, kind: str) -> str:
    """How to pass the other policies, in the spelling of the interface (``--on-unknown fallback``)."""
    values = _FALLBACK[kind]
    if argument.startswith("--"):
        return f"pass {argument} " + values.replace("'", "")
    return f"pass {argument}=" + values


class IdBoundary:
    """Maps a call's external user and item ids to internal ids: ``"42"`` is ``42`` for a model keyed
    by integers; unknown ids follow the call's ``on_unknown`` policy (-1 where they are kept)."""

    def __init__(self, users: IdMap, items: IdMap) -> None:
        self._maps = {"user": users, "item": items}

    def users(
        self, ids: Sequence[object] | np.ndarray, on_unknown: object = "raise", argument: str = "on_unknown"
    ) -> tuple[np.ndarray, np.ndarray]:
        """(external ids as the model spells them, internal ids; -1 = unknown, kept under 'fallback')."""
        return self._map("user", ids, check_on_unknown(on_unknown, argument), argument)

    def items(
        self, ids: Sequence[object] | np.ndarray, on_unknown: object = "skip", argument: str = "on_unknown_items"
    ) -> tuple[np.ndarray, np.ndarray]:
        """Candidate items: like `users`. An id given twice is an error (a caller's list holds each
        candidate once); ids that become one id once coerced (``"0"`` and ``0`` for a model keyed by
        integers, distinct values in JSON) are one candidate, at its first place."""
        seen: set[tuple[str, object]] = set()
        ids = _as_list(ids)
        for i in ids:
            key = (type(i).__name__, i.item() if isinstance(i, np.generic) else i)
            if key in seen:
                raise DataError(f"rerank: candidate item ids must be unique; {show_id(key[1])} is given more than "
                                "once; give each candidate once")  # fmt: skip
            seen.add(key)
        ext, internal = self._map("item", ids, check_on_unknown(on_unknown, argument), argument)
        keys = [int(i) if i >= 0 else ("unknown", show_id(e)) for e, i in zip(ext, internal, strict=True)]
        first = sorted({k: n for n, k in reversed(list(enumerate(keys)))}.values())
        if len(first) != len(keys):
            ext, internal = ext[first], internal[first]
        return ext, internal

    def _map(
        self, kind: str, ids: Sequence[object] | np.ndarray, policy: OnUnknown, argument: str
    ) -> tuple[np.ndarray, np.ndarray]:
        known_ids = self._maps[kind]
        ext = known_ids.coerce(as_id_array(_as_list(ids)))
        internal = known_ids.to_internal(ext, on_unknown="fallback")
        unknown = internal < 0
        if unknown.any():
            if policy == "raise":
                bad = ", ".join(show_id(v) for v in ext[unknown][:5])
                raise UnknownIdError(
                    f"unknown {kind} id(s) {bad} ({int(unknown.sum())} in all); {_hint(argument, kind)}"
                )
            if policy == "skip":
                ext, internal = ext[~unknown], internal[~unknown]
        return ext, internal


def _as_list(ids: object) -> list[object]:
    """A call's ids as a list: a single id where a list is expected ("r0", 42) is one id, not its characters."""
    if isinstance(ids, str | bytes | int | np.generic) or not hasattr(ids, "__iter__"):
        return [ids]
    return list(ids)


def check_k(k: object, limit: int, argument: str = "k") -> int:
    """`k` as a list length: a positive integer (`ConfigError` otherwise), at most `limit` (more could
    never be filled: asking for 10**12 must not allocate for it)."""
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ConfigError(f"{argument} must be a positive integer, got {k!r}")
    return int(min(k, max(limit, 1)))
