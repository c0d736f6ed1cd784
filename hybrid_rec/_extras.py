"""Optional extras: one check, one message that names the extra to install.

``serve`` (FastAPI, uvicorn) and ``ray`` (Ray Data) are optional (``pip install 'hybrid_rec[serve]'``).
A feature that needs one calls `require` first, so a missing package gives a one-line
`MissingExtraError` (which the command line prints without a traceback) instead of a
``ModuleNotFoundError`` from deep inside.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from hybrid_rec.errors import MissingExtraError


def missing_extra(extra: str, feature: str, detail: str = "") -> MissingExtraError:
    """The error for `feature` when the `extra` is not installed (`detail`: what failed, if not obvious)."""
    hint = f" ({detail})" if detail else ""
    return MissingExtraError(f"{feature} needs the {extra!r} extra: pip install 'hybrid_rec[{extra}]'{hint}")


def require(module: str, extra: str, feature: str) -> ModuleType:
    """Import `module`, or raise `MissingExtraError` saying that `feature` needs `extra`."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        missing = getattr(exc, "name", None) or ""
        # The module itself is absent: the plain message. Something it imports is broken: say what.
        detail = "" if missing.split(".")[0] == module.split(".")[0] else str(exc)
        raise missing_extra(extra, feature, detail) from exc
