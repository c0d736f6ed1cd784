"""The ``hybrid-rec`` command line: one module per group of commands, all registered on one `app`.

- `_common`: the app, the global flags, errors as one-line messages, shared options and helpers;
- `data`: ``data fetch``, ``data info``;
- `models`: ``compare``, ``train``, ``recommend``, ``score``, ``rerank``;
- `feedback`: ``feedback ingest``, ``feedback apply``, ``items add``, ``simulate``;
- `serve`: ``serve``.
"""

from __future__ import annotations

# each module registers its commands on `app`, in the order `--help` lists them
from hybrid_rec.cli import data, models  # noqa: F401  # isort: skip
from hybrid_rec.cli import feedback, serve  # noqa: F401  # isort: skip
from hybrid_rec.cli._common import _state, app

__all__ = ["_state", "app", "main"]


def main() -> None:
    """Console-script entry point."""
    app(prog_name="hybrid-rec")
