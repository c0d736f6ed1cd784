"""A worker for `spawn_training` that fails on rank 1 while rank 0 waits in a collective; its own
light module, so that the spawned processes import torch alone (not transformers)."""

from __future__ import annotations

import torch.distributed as dist


def fail_on_rank_1() -> None:
    if dist.get_rank() == 1:
        raise ValueError("planted failure")
    dist.barrier()  # rank 0 would wait here for ever: the launcher must stop it
