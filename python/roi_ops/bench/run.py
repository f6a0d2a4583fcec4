"""Times each case: roi_ops model and baseline, each in its own session with
intra_op_num_threads set (inter_op 1), medians of `repeat` runs after `warmup` runs. Where the
baseline computes the same numbers, the largest output difference is recorded too: a speed-up
of a wrong result is no speed-up. Op-level cases also get their memory floor (floor.py), timed
the same way at the same thread count."""
from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np

from .._library import QUIET_LOGS
from .._timing import median_ms, median_ms_interleaved
from ..attributes import OP_TYPES
from .cases import Case
from .floor import floor_ms


# A full run's timings go on past their `repeat` runs until the timed runs took this long: the
# median of 15 runs of a 0.4 ms workload (W6) spans 6 ms, and one stall of the shared machine
# moved those rows by up to 1.4x between runs. (--quick, a smoke test, does not wait.)
MIN_SECONDS = 0.25


class PeerFailed(RuntimeError):
    """A peer that is installed but cannot run here (its rows are left out, with one line)."""


@dataclass
class Row:
    case: Case
    threads: int
    ours_ms: float
    baseline_ms: float | None  # None: onnxruntime has no kernel (MaxRoiPool in float16)
    max_diff: float | None
    floor_ms: float | None = None  # None: not an op-level workload

    @property
    def speedup(self) -> float | None:
        return self.baseline_ms / self.ours_ms if self.baseline_ms else None

    @property
    def over_floor(self) -> float | None:
        return self.ours_ms / self.floor_ms if self.floor_ms else None


def session(model, threads: int, plugin: bool, library: str | None = None, spinning: bool = True):
    """An onnxruntime session of `model`; with `plugin`, the roi_ops library (`library`, else the
    installed one) registered; `spinning=False`: its pool's threads sleep between calls."""
    import onnxruntime as ort

    from .. import get_library_path

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.log_severity_level = QUIET_LOGS  # the built-in RoiAlign's max-mode warning is not news here
    if not spinning:
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if plugin:
        so.register_custom_ops_library(library or get_library_path(cuda=False))
    return ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])


class _OpenVINO:
    """An ONNX model compiled by OpenVINO's CPU plugin, called like an onnxruntime session:
    float32 precision (not the bfloat16 it picks on CPUs that have it), the thread count given,
    input shapes fixed to the feeds'."""

    def __init__(self, model, threads: int, feeds: dict):
        import openvino as ov

        core = ov.Core()
        m = core.read_model(model.SerializeToString(), b"")
        m.reshape({name: list(v.shape) for name, v in feeds.items()})
        self.compiled = core.compile_model(m, "CPU", {"INFERENCE_NUM_THREADS": threads,
                                                      "INFERENCE_PRECISION_HINT": "f32",
                                                      "PERFORMANCE_HINT": "LATENCY"})
        self.request = self.compiled.create_infer_request()

    def run(self, _, feeds):
        result = self.request.infer(feeds)
        return [result[o] for o in self.compiled.outputs]


def _baseline(case: Case, threads: int, spinning: bool = True):
    if case.runtime == "openvino":
        return _OpenVINO(case.baseline_model, threads, case.baseline_feeds)
    return session(case.baseline_model, threads, case.baseline_needs_plugin, spinning=spinning)


def time_case(case: Case, threads: int, warmup: int, repeat: int, tick=None, min_seconds: float = MIN_SECONDS) -> Row:
    # Two sessions timed in turns (T1) do not spin: each has its own pool, and one's threads
    # spinning after its call would take the other's vCPUs (as in the TensorFlow child, below).
    ours = session(case.model, threads, True, spinning=not case.interleaved)

    def floor() -> float | None:
        return _floor_ms(case, ours, threads, warmup, repeat, tick, min_seconds)
    if case.runtime == "tensorflow":
        from .tensorflow_peer import time_in_child

        t_ours, t_base, diff = time_in_child(case, threads, warmup, repeat, min_seconds)
        if tick:
            for _ in range(2 * (warmup + repeat)):
                tick()
        return Row(case, threads, t_ours, t_base, diff, floor())
    if case.interleaved:
        base = _baseline(case, threads, spinning=False)
        t_ours, t_base = median_ms_interleaved(lambda: ours.run(None, case.feeds),
                                               lambda: base.run(None, case.baseline_feeds), warmup, repeat, tick,
                                               min_seconds)
    else:
        t_ours = median_ms(lambda: ours.run(None, case.feeds), warmup, repeat, tick, min_seconds)
        try:
            base = _baseline(case, threads)
        except Exception:  # noqa: BLE001 - onnxruntime has no float16 MaxRoiPool kernel
            if tick:
                for _ in range(warmup + repeat):
                    tick()
            return Row(case, threads, t_ours, None, None, floor())
        t_base = median_ms(lambda: base.run(None, case.baseline_feeds), warmup, repeat, tick, min_seconds)
    diff = None
    if case.same_numbers:
        a = ours.run(None, case.feeds)
        b = base.run(None, case.baseline_feeds)
        diff = case.difference(a, b) if case.difference else \
            max(float(np.max(np.abs(x.astype(np.float64) - y.astype(np.float64)), initial=0.0)) for x, y in zip(a, b))
    return Row(case, threads, t_ours, t_base, diff, floor())


def _floor_ms(case: Case, ours, threads: int, warmup: int, repeat: int, tick, min_seconds: float) -> float | None:
    if case.op not in OP_TYPES:  # whole-model cases (D1, T1)
        return None
    return floor_ms(case.feeds, ours.run(None, case.feeds)[0], threads, warmup, repeat, tick, min_seconds)


def run_all(cases, threads=(1, 2), warmup: int = 3, repeat: int = 15, progress: bool = True,
            min_seconds: float = MIN_SECONDS) -> list[Row]:
    cases = list(cases)
    total = len(cases) * len(threads) * 3 * (warmup + repeat)  # roi_ops, baseline, floor
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total, unit="run", file=sys.stderr, dynamic_ncols=True, leave=False)
    rows = []
    failed = set()
    for case in cases:
        for t in threads:
            if bar:
                bar.set_description(f"{case.workload} {case.op} {case.dtype} {t}T")
            if case.runtime in failed:
                continue
            try:
                rows.append(time_case(case, t, warmup, repeat, bar.update if bar else None, min_seconds))
            except PeerFailed as e:
                failed.add(case.runtime)
                print(f"roi-ops bench: {e}; its rows are left out", file=sys.stderr)
    if bar:
        bar.close()
    return rows
