"""Thread-count control for BLAS/OpenMP pools (threadpoolctl) and torch.

On small shared machines oversubscription is the main cause of slow CF fits and forward passes:
implicit's ALS ran ~3x faster with BLAS at one thread on 2 cores, so components pin BLAS to a
configurable count (default 1) while they run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from threadpoolctl import threadpool_limits


@contextmanager
def blas_threads(n: int | None) -> Iterator[None]:
    """Limit BLAS pools to `n` threads inside the block (None or 0: leave them as they are)."""
    if not n:
        yield
        return
    with threadpool_limits(limits=n, user_api="blas"):
        yield
