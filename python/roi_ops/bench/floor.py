"""The memory floor of an op-level workload: the time to stream the bytes the op must move at
least once (read every feature map it is given, write its output), at the same thread count.

Measured as a plain copy of (maps + output) / 2 bytes (each byte read once and written once),
split over `threads` threads: np.copyto releases the GIL and streams at memcpy speed, so this is
the machine's bandwidth, not another kernel's. It counts every map byte, so a workload whose
RoIs read a small part of a large map (W6) can beat it."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .._timing import median_ms

_MIN_SHARE = 1 << 20  # smaller copies stay on one thread: handing them out costs more than it saves


class MemoryFloor:
    def __init__(self, read_bytes: int, write_bytes: int, threads: int):
        total = max((read_bytes + write_bytes) // 2, 64)
        parts = max(1, min(threads, total // _MIN_SHARE))
        size = -(-total // parts)
        self.src = [np.ones(size, np.uint8) for _ in range(parts)]
        self.dst = [np.zeros(size, np.uint8) for _ in range(parts)]  # pages touched before timing
        self.pool = ThreadPoolExecutor(parts) if parts > 1 else None

    def run(self) -> None:
        if self.pool is None:
            np.copyto(self.dst[0], self.src[0])
        else:
            list(self.pool.map(np.copyto, self.dst, self.src))

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()


def op_floor(feeds: dict, output: np.ndarray, threads: int) -> MemoryFloor:
    """The floor of an op given `feeds` (its 4-D inputs are the maps) and `output`."""
    maps = sum(v.nbytes for v in feeds.values() if v.ndim == 4)
    return MemoryFloor(maps, output.nbytes, threads)


def floor_ms(feeds: dict, output: np.ndarray, threads: int, warmup: int, repeat: int, tick=None,
             min_seconds: float = 0.0) -> float:
    """Median ms of the floor for an op given `feeds` and `output` (op_floor)."""
    floor = op_floor(feeds, output, threads)
    try:
        return median_ms(floor.run, warmup, repeat, tick, min_seconds)
    finally:
        floor.close()
