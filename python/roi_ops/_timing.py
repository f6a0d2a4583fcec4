"""Wall-clock medians, shared by the demo and the benchmark script."""
from __future__ import annotations

import statistics
import time
from typing import Callable


def median_ms(fn: Callable[[], object], warmup: int = 1, repeat: int = 20) -> float:
    """Median wall time of `fn` in milliseconds over `repeat` calls after `warmup` untimed ones."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times)
