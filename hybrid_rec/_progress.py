"""Progress bars of the libraries underneath (transformers, huggingface_hub) under the caller's control.

Library calls print no progress bars unless asked (``progress=True``); the command line asks.
transformers draws its own bars inside ``from_pretrained`` ("Loading weights") and
``save_pretrained`` ("Writing model shards") whatever the caller wants, so those calls run inside
`hf_progress`, which turns the bars off for the block and then restores the previous setting.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0  # blocks currently silencing the bars (threads may overlap)
_restore: tuple[bool, bool] = (False, False)  # (transformers bars were on, hub bars were off) at the first


@contextmanager
def hf_progress(enabled: bool = False) -> Iterator[None]:
    """transformers' and huggingface_hub's progress bars inside the block only when `enabled`.

    With ``enabled=False`` the bars are off for the block (also for other threads meanwhile) and the
    previous setting comes back after the last overlapping block ends. ``enabled=True`` changes
    nothing: bars show if they are on (``hybrid-rec --quiet`` turns them off).
    """
    global _depth, _restore
    if enabled:
        yield
        return
    from huggingface_hub.utils import are_progress_bars_disabled
    from transformers.utils import logging as hf_logging

    with _lock:
        if _depth == 0:
            _restore = (hf_logging.is_progress_bar_enabled(), are_progress_bars_disabled())
            if _restore[0]:
                hf_logging.disable_progress_bar()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _restore[0]:
                hf_logging.enable_progress_bar()  # also turns the hub's bars on ...
                if _restore[1]:
                    from huggingface_hub.utils import disable_progress_bars

                    disable_progress_bars()  # ... which were off before: off again
