"""Ratios timed in alternation. This machine's speed can drift by more than a row's ratio between the
timings of that row (the op, its baseline and its floor are timed one after another), so the ratios
the performance targets are read from (benchmarks/RESULTS.md) are also timed in turns: two callables
take turns for a few seconds on the same inputs and the figure is the median of the per-turn ratios.

`roi-ops bench` adds a table of them (op / floor at 1 thread for W1-W4, M1, R1, C1; the scaling
from 1 thread to each larger thread count for W1-W3, with that of the floor's copy), and
benchmarks/paired.py prints any one of them."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .cases import Case
from .floor import op_floor
from .run import session

# The float32 workloads (and op) whose ratio to their floor is a target, and those whose scaling
# from 1 thread is.
FLOOR_TARGETS = (("W1 box head", "RoIAlign"), ("W2 mask head", "RoIAlign"), ("W3 batch", "RoIAlign"),
                 ("W4 Fast R-CNN", "RoIAlign"), ("M1 FPN box head", None), ("R1 rotated box head", None),
                 ("C1 crops 14x14", None))
THREAD_TARGETS = FLOOR_TARGETS[:3]


@dataclass
class PairedRow:
    case: Case
    pair: str          # what was alternated, "first / second"
    first_ms: float
    second_ms: float
    ratio: float       # median of the per-turn first / second
    copy_ratio: float | None = None  # threads: the floor copy's own scaling, timed the same way


def alternate(a: Callable[[], object], b: Callable[[], object], seconds: float) -> tuple[float, float, float]:
    """Medians (ms) of a and b and the median of the per-turn ratios a / b (two untimed turns
    first, then turns for `seconds`, at least five)."""
    for _ in range(2):
        a(), b()
    ta, tb = [], []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or len(ta) < 5:
        for fn, times in ((a, ta), (b, tb)):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
    ratio = float(np.median(np.array(ta) / np.array(tb)))
    return float(np.median(ta)) * 1e3, float(np.median(tb)) * 1e3, ratio


def call(case: Case, threads: int, library: str | None = None, baseline: bool = False,
         spinning: bool = True) -> Callable[[], np.ndarray]:
    """A call of the case's model, or of its baseline model, in its own session; the roi_ops
    library (`library`, else the installed one) is registered wherever the model needs it.
    Two sessions of several threads each that take turns need `spinning=False`: a pool thread of
    one, spinning after its call, takes a vCPU from the other's (two 2-thread sessions in turns
    ran M1 at 1-thread speed, 21-23 ms against 11.8 ms alone)."""
    model, feeds = (case.baseline_model, case.baseline_feeds) if baseline else (case.model, case.feeds)
    s = session(model, threads, not baseline or case.baseline_needs_plugin, library, spinning)
    return lambda: s.run(None, feeds)[0]


def over_floor(case: Case, threads: int, seconds: float, library: str | None = None) -> PairedRow:
    """The op against its floor (floor.py) at `threads` threads."""
    ours = call(case, threads, library)
    floor = op_floor(case.feeds, ours(), threads)
    try:
        return PairedRow(case, f"roi_ops / floor, {threads} thread{'s' if threads > 1 else ''}",
                         *alternate(ours, floor.run, seconds))
    finally:
        floor.close()


def scaling(case: Case, threads: int, seconds: float, library: str | None = None) -> PairedRow:
    """1 thread against `threads`, for the op and for its floor's copy."""
    one, many = call(case, 1, library), call(case, threads, library)
    row = PairedRow(case, f"1 thread / {threads} threads", *alternate(one, many, seconds))
    out = one()
    floors = [op_floor(case.feeds, out, 1), op_floor(case.feeds, out, threads)]
    try:
        row.copy_ratio = alternate(floors[0].run, floors[1].run, seconds)[2]
    finally:
        for f in floors:
            f.close()
    return row


def target_rows(cases, threads, seconds: float, tick=None) -> list[PairedRow]:
    """The paired figures of the targets among `cases` (float32): op / floor at 1 thread, and
    the scaling to each thread count above 1."""
    def find(workload, op):
        return next((c for c in cases if c.workload == workload and c.dtype == "float32" and (op or c.op) == c.op),
                    None)

    rows = []
    for workload, op in FLOOR_TARGETS:
        if (case := find(workload, op)) is not None:
            rows.append(over_floor(case, 1, seconds))
            if tick:
                tick()
    for workload, op in THREAD_TARGETS:
        if (case := find(workload, op)) is not None:
            for t in (t for t in threads if t > 1):
                rows.append(scaling(case, t, seconds))
                if tick:
                    tick()
    return rows
