"""`IdMap`: a bijection between external ids and dense internal ids 0..n-1.

An external id is text or an integer (floats and bools are kept as they were too). Every id must
survive a save and a load unchanged, so these are refused wherever ids enter (`IdMap`,
`Interactions.from_dataframe`, feedback events): empty text, text longer than `MAX_ID_LENGTH`,
control characters (Unicode category Cc, NUL included: numpy drops trailing NULs on save), lone
surrogates (not UTF-8), integers outside int64, and text and integers mixed in one map.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from hybrid_rec.errors import DataError, UnknownIdError
from hybrid_rec.policy import OnUnknown, check_on_unknown

#: The longest external id (and feedback event id) accepted, in characters.
MAX_ID_LENGTH = 256
#: What an id must look like, for the fix in error messages.
ID_RULE = f"ids must be non-empty text of at most {MAX_ID_LENGTH} characters without control characters"
_UNSAFE_CHAR = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")  # category Cc, and surrogates
_INT_TEXT = re.compile(r"-?[0-9]+")
_INT64 = np.iinfo(np.int64)
_NUMPY_TYPE: dict[str, type] = {"integer": np.int64, "float": np.float64, "bool": np.bool_}


def show_id(value: object, limit: int = 60) -> str:
    """`value` for an error message: its repr (control characters and surrogates escaped), cut short."""
    text = repr(value.item() if isinstance(value, np.generic) else value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def text_id_problem(value: str) -> str | None:
    """Why the text id `value` cannot be stored and read back exactly, or None when it can."""
    if not value:
        return "is empty"
    if len(value) > MAX_ID_LENGTH:
        return f"is {len(value)} characters long (at most {MAX_ID_LENGTH})"
    bad = _UNSAFE_CHAR.search(value)
    if bad:
        what = "a lone surrogate" if "\ud800" <= bad.group() <= "\udfff" else "the control character"
        return f"holds {what} {bad.group()!r} (character {bad.start() + 1})"
    return None


def _family(value: object) -> str:
    if isinstance(value, str):
        return "text"
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, (int, np.integer)):
        return "integer"
    if isinstance(value, (float, np.floating)):
        return "float"
    return type(value).__name__


def find_bad_id(values: np.ndarray) -> tuple[int, str] | None:
    """The first position of `values` holding an id that cannot be saved and loaded back exactly,
    with the reason (``"id 'a\\x00' holds ..."``); None when every id can. Missing ids (NaN) are
    the caller's to check."""
    kind = values.dtype.kind
    if kind in "iufb":
        if kind == "u" and len(values) and values.max() > _INT64.max:
            pos = int(np.argmax(values > _INT64.max))
            return pos, f"id {show_id(values[pos])} is beyond the int64 range"
        return None
    if kind not in "UO":
        return 0, f"ids of dtype {values.dtype} are not supported: ids must be text or integers"
    items = values.tolist()
    if not items:
        return None
    first = _family(items[0])
    if kind == "U" or all(isinstance(v, str) for v in items):
        lengths = [len(v) for v in items]
        if min(lengths) > 0 and max(lengths) <= MAX_ID_LENGTH and not _UNSAFE_CHAR.search("".join(items)):
            return None  # the fast path: one regex over all the text
        for pos, v in enumerate(items):
            if (why := text_id_problem(v)) is not None:
                return pos, f"id {show_id(v)} {why}; {ID_RULE}"
    for pos, v in enumerate(items):
        family = _family(v)
        if family != first:
            return pos, (
                f"id {show_id(v)} is {family} but the first id {show_id(items[0])} is {first}: "
                "ids of one column must be all text or all integers (id_type='str' reads them all as text)"
            )
        if family == "integer" and not _INT64.min <= v <= _INT64.max:
            return pos, f"id {show_id(v)} is beyond the int64 range"
        if family not in ("text", "integer", "float", "bool"):
            return pos, f"id {show_id(v)} is a {family}: ids must be text or integers"
    return None


