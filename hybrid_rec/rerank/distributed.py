"""Data-parallel LM training over `torch.distributed` (DDP).

`Trainer.train` trains with `torch.nn.parallel.DistributedDataParallel` whenever it runs inside an
initialised process group (``torchrun``, or `spawn_training` below); nothing changes otherwise.
``TrainerConfig.batch_size`` stays the *global* batch: every rank draws the same epoch order and
computes the loss of its contiguous share of each batch (`shard_bounds`), so W processes take the
same optimizer steps as one process. The helpers here are what the trainer and its tests use:
the rank and world size, the shares, the rank's device, small collectives (the loss, the stop
decision, rank 0's metric) and a launcher for W local processes.
"""

from __future__ import annotations

import os
import queue as queue_mod
import socket
import time
import traceback
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, TypeVar

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

T = TypeVar("T")


def is_distributed() -> bool:
    """True inside an initialised `torch.distributed` process group."""
    return dist.is_available() and dist.is_initialized()


def rank() -> int:
    """This process's rank (0 outside a process group)."""
    return dist.get_rank() if is_distributed() else 0


def world_size() -> int:
    """Processes in the group (1 outside a process group)."""
    return dist.get_world_size() if is_distributed() else 1


def shard_bounds(n: int, rank: int, world: int) -> tuple[int, int]:
    """``[lo, hi)`` of rank `rank`'s contiguous share of `n` items split over `world` ranks: the first
    ``n % world`` ranks take one more (``numpy.array_split``); a rank may get none when n < world."""
    if not 0 <= rank < world:
        raise ValueError(f"rank {rank} outside a world of {world}")
    size, extra = divmod(n, world)
    lo = rank * size + min(rank, extra)
    return lo, lo + size + (rank < extra)


def shard(batch: Sequence[T], rank_: int | None = None, world: int | None = None) -> list[T]:
    """This rank's contiguous share of a global batch (`shard_bounds`)."""
    r = rank() if rank_ is None else rank_
    w = world_size() if world is None else world
    lo, hi = shard_bounds(len(batch), r, w)
    return list(batch[lo:hi])


def training_device(device: torch.device) -> torch.device:
    """The device this rank trains on: a bare ``cuda`` becomes the rank's own GPU (``LOCAL_RANK``, else
    the rank modulo the GPUs), made current so that later ``cuda`` tensors land there too."""
    if device.type != "cuda" or device.index is not None or not is_distributed():
        return device
    local = int(os.environ.get("LOCAL_RANK", rank() % max(torch.cuda.device_count(), 1)))
    torch.cuda.set_device(local)
    return torch.device("cuda", local)


def wrap(module: torch.nn.Module, device: torch.device) -> torch.nn.parallel.DistributedDataParallel:
    """`module` in DDP: rank 0's parameters and buffers are copied to every rank, and the gradients of a
    backward through its forward are averaged over the ranks (CPU/gloo: no ``device_ids``). Buffers are
    not broadcast again at every forward: the LM's (the item text vectors of hybrid item tokens) do not
    change during training, and at a large catalog they would be the biggest message of a step."""
    ids = [device.index] if device.type == "cuda" and device.index is not None else None
    return torch.nn.parallel.DistributedDataParallel(module, device_ids=ids, broadcast_buffers=False)


def _comm_device() -> torch.device:
    """Where collective tensors live: the current GPU for NCCL, else the CPU."""
    if "nccl" in str(dist.get_backend()) and torch.cuda.is_available():
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def all_sum(value: float) -> float:
    """The sum of `value` over the ranks (the value itself outside a process group)."""
    if not is_distributed():
        return value
    t = torch.tensor([value], dtype=torch.float64, device=_comm_device())
    dist.all_reduce(t)
    return float(t.item())


def from_rank0(values: Sequence[float]) -> list[float]:
    """Rank 0's `values` on every rank (a broadcast; the values themselves outside a process group)."""
    if not is_distributed():
        return list(values)
    t = torch.tensor(list(values), dtype=torch.float64, device=_comm_device())
    dist.broadcast(t, src=0)
    return t.tolist()


def agree(value: float) -> bool:
    """Whether every rank holds the same `value` (collective: every rank gets the same answer)."""
    if not is_distributed():
        return True
    t = torch.tensor([value, -value], dtype=torch.float64, device=_comm_device())
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t[0].item() == -t[1].item())


# ---------------------------------------------------------------------- a local launcher
def free_port() -> int:
    """A TCP port free right now on 127.0.0.1 (bound to port 0, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _worker(
    rank_: int, world: int, port: int, backend: str, threads: int, timeout: float,
    fn: Callable[..., Any], args: tuple, results: Any,
) -> None:  # fmt: skip
    os.environ.update(
        MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank_), LOCAL_RANK=str(rank_), WORLD_SIZE=str(world)
    )
    if threads:
        torch.set_num_threads(threads)
    try:
        dist.init_process_group(backend, rank=rank_, world_size=world, timeout=timedelta(seconds=timeout))
        results.put((rank_, True, fn(*args)))
    except BaseException:
        results.put((rank_, False, traceback.format_exc()))
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def spawn_training(
    fn: Callable[..., T], world_size: int, *args: Any, backend: str = "gloo", threads: int = 1, timeout: float = 300.0
) -> list[T]:
    """Run ``fn(*args)`` in `world_size` fresh processes (start method ``spawn``), each inside an
    initialised process group on 127.0.0.1 (rank r = process r, ``LOCAL_RANK`` = r, `threads` torch
    threads each); the processes' return values, by rank.

    `fn` and `args` must be picklable (`fn` a module-level function), as must the return values. A rank
    that raises fails the whole run with its traceback, the others are stopped; a run longer than
    `timeout` seconds (also the collectives' timeout) is stopped with `TimeoutError`, so a hang fails.
    """
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    port = free_port()
    procs = [
        ctx.Process(
            target=_worker, args=(r, world_size, port, backend, threads, timeout, fn, args, results), daemon=True
        )
        for r in range(world_size)
    ]
    for p in procs:
        p.start()
    got: dict[int, T] = {}
    deadline = time.monotonic() + timeout
    try:
        while len(got) < world_size:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"spawn_training: {world_size - len(got)} rank(s) still running after {timeout} s")
            try:
                r, ok, payload = results.get(timeout=min(left, 0.5))
            except queue_mod.Empty:
                dead = [(i, p.exitcode) for i, p in enumerate(procs) if p.exitcode is not None and i not in got]
                if dead:
                    time.sleep(0.5)  # its report may still be in the pipe
                    if results.empty():
                        raise RuntimeError(f"spawn_training: rank(s) exited without a result: {dead}") from None
                continue
            if not ok:
                raise RuntimeError(f"spawn_training: rank {r} failed:\n{payload}")
            got[r] = payload
    finally:
        for p in procs:
            p.join(timeout=10 if len(got) == world_size else 0.1)
        for p in procs:
            if p.is_alive():
                p.terminate()
                p.join(timeout=5)
            if p.is_alive():  # pragma: no cover - a process that ignores SIGTERM
                p.kill()
                p.join()
        results.close()
    return [got[r] for r in range(world_size)]
