"""RoIAlign through onnxruntime with the plugin against the float64 NumPy reference: the shared
cases of roi_op_tester.py over every mode and alignment, and RoIAlign's own edge cases."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import assert_close, few_and_many_rois, one_node_model, random_rois, run_op, session_of
from roi_op_tester import DTYPES, RoiOpTester

from roi_ops import builders, reference

MODES = ["avg", "max", "onnx_max"]


class TestRoIAlign(RoiOpTester):
    op = "RoIAlign"
    grid_attrs = [dict(mode=m, aligned=a, sampling_ratio=sr) for m, a, sr in itertools.product(MODES, [0, 1], [0, 2])]

    @pytest.mark.parametrize("dtype", DTYPES)
    @pytest.mark.parametrize("sampling_ratio", [1, 4])
    def test_fixed_sampling_ratios(self, rng, dtype, sampling_ratio):
        X = rng.standard_normal((2, 19, 23, 29)).astype(dtype)  # 19 channels: one full block and a tail
        boxes, bidx = random_rois(rng, 12, 2, 23 * 4, 29 * 4, min_size=0.3, outside=0.3)
        for mode, aligned in itertools.product(MODES, [0, 1]):
            self.check(X, boxes, bidx, False, output_height=7, output_width=5, spatial_scale=0.25,
                       sampling_ratio=sampling_ratio, mode=mode, aligned=aligned)

    @pytest.mark.parametrize("dtype", DTYPES)
    @pytest.mark.parametrize("mode", MODES)
    def test_rois_inside_partly_and_fully_outside(self, dtype, mode):
        X = np.random.default_rng(1).standard_normal((1, 3, 10, 12)).astype(dtype)
        boxes = np.array([
            [1, 1, 8, 7],          # inside
            [-5, -4, 4, 5],        # partly outside, top-left
            [8, 6, 20, 18],        # partly outside, bottom-right
            [30, 30, 40, 45],      # fully outside
            [-20, -20, -10, -12],  # fully outside, negative
            [-2, -2, 14, 12],      # covers the map with a border
        ])
        bidx = np.zeros(len(boxes), np.int64)
        for aligned, sr in itertools.product([0, 1], [0, 2]):
            self.check(X, boxes, bidx, False, output_height=3, output_width=4, sampling_ratio=sr, mode=mode,
                       aligned=aligned)

    @pytest.mark.parametrize("dtype", DTYPES)
    @pytest.mark.parametrize("mode", MODES)
    def test_tiny_reversed_and_huge_rois(self, dtype, mode):
        X = np.random.default_rng(2).standard_normal((1, 4, 16, 16)).astype(dtype)
        boxes = np.array([
            [5.2, 5.3, 5.6, 5.4],    # smaller than a pixel
            [7, 7, 7, 7],            # a point
            [9, 9, 3, 4],            # reversed
            [-300, -250, 400, 350],  # far larger than the map
            [0, 0, 4000, 16],        # huge in one direction
        ])
        bidx = np.zeros(len(boxes), np.int64)
        for aligned, sr in itertools.product([0, 1], [0, 1, 4]):
            self.check(X, boxes, bidx, True, output_height=5, output_width=3, sampling_ratio=sr, mode=mode,
                       aligned=aligned)

    @pytest.mark.parametrize("dtype", DTYPES)
    def test_few_rois_path_and_staged_path_agree(self, dtype):
        # Avg mode takes one of two CPU paths: up to 16 RoIs sum each bin row's sample rows straight
        # from the map first (ops/cpu/rows_first.h), more go through staged channel blocks
        # (ops/cpu/roi_driver.h). 17 RoIs and their first 16 take one each; both match the reference,
        # and each other to rounding.
        X, boxes, bidx = few_and_many_rois(dtype, 7)
        attrs = dict(output_height=7, output_width=6, spatial_scale=0.25, sampling_ratio=2)
        for aligned in (0, 1):
            self.check(X, boxes, bidx, False, aligned=aligned, **attrs)
            self.check(X, boxes[:16], bidx[:16], False, aligned=aligned, **attrs)
        rois = boxes.astype(dtype)
        many = run_op(self.op, X, rois, bidx, **attrs)
        few = run_op(self.op, X, rois[:16], bidx[:16], **attrs)
        assert_close(few, many[:16].astype(np.float64), dtype)
        # Non-finite map values: the same NaN and infinity pattern either way.
        X[0, 3, 10:13, 20:30] = np.inf  # rows that RoI 0's samples read
        X[0, 5, 20:23, 50:70] = np.nan
        many = run_op(self.op, X, rois, bidx, **attrs)
        few = run_op(self.op, X, rois[:16], bidx[:16], **attrs)
        assert np.isnan(few).any() and np.isinf(few).any()
        np.testing.assert_array_equal(np.isnan(few), np.isnan(many[:16]))
        np.testing.assert_array_equal(np.isinf(few), np.isinf(many[:16]))


@pytest.mark.parametrize("op,modes", [("RoIAlign", MODES), ("PSRoIAlign", [None])])
def test_tables_built_in_parts(op, modes):
    # Many RoIs' bin tables are built in parts of 64 RoIs in parallel and copied into one
    # (ops/cpu/align_bins.h, build_tables): 200 RoIs make four parts, with non-finite boxes (NaN
    # rows, empty tables) on both sides of the first two boundaries and at the very end. 1 and 2
    # threads give the reference's numbers.
    rng = np.random.default_rng(31)
    X = rng.standard_normal((2, 2 * 9 if op == "PSRoIAlign" else 19, 24, 30))
    boxes, bidx = random_rois(rng, 200, 2, 96, 120, min_size=2, outside=0.1)
    for k, col, value in [(63, 0, np.nan), (64, 2, np.inf), (127, 1, -np.inf), (128, 3, np.nan), (199, 0, np.inf)]:
        boxes[k, col] = value
    for mode in modes:
        attrs = dict(output_height=3, output_width=3, spatial_scale=0.25, sampling_ratio=0)
        if mode:
            attrs["mode"] = mode
        want = reference.BY_OP_TYPE[op](X, boxes, bidx, **attrs)
        assert np.isnan(want[[63, 64, 127, 128, 199]]).all()
        for threads in (1, 2):
            got = run_op(op, X, boxes, bidx, threads=threads, **attrs)
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=f"{op} {mode} {threads} threads")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("images,h,w,k,out", [(2, 12, 16, 150, (2, 3)), (1, 72, 64, 200, (7, 7))],
                         ids=["four_planes", "two_planes"])
def test_blocks_per_walk_same_bits(dtype, images, h, w, k, out):
    # Avg mode with at least 2 bins per map cell stages several channel blocks per task and
    # computes them in one walk of each bin's cells (ops/cpu/roi_align_cpu.cc, average_bin_blocks):
    # four where their planes take at most 1 MB, as on 12 x 16 cells, else two, as on 72 x 64
    # (295 KB a plane); fewer bins take one block at a time. 150 RoIs of 2x3 bins on 2 x 12 x 16
    # cells (900 bins) and 200 of 7x7 on 72 x 64 (9800) take those walks and their first 60 do not:
    # the reference's numbers, and the same bits for those 60 at 1 and 2 threads, also with
    # infinities and NaNs in the map. 37 channels leave blocks over at the end of a task (float32
    # and float16, blocks of 16: a pair and 5 channels; float64, blocks of 8: four and 5, or two
    # pairs and 5).
    rng = np.random.default_rng(41)
    X = rng.standard_normal((images, 37, h, w)).astype(dtype)
    boxes, bidx = random_rois(rng, k, images, 4 * h, 4 * w, min_size=1, outside=0.1)
    rois = boxes.astype(dtype)
    attrs = dict(output_height=out[0], output_width=out[1], spatial_scale=0.25, sampling_ratio=0)
    want = reference.roi_align(X.astype(np.float64), rois.astype(np.float64), bidx, **attrs)
    assert_close(run_op("RoIAlign", X, rois, bidx, **attrs), want, dtype, scale=float(np.abs(X).max()))
    X[bidx[0], 20, 3:5, 4:9] = np.inf
    X[bidx[1], 33, 7, 2:6] = np.nan
    walked = run_op("RoIAlign", X, rois, bidx, **attrs)
    assert np.isnan(walked).any() and np.isinf(walked).any()
    for threads in (1, 2):
        np.testing.assert_array_equal(run_op("RoIAlign", X, rois, bidx, threads=threads, **attrs), walked)
        np.testing.assert_array_equal(run_op("RoIAlign", X, rois[:60], bidx[:60], threads=threads, **attrs),
                                      walked[:60])


@pytest.mark.parametrize("mode", MODES)
def test_half_map_staged_in_runs_of_rows(mode):
    # A float16 window as wide as the map is converted several rows at a time
    # (ops/cpu/channel_blocks.cc, kStageRun = 2048 cells): 130 columns make runs of 15 rows, and 40
    # rows end in a shorter one. 17 RoIs, each about the whole image, take the staged path and stage
    # their whole window.
    rng = np.random.default_rng(11)
    X = rng.standard_normal((2, 19, 40, 130)).astype(np.float16)
    boxes = np.array([0, 0, 520, 160]) + rng.uniform(-30, 30, (17, 4))
    bidx = rng.integers(0, 2, 17)
    attrs = dict(output_height=7, output_width=6, spatial_scale=0.25, sampling_ratio=2, mode=mode)
    got = run_op("RoIAlign", X, boxes.astype(np.float16), bidx, **attrs)
    want = reference.roi_align(X.astype(np.float64), boxes.astype(np.float16).astype(np.float64), bidx, **attrs)
    assert_close(got, want, np.float16, scale=float(np.abs(X.astype(np.float64)).max()))


STREAMED_ATTRS = dict(output_height=7, output_width=7, spatial_scale=0.25, sampling_ratio=2)


def streamed_case(dtype, seed: int, images: int, extra: int, outside: float = 0.0):
    """Maps of 37 channels (a partial block at the end) and enough RoIs of STREAMED_ATTRS for an
    output of 8 MB or more, which the op writes with non-temporal stores (ops/cpu/roi_output.cc,
    stream_output; float16 converted straight into them, half.cc): X, rois, batch_indices."""
    rng = np.random.default_rng(seed)
    C = 37
    k = (8 << 20) // (C * 49 * np.dtype(dtype).itemsize) + extra
    X = rng.standard_normal((images, C, 30, 40)).astype(dtype)
    boxes, bidx = random_rois(rng, k, images, 120, 160, min_size=2, outside=outside)
    return X, boxes.astype(dtype), bidx


@pytest.mark.parametrize("dtype", DTYPES)
def test_output_of_8_mb_streamed(dtype):
    # A smaller output is written with ordinary stores. The same RoIs in one call just over 8 MB
    # and in calls of 512 give the same bits, and the first 40 the reference's numbers. 7x7 bins
    # start most RoIs' rows off a 16-byte boundary (the streamed copy's head and tail).
    X, rois, bidx = streamed_case(dtype, 21, images=2, extra=11, outside=0.1)
    whole = run_op("RoIAlign", X, rois, bidx, **STREAMED_ATTRS)
    assert whole.nbytes >= 8 << 20 > 512 * X.shape[1] * 49 * X.itemsize
    parts = [run_op("RoIAlign", X, rois[i:i + 512], bidx[i:i + 512], **STREAMED_ATTRS)
             for i in range(0, len(rois), 512)]
    np.testing.assert_array_equal(whole, np.concatenate(parts))
    want = reference.roi_align(X.astype(np.float64), rois[:40].astype(np.float64), bidx[:40], **STREAMED_ATTRS)
    assert_close(whole[:40], want, dtype, scale=float(np.abs(X.astype(np.float64)).max()))


@pytest.mark.parametrize("dtype", DTYPES)
def test_streamed_output_bound_off_a_line(dtype):
    # io_binding writes the op's output into the caller's buffer, which need not start on a
    # 64-byte line (numpy's lie 16 bytes past one): the streamed rows then start and end inside
    # lines, parts of which take ordinary stores (ops/cpu/roi_output.cc, stream_bytes; half.cc).
    # At every offset the op writes the bits it writes into onnxruntime's own buffer, and not a
    # byte on either side of the output.
    X, rois, bidx = streamed_case(dtype, 22, images=1, extra=5)
    feeds = {"X": X, "rois": rois, "batch_indices": bidx}
    node = builders.make_roi_align_node("X", "rois", "batch_indices", "Y", **STREAMED_ATTRS)
    session = session_of(one_node_model(node, dtype, with_batch_indices=True))
    want = session.run(None, feeds)[0]
    assert want.nbytes >= 8 << 20
    for offset in sorted({0, X.itemsize, 16, 32, 48}):
        raw = np.full(want.nbytes + 256, 0xA5, np.uint8)
        start = (-raw.ctypes.data) % 64 + 64 + offset
        y = raw[start:start + want.nbytes].view(dtype).reshape(want.shape)
        binding = session.io_binding()
        for name, value in feeds.items():
            binding.bind_cpu_input(name, value)
        binding.bind_output("Y", "cpu", 0, dtype, list(want.shape), y.ctypes.data)
        session.run_with_iobinding(binding)
        np.testing.assert_array_equal(y, want, err_msg=f"output {offset} bytes past a line")
        outside = np.concatenate([raw[:start], raw[start + want.nbytes:]])
        assert (outside == 0xA5).all(), f"bytes outside the output written ({offset} bytes past a line)"


def test_half_accumulates_in_float32():
    # 64 samples of 1000 + 0.5: a float16 running sum would lose the halves (ulp at 1000 is 0.5,
    # at 2048+ it is 2); accumulated in float32 the mean stays 1000.5.
    X = np.full((1, 1, 8, 8), 1000.5, np.float16)
    y = run_op("RoIAlign", X, np.array([[0, 0, 0, 7, 7]], np.float16), output_height=1, output_width=1,
               sampling_ratio=8)
    assert y[0, 0, 0, 0] == np.float16(1000.5)
