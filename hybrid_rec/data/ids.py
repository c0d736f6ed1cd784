"""`IdMap`: a bijection between external ids (any hashable scalars) and dense internal ids 0..n-1."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from hybrid_rec.errors import DataError, UnknownIdError
from hybrid_rec.policy import OnUnknown, check_on_unknown


def as_id_array(values: Iterable[object] | np.ndarray) -> np.ndarray:
    """External ids as an array without coercing types: ``[1, "x"]`` stays ``[1, "x"]`` (numpy would
    make both strings), so an integer id and its string spelling stay different ids."""
    if isinstance(values, np.ndarray):
        return values
    return pd.Index(list(values)).to_numpy()


class IdMap:
    """Maps external ids to dense internal indices and back.

    Internal index ``i`` is the position of the external id in `ids`. Maps only grow
    (`extend`), so an internal index stays valid for the lifetime of a model.
    """

    __slots__ = ("_index",)

    def __init__(self, ids: Iterable[object] | np.ndarray | pd.Index, *, name: str = "id") -> None:
        index = pd.Index(ids if not isinstance(ids, pd.Index) else ids.to_numpy(), name=name)
        if index.hasnans:
            raise DataError(f"{name}: ids must not be missing (NaN/None)")
        if not index.is_unique:
            dup = index[index.duplicated()][0]
            dup = dup.item() if isinstance(dup, np.generic) else dup  # 1, not np.int64(1)
            raise DataError(f"{name}: duplicate id {dup!r} in IdMap")
        self._index = index

    @property
    def name(self) -> str:
        return str(self._index.name)

    @property
    def ids(self) -> np.ndarray:
        """External ids, in internal order."""
        return self._index.to_numpy()

    def __len__(self) -> int:
        return len(self._index)

    def __contains__(self, external_id: object) -> bool:
        return external_id in self._index

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IdMap) and self._index.equals(other._index)

    def __hash__(self) -> int:  # maps are mutable-free but large: hash by identity
        return id(self)

    def __repr__(self) -> str:
        return f"IdMap(name={self.name!r}, n={len(self)})"

    def to_internal(self, external: Iterable[object] | np.ndarray, on_unknown: OnUnknown = "raise") -> np.ndarray:
        """Internal indices of `external` ids.

        on_unknown: ``"raise"`` raises `UnknownIdError`; ``"skip"`` drops unknown ids from the
        result; ``"fallback"`` keeps the positions and returns -1 for them.
        """
        on_unknown = check_on_unknown(on_unknown)
        values = as_id_array(external)
        idx = self._index.get_indexer(values).astype(np.int64)
        unknown = idx < 0
        if unknown.any():
            if on_unknown == "raise":
                bad = values[unknown][:5].tolist()
                raise UnknownIdError(
                    f"unknown {self.name}(s) {bad} ({int(unknown.sum())} in all); pass on_unknown='skip' to drop them"
                )
            if on_unknown == "skip":
                idx = idx[~unknown]
        return idx

    def to_external(self, internal: Iterable[int] | np.ndarray) -> np.ndarray:
        """External ids of internal indices (an out-of-range index raises `UnknownIdError`)."""
        idx = np.asarray(internal, dtype=np.int64)
        if idx.size and (idx.min() < 0 or idx.max() >= len(self)):
            raise UnknownIdError(f"internal {self.name} index out of range [0, {len(self)})")
        return self.ids[idx]

    def to_array(self) -> np.ndarray:
        """The ids as a plain numpy array (numbers or unicode) that `np.save` stores without pickle."""
        ids = self.ids
        if ids.dtype != object:
            return ids
        if all(isinstance(v, str) for v in ids):
            return ids.astype(str)
        raise DataError(f"{self.name}: ids of mixed or non-string object types cannot be saved without pickle")

    def coerce(self, external: Iterable[object] | np.ndarray) -> np.ndarray:
        """Ids that arrived as text (a CLI, a CSV, JSON) in this map's id type: for a map keyed by
        integers, ``"42"`` becomes ``42``; anything else is left as it is (and stays unknown)."""
        values = as_id_array(external)
        if not len(self) or not np.issubdtype(self.ids.dtype, np.integer) or values.dtype.kind not in "OUS":
            return values
        out = np.empty(len(values), dtype=object)
        for k, v in enumerate(values):
            out[k] = int(v) if isinstance(v, str) and v.strip().lstrip("-").isdigit() else v
        return out

    def extend(self, external: Iterable[object]) -> IdMap:
        """A new map with the unseen ids of `external` appended (existing indices unchanged)."""
        new = pd.Index(pd.unique(as_id_array(external)))
        new = new[~new.isin(self._index)]
        if len(new) == 0:
            return self
        return IdMap(self._index.append(new), name=self.name)
