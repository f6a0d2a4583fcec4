"""Process-level guarantees: one session shared by many threads, sessions with different
intra-op thread counts running at once, session churn with flat memory, and outputs too large
to represent refused before any allocation."""
from __future__ import annotations

import gc
import os
import sys
import threading

import numpy as np
import onnxruntime as ort
import pytest
from onnx import helper
from error_sessions import expect_error

import roi_ops
from roi_ops import builders

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "cpp_host"))
import make_case  # noqa: E402


def session(model, threads):
    return roi_ops.make_session(model, intra_op_num_threads=threads)


def run_all(sess, feeds):
    return [o.tobytes() for o in sess.run(None, feeds)]


def hammer(workers):
    errors = []

    def guard(fn):
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=guard, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]


def test_one_session_shared_by_8_threads_500_runs_each():
    model, _, expected, feeds = make_case.case(as_inputs=True)
    sess = session(model, 2)
    want = run_all(sess, feeds)
    for got, exp in zip(sess.run(None, feeds), expected):  # the single-threaded result is also right
        np.testing.assert_allclose(got, exp, rtol=1e-5, atol=1e-5)
    mismatches = []

    def worker():
        for _ in range(500):
            if run_all(sess, feeds) != want:
                mismatches.append(1)

    hammer([worker] * 8)
    assert not mismatches, f"{len(mismatches)} of 4000 runs differed from the single-threaded result"


def test_sessions_with_different_thread_counts_at_once():
    model, _, _, feeds = make_case.case(as_inputs=True)
    want = run_all(session(model, 1), feeds)
    sessions = [session(model, t) for t in (1, 2, 3, 4)]
    mismatches = []

    def worker(sess):
        def run():
            for _ in range(150):
                if run_all(sess, feeds) != want:
                    mismatches.append(1)
        return run

    hammer([worker(s) for s in sessions])
    assert not mismatches


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux /proc to read resident memory")
def test_1000_sessions_keep_resident_memory_flat():
    model, _, _, feeds = make_case.case(as_inputs=True)
    data = model.SerializeToString()

    def churn(n):
        for _ in range(n):
            so = ort.SessionOptions()
            so.register_custom_ops_library(roi_ops.get_library_path())
            ort.InferenceSession(data, so, providers=["CPUExecutionProvider"]).run(None, feeds)
        gc.collect()

    churn(100)  # warm-up: allocator pools, thread-local buffers
    before = rss_mib()
    churn(1000)
    grown = rss_mib() - before
    print(f"resident memory grew {grown:.2f} MiB over 1000 sessions")
    assert grown < 8, f"resident memory grew {grown:.1f} MiB over 1000 sessions"


# Outputs whose byte size overflows 64 bits (or, for the PS ops, which divide C by the bins,
# exceeds the limit): X has no elements (H = 0), so only the output's shape is absurd. Each op
# must refuse it before allocating anything.
HUGE_C = 1 << 40
SIDE = 65536


def huge_model(node, inputs):
    ins = [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(v.dtype), None) for n, v in inputs.items()]
    return builders.make_model([node], ins, [helper.make_tensor_value_info("Y", 1, None)])


@pytest.mark.parametrize("op", ["RoIAlign", "RoIPool", "PSRoIAlign", "PSRoIPool", "RoIAlignRotated"])
def test_output_size_overflowing_64_bits_is_refused(op):
    make = {"RoIAlign": builders.make_roi_align_node, "RoIPool": builders.make_roi_pool_node,
            "PSRoIAlign": builders.make_ps_roi_align_node, "PSRoIPool": builders.make_ps_roi_pool_node,
            "RoIAlignRotated": builders.make_roi_align_rotated_node}[op]
    cols = 6 if op == "RoIAlignRotated" else 5
    feeds = {"X": np.zeros((1, HUGE_C, 0, 1), np.float32), "rois": np.zeros((4, cols), np.float32)}
    node = make("X", "rois", None, "Y", output_height=SIDE, output_width=SIDE)
    sess = roi_ops.make_session(huge_model(node, feeds))
    overflow = "" if op.startswith("PS") else "more than 2^64 "
    expect_error(lambda: sess.run(None, feeds), op, f"would need {overflow}", "over the limit")


def test_multi_scale_and_crop_outputs_overflowing_64_bits_are_refused():
    maps = {"X_0": np.zeros((1, HUGE_C, 0, 1), np.float32)}
    feeds = {"rois": np.zeros((4, 5), np.float32), **maps}
    node = builders.make_multi_scale_roi_align_node("rois", None, ["X_0"], "Y", spatial_scales=[0.25],
                                                    output_height=SIDE, output_width=SIDE)
    sess = roi_ops.make_session(huge_model(node, feeds))
    expect_error(lambda: sess.run(None, feeds), "MultiScaleRoIAlign", "would need more than 2^64 bytes")
    feeds = {"X": np.zeros((1, HUGE_C, 0, 1), np.float32), "boxes": np.zeros((4, 4), np.float32),
             "box_indices": np.zeros(4, np.int64)}
    node = builders.make_crop_and_resize_node("X", "boxes", "box_indices", "Y", crop_height=SIDE, crop_width=SIDE)
    sess = roi_ops.make_session(huge_model(node, feeds))
    expect_error(lambda: sess.run(None, feeds), "CropAndResize", "would need more than 2^64 bytes")
