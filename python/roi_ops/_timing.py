"""Wall-clock medians, shared by the demo and the benchmarks."""
from __future__ import annotations

import statistics
import time
from typing import Callable, Sequence


def _medians(fns: Sequence[Callable[[], object]], warmup: int, repeat: int,
             tick: Callable[[], object] | None, min_seconds: float = 0.0) -> list[float]:
    times: list[list[float]] = [[] for _ in fns]
    start = None
    i = 0
    while i < warmup + repeat or (start is not None and time.perf_counter() - start < min_seconds):
        if i == warmup:
            start = time.perf_counter()
        for fn, out in zip(fns, times):
            t = time.perf_counter()
            fn()
            if i >= warmup:
                out.append((time.perf_counter() - t) * 1e3)
            if tick is not None and i < warmup + repeat:
                tick()
        i += 1
    return [statistics.median(t) for t in times]


def median_ms(fn: Callable[[], object], warmup: int = 1, repeat: int = 20,
              tick: Callable[[], object] | None = None, min_seconds: float = 0.0) -> float:
    """Median wall time of `fn` in milliseconds over `repeat` calls after `warmup` untimed ones,
    and over more calls until the timed ones took `min_seconds`; `tick` (a progress bar's update,
    say) is called after each of the first `warmup + repeat` calls."""
    return _medians([fn], warmup, repeat, tick, min_seconds)[0]


def median_ms_interleaved(fn_a: Callable[[], object], fn_b: Callable[[], object], warmup: int = 1,
                          repeat: int = 20, tick: Callable[[], object] | None = None,
                          min_seconds: float = 0.0) -> tuple[float, float]:
    """Medians (ms) of `fn_a` and `fn_b` timed in alternation, so that a slow drift of the
    machine's speed (other load, clocks) during long runs weighs on both alike."""
    a, b = _medians([fn_a, fn_b], warmup, repeat, tick, min_seconds)
    return a, b
