"""Peak resident memory while a method fits and recommends, for the report's cost columns.

A sampler thread reads the resident set size of this process and of its children (a peer that runs
in its own environment is a child process) every `interval` seconds; the figure is the peak of
their sum (`peak_mib`), beside this process's size when sampling began (`start_mib`). The peak, not
the growth, is the figure to read: memory freed by earlier work in the process is reused by later
work without growing it, so growth reads 0 for a method fitted after others of its size. Sampling
can miss a spike shorter than the interval, and pages a child shares with this process (a fork)
count twice; for work in this process the figure includes the harness's own size.
"""

from __future__ import annotations

import threading
from types import TracebackType

import psutil

__all__ = ["PeakRSS"]

_MIB = 1024.0 * 1024.0


def _rss(process: psutil.Process) -> int:
    """This process's resident bytes plus its live children's (those gone between calls count 0)."""
    total = process.memory_info().rss
    for child in process.children(recursive=True):
        try:
            total += child.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


class PeakRSS:
    """``with PeakRSS() as peak: work()`` then ``peak.peak_mib``: the most resident memory of this
    process + its children while the work ran, in MiB (``start_mib``: this process before it)."""

    def __init__(self, interval: float = 0.02) -> None:
        if interval <= 0:
            raise ValueError(f"interval must be > 0 seconds, got {interval}")
        self.interval = interval
        self._process = psutil.Process()
        self._start = 0
        self._peak = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _sample(self) -> None:
        self._peak = max(self._peak, _rss(self._process))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> PeakRSS:
        self._start = self._process.memory_info().rss
        self._peak = self._start
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="peak-rss", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample()

    @property
    def peak_mib(self) -> float:
        """Peak resident MiB of this process and its children during the block."""
        return self._peak / _MIB

    @property
    def start_mib(self) -> float:
        """This process's resident MiB when the block began."""
        return self._start / _MIB

    @property
    def added_mib(self) -> float:
        """Peak resident MiB above this process's size when the block began (>= 0)."""
        return max(0.0, (self._peak - self._start) / _MIB)
