"""Ratios timed in alternation. This machine's speed can drift by more than a row's ratio between the
timings of that row (the op, its baseline and its floor are timed one after another), so the ratios
the performance targets are read from (benchmarks/RESULTS.md) are also timed in turns: two callables
take turns for a few seconds on the same inputs and the figure is the median of the per-turn ratios.

`roi-ops bench` adds a table of them (op / floor at 1 thread for W1-W4, M1, R1, C1; the scaling
from 1 thread to each larger thread count for W1-W3, with that of the floor's copy), and
benchmarks/paired.py prints any one of them."""
from __future__ import annotations

import hashlib
import multiprocessing
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import cases
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
    copy_ratio: float | None = None  # threads: the floor copy's own scaling, timed settled


def alternate(a: Callable[[], object], b: Callable[[], object], seconds: float,
              own_times: bool = False) -> tuple[float, float, float]:
    """Medians (ms) of a and b and the median of the per-turn ratios a / b (two untimed turns
    first, then turns for `seconds`, at least five). With `own_times`, a and b return their own
    durations in seconds (ProcessCall: the pipe's round trip is not the op's)."""
    for _ in range(2):
        a(), b()
    ta, tb = [], []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or len(ta) < 5:
        for fn, times in ((a, ta), (b, tb)):
            t = time.perf_counter()
            took = fn()
            times.append(took if own_times else time.perf_counter() - t)
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


def find_case(workload: str, op: str | None, dtype, quick: bool) -> Case | None:
    """The bench's case of `workload` (of `op`, where the workload has several) in `dtype`."""
    name = np.dtype(dtype).name
    everything = [*cases.roi_align_pool_cases(dtype, quick), *cases.op_set_cases(quick),
                  *cases.op_set_cases(quick, few=True)]
    return next((c for c in everything if c.workload == workload and c.dtype == name and (op or c.op) == c.op), None)


def _serve(conn, workload: str, op: str | None, dtype: str, quick: bool, threads: int, library: str) -> None:
    """ProcessCall's worker: builds the case and its session, sends the first output's digest (or
    what went wrong), then times one call per request until told to stop."""
    case = find_case(workload, op, dtype, quick)
    if case is None:
        conn.send(("missing", f"no {dtype} workload {workload!r}" + (f" with op {op}" if op else "")))
        return
    try:
        run = call(case, threads, library, spinning=False)
        conn.send(("ok", hashlib.sha256(np.ascontiguousarray(run()).tobytes()).hexdigest()))
    except Exception as e:  # noqa: BLE001 - onnxruntime's errors, reported by the parent with the library
        conn.send(("error", str(e).splitlines()[0] if str(e) else type(e).__name__))
        return
    while conn.recv():
        t = time.perf_counter()
        run()
        conn.send(time.perf_counter() - t)


class ProcessCall:
    """The case's model with `library` registered, called in a process of its own (spawned: a
    fresh interpreter). Two builds of the library loaded into one process took turns unevenly:
    a build that staged four block planes ran W3 in 15.9-16.3 ms when loaded first and 19.1-19.7
    ms when loaded second, and alone in alternating processes 19.6-20.2 ms (AMD EPYC Zen 4), so
    which build came first moved the ratio by up to 1.26x. Each build in its own process shares
    no allocator, thread-local buffer or load order with the other. A call returns the op's own
    duration in seconds (alternate(..., own_times=True)); `digest` is the SHA-256 of the first
    output's bytes. A workload the bench does not have raises LookupError; a library or model
    that does not load, RuntimeError naming the library."""

    def __init__(self, workload: str, op: str | None, dtype: str, quick: bool, threads: int, library: str):
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(target=_serve, args=(child, workload, op, dtype, quick, threads, library),
                                    daemon=True)
        self._process.start()
        child.close()
        try:
            status, self.digest = self._conn.recv()
        except EOFError:
            self._process.join()
            status, self.digest = "error", f"its process ended (exit code {self._process.exitcode})"
        if status != "ok":
            self.close()
            if status == "missing":
                raise LookupError(self.digest)
            raise RuntimeError(f"{library}: {self.digest}")

    def __call__(self) -> float:
        self._conn.send(True)
        return self._conn.recv()

    def close(self) -> None:
        if self._process.is_alive():
            try:
                self._conn.send(False)
            except OSError:
                pass
        self._process.join(timeout=30)
        self._conn.close()


def over_floor(case: Case, threads: int, seconds: float, library: str | None = None) -> PairedRow:
    """The op against its floor (floor.py) at `threads` threads."""
    ours = call(case, threads, library)
    floor = op_floor(case.feeds, ours(), threads)
    try:
        return PairedRow(case, f"roi_ops / floor, {threads} thread{'s' if threads > 1 else ''}",
                         *alternate(ours, floor.run, seconds))
    finally:
        floor.close()


# How long a copy runs back to back before the run that is timed (settled).
SETTLE_SECONDS = 0.02


def settled(fn: Callable[[], object]) -> float:
    """The time (s) of one call of fn after SETTLE_SECONDS of calls back to back. On the 2-vCPU
    Zen 4 VM a floor copy's first runs after work at another thread count are slow, the 2-thread
    copy's most: a 38 MB copy took 1.6-2.3 ms in its first runs after 1-thread copies and 0.91 ms
    from its eighth on (the 1-thread copy 2.6 ms, then 1.87), so in plain turns the copy "scaled"
    0.94-1.26x on W1-W3 where settled it scales 1.97-2.18x (amd-epyc-zen4/RESULTS.md, "Session
    36")."""
    end = time.perf_counter() + SETTLE_SECONDS
    while time.perf_counter() < end:
        fn()
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def scaling(case: Case, threads: int, seconds: float, library: str | None = None) -> PairedRow:
    """1 thread against `threads`, for the op and for its floor's copy. The op's calls take
    turns one by one, as elsewhere; the copy's are timed settled: what the machine's memory path
    gives a second thread, not how fast it wakes."""
    one, many = call(case, 1, library), call(case, threads, library)
    row = PairedRow(case, f"1 thread / {threads} threads", *alternate(one, many, seconds))
    out = one()
    floors = [op_floor(case.feeds, out, 1), op_floor(case.feeds, out, threads)]
    try:
        row.copy_ratio = alternate(lambda: settled(floors[0].run), lambda: settled(floors[1].run), seconds,
                                   own_times=True)[2]
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
