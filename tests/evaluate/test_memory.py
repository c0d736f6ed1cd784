"""The cost column's peak-memory sampler: it sees what a block allocates, in this process and in a child."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest

from hybrid_rec.evaluate.memory import PeakRSS


def test_it_sees_an_allocation_freed_before_the_block_ends():
    with PeakRSS() as peak:
        block = np.ones(200 * 2**20 // 8)  # 200 MiB, touched
        block.sum()
        time.sleep(0.3)  # held for many sampling intervals, then freed before the block ends
        del block
    assert 150 <= peak.added_mib <= 400 and peak.peak_mib == pytest.approx(peak.start_mib + peak.added_mib)


def test_it_counts_a_child_process():
    child = "import numpy as np, time; a = np.ones(150 * 2**20 // 8); a.sum(); time.sleep(0.5)"
    with PeakRSS() as peak:
        subprocess.run([sys.executable, "-c", child], check=True)
    assert peak.added_mib >= 120


def test_a_bad_interval_is_refused():
    with pytest.raises(ValueError, match="interval"):
        PeakRSS(interval=0)
