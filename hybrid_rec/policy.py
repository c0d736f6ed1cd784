"""The one vocabulary for ids a model has not seen, used by every public call that takes ids.

- ``"raise"``: `UnknownIdError` naming the ids (the default: silent surprises are worse).
- ``"skip"``: unknown ids are left out of the result.
- ``"fallback"``: unknown ids keep their place and get the call's documented fallback: popular
  items for an unknown user, the end of the list (score NaN) for an unknown candidate item, and
  internal id -1 in `IdMap.to_internal`.
"""

from __future__ import annotations

from typing import Literal, TypeGuard, get_args

from hybrid_rec.errors import ConfigError

OnUnknown = Literal["raise", "skip", "fallback"]
ON_UNKNOWN: tuple[str, ...] = get_args(OnUnknown)

# Spellings of earlier versions, answered with the new name rather than a bare "invalid value".
_RENAMED = {"popularity": "fallback", "last": "fallback", "mask": "fallback"}


def _is_on_unknown(value: object) -> TypeGuard[OnUnknown]:
    return isinstance(value, str) and value in ON_UNKNOWN


def check_on_unknown(value: object, argument: str = "on_unknown") -> OnUnknown:
    """`value` as an `OnUnknown`, or a `ConfigError` naming `argument` and the accepted values."""
    if _is_on_unknown(value):
        return value
    hint = f" ({value!r} is now called {_RENAMED[value]!r})" if isinstance(value, str) and value in _RENAMED else ""
    raise ConfigError(f"{argument} must be 'raise', 'skip' or 'fallback', not {value!r}{hint}")
