"""Fault injection for crash tests: a process kills itself (SIGKILL) at a chosen point.

``HYBRID_REC_FAULT=<point>@<n>`` makes the n-th pass (default 1) through ``fault_point("<point>")``
print ``fault point <point>@<n>: SIGKILL`` to stderr and SIGKILL its own process, so a test can
crash a real run exactly where it means to (after the first commit, between the rename of a
snapshot and the switch of ``CURRENT``, ...) instead of hoping a timed kill lands there. Unset
(always, outside tests), a point costs one environment lookup.
"""

from __future__ import annotations

import os
import signal
import sys

ENV = "HYBRID_REC_FAULT"
_passes: dict[str, int] = {}


def fault_point(name: str) -> None:
    spec = os.environ.get(ENV)
    if not spec:
        return
    point, _, nth = spec.partition("@")
    if point != name:
        return
    _passes[name] = _passes.get(name, 0) + 1
    if _passes[name] == int(nth or 1):
        sys.stderr.write(f"fault point {name}@{_passes[name]}: SIGKILL\n")
        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGKILL)