def _checked_index(ids: Iterable[object] | np.ndarray | pd.Index, name: str) -> pd.Index:
    """`ids` as a validated index: unique, none missing, every id saveable; integers as int64."""
    values = ids.to_numpy() if isinstance(ids, pd.Index) else as_id_array(ids)
    if len(values) and pd.isna(values).any():
        raise DataError(f"{name}: ids must not be missing (NaN/None)")
    bad = find_bad_id(values)  # before pd.Index: its text dtype cannot even hold a lone surrogate
    if bad is not None:
        raise DataError(f"{name}: at position {bad[0]}, {bad[1]}")
    index = pd.Index(values, name=name)
    if index.dtype.kind in "uO" and len(index):  # Python numbers, unsigned ints: one dtype per kind,
        dtype = _NUMPY_TYPE.get(_family(index[0]))  # so a map saves without pickle and appends exactly
        index = index if dtype is None else index.astype(dtype)
    if not index.is_unique:
        dup = index[index.duplicated()][0]
        raise DataError(f"{name}: duplicate id {show_id(dup)} in IdMap")
    return index


def _id_type(index: pd.Index) -> str:
    return {"i": "integer", "u": "integer", "f": "float", "b": "bool"}.get(index.dtype.kind, "text")


def as_id_array(values: Iterable[object] | np.ndarray) -> np.ndarray:
    """External ids as an array without coercing types: ``[1, "x"]`` stays ``[1, "x"]`` (numpy would
    make both strings), so an integer id and its string spelling stay different ids."""
    if isinstance(values, np.ndarray):
        return values
    items = list(values)
    try:
        return pd.Index(items).to_numpy()
    except UnicodeEncodeError:  # pandas' text dtype cannot hold a lone surrogate: keep the objects
        out = np.empty(len(items), dtype=object)
        for k, v in enumerate(items):
            out[k] = v
        return out


class IdMap:
    """Maps external ids to dense internal indices and back.

    Internal index ``i`` is the position of the external id in `ids`. Maps only grow
    (`extend`), so an internal index stays valid for the lifetime of a model.
    """

    __slots__ = ("_ids", "_index")

    def __init__(self, ids: Iterable[object] | np.ndarray | pd.Index, *, name: str = "id") -> None:
        """Raises `DataError` for missing or duplicate ids and for ids that could not be saved and
        loaded back exactly (see the module docstring)."""
        self._index = _checked_index(ids, name)
        self._ids: np.ndarray | None = None

    @property
    def name(self) -> str:
        return str(self._index.name)

    @property
    def ids(self) -> np.ndarray:
        """External ids, in internal order (read-only; converted from the index once: the conversion
        of a large text index costs milliseconds, and lookups such as `to_external` are per item)."""
        if self._ids is None:
            ids = self._index.to_numpy()
            ids.flags.writeable = False
            self._ids = ids
        return self._ids

    def __len__(self) -> int:
        return len(self._index)

    def __contains__(self, external_id: object) -> bool:
        try:
            return external_id in self._index
        except UnicodeEncodeError:  # a lone surrogate, which no map holds
            return False

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
        try:
            idx = self._index.get_indexer(values).astype(np.int64)
        except UnicodeEncodeError:  # a lone surrogate, which no map holds: unknown, not a crash
            idx = np.array([self._index.get_loc(v) if v in self else -1 for v in values], dtype=np.int64)
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
            out[k] = as_int_id(v) if isinstance(v, str) else v
        return out

    def extend(self, external: Iterable[object]) -> IdMap:
        """A new map with the unseen ids of `external` appended (existing indices unchanged)."""
        incoming = _checked_index(pd.unique(as_id_array(external)), self.name)  # the map's own are checked
        new = incoming[self._index.get_indexer(incoming) < 0]  # isin would rehash the whole map each time
        if len(new) == 0:
            return self
        if len(self) and _id_type(new) != _id_type(self._index):
            raise DataError(
                f"{self.name}: cannot add {_id_type(new)} id {show_id(new[0])} to a map of {_id_type(self._index)} "
                "ids (a saved model holds one id type); give the ids in the type the model uses"
            )
        grown = IdMap.__new__(IdMap)
        grown._index = (self._index.append(new) if len(self) else new).rename(self.name)
        grown._ids = None
        return grown


def as_int_id(text: str) -> object:
    """``"42"`` (surrounding blanks allowed) as the integer 42; other text, or integers outside
    int64, stay the text they are."""
    stripped = text.strip()
    if _INT_TEXT.fullmatch(stripped):
        value = int(stripped)
        if _INT64.min <= value <= _INT64.max:
            return value
    return text
