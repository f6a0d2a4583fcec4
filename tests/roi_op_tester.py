"""What the tests of every single-map RoI op (RoIAlign, RoIPool, PSRoIAlign, PSRoIPool,
RoIAlignRotated) share, the way torchvision's tester classes do: a subclass names the op, its
attribute sweeps and how to make its inputs; the base runs each case through onnxruntime with the
library on every provider this onnxruntime offers, in float16, float32 and float64 and both RoI
layouts, against the float64 NumPy reference within the dtype's tolerance (conftest.TOLERANCE), or
bit for bit where the op only picks input values (exact)."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import PROVIDERS, assert_close, random_rois, run_op

from roi_ops import reference

DTYPES = [np.float32, np.float64, np.float16]


class RoiOpTester:
    op: str
    exact = False  # the output is a max of input values: equal to the reference bit for bit
    box_cols = 4  # columns of a box without its batch index
    grid_attrs: list[dict] = [{}]  # attribute sets every grid case runs with
    # Bins and scales the grid sweeps.
    outputs = [(1, 1), (2, 3), (7, 7)]
    scales = [1.0, 1 / 4, 1 / 16]

    # --- inputs ------------------------------------------------------------------------------
    def channels(self, c: int, oh: int, ow: int) -> int:
        """Input channels for ``c`` output channels (the position-sensitive ops need c·oh·ow)."""
        return c

    def boxes(self, rng, k, n, img_h, img_w, **kw):
        """[K, box_cols] boxes in image pixels and their batch indices."""
        return random_rois(rng, k, n, img_h, img_w, **kw)

    # --- running and comparing ---------------------------------------------------------------
    def reference(self, X, rois, batch_indices=None, **attrs):
        return reference.BY_OP_TYPE[self.op](X, rois, batch_indices, **attrs)

    def rois(self, boxes, bidx, dtype, with_index: bool):
        """(rois, batch_indices) in one of the two layouts: the index as rois' first column, or apart."""
        if with_index:
            return np.concatenate([bidx[:, None].astype(np.float64), boxes], 1).astype(dtype), None
        return boxes.astype(dtype), bidx

    def check(self, X, boxes, bidx, with_index: bool, **attrs) -> None:
        """The plugin on every provider against the reference, both fed exactly the same values."""
        rois, bi = self.rois(boxes, bidx, X.dtype, with_index)
        want = self.reference(X.astype(np.float64), rois.astype(np.float64), bi, **attrs)
        for provider in PROVIDERS:
            got = run_op(self.op, X, rois, bi, provider=provider, **attrs)
            assert got.dtype == X.dtype, provider
            if self.exact:
                np.testing.assert_array_equal(got.astype(np.float64), want, err_msg=provider)
            else:
                assert_close(got, want, X.dtype, scale=float(np.abs(X.astype(np.float64)).max(initial=0)))

    # --- the tests every op gets ---------------------------------------------------------------
    @pytest.mark.parametrize("dtype", DTYPES)
    @pytest.mark.parametrize("with_index", [False, True])
    def test_grid_matches_reference(self, rng, dtype, with_index):
        for out in self.outputs:
            for scale in self.scales:
                X = rng.standard_normal((2, self.channels(3, *out), 11, 13)).astype(dtype)
                boxes, bidx = self.boxes(rng, 8, 2, 11 / scale, 13 / scale, min_size=0.5 / scale, outside=0.3)
                for attrs in self.grid_attrs:
                    self.check(X, boxes, bidx, with_index, output_height=out[0], output_width=out[1],
                               spatial_scale=scale, **attrs)

    @pytest.mark.parametrize("dtype", DTYPES)
    @pytest.mark.parametrize("with_index", [False, True])
    def test_no_rois_gives_empty_output(self, dtype, with_index):
        X = np.ones((2, self.channels(3, 2, 3), 5, 5), dtype)
        rois, bi = self.rois(np.zeros((0, self.box_cols)), np.zeros(0, np.int64), dtype, with_index)
        for provider in PROVIDERS:
            y = run_op(self.op, X, rois, bi, provider=provider, output_height=2, output_width=3)
            assert y.shape == (0, 3, 2, 3) and y.dtype == dtype

    @pytest.mark.parametrize("hw", [(0, 5), (5, 0), (0, 0)])
    def test_empty_map_gives_zeros(self, rng, hw):
        X = np.zeros((1, self.channels(2, 2, 2), *hw), np.float32)
        boxes, bidx = self.boxes(rng, 3, 1, 8, 8, min_size=1)
        self.check(X, boxes, bidx, True, output_height=2, output_width=2)

    @pytest.mark.parametrize("dtype", DTYPES)
    @pytest.mark.parametrize("hw", [(1, 9), (9, 1), (1, 1)])
    def test_map_with_one_row_or_column(self, rng, dtype, hw):
        X = rng.standard_normal((2, self.channels(5, 2, 3), *hw)).astype(dtype)
        boxes, bidx = self.boxes(rng, 6, 2, hw[0], hw[1], min_size=0.2, outside=0.5)
        for attrs in self.grid_attrs:
            self.check(X, boxes, bidx, False, output_height=2, output_width=3, **attrs)

    @pytest.mark.parametrize("dtype", DTYPES)
    def test_mixed_batch_indices(self, rng, dtype):
        X = rng.standard_normal((4, self.channels(6, 3, 3), 12, 14)).astype(dtype)
        boxes, _ = self.boxes(rng, 20, 4, 12, 14, min_size=1)
        bidx = np.array([3, 0, 2, 2, 1, 0, 3, 3, 1, 0, 2, 1, 0, 0, 3, 2, 1, 1, 3, 0], np.int64)
        for with_index in (False, True):
            self.check(X, boxes, bidx, with_index, output_height=3, output_width=3)

    @pytest.mark.parametrize("dtype", DTYPES)
    @pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
    def test_non_finite_roi_gives_nan_block(self, rng, dtype, bad):
        X = rng.standard_normal((2, self.channels(3, 2, 2), 8, 8)).astype(dtype)
        boxes, bidx = self.boxes(rng, 2, 2, 8, 8, min_size=2, max_size=6)
        for col in range(self.box_cols):
            broken = boxes.copy()
            broken[1, col] = bad
            rois, _ = self.rois(broken, bidx, dtype, True)
            for provider in PROVIDERS:
                y = run_op(self.op, X, rois, provider=provider, output_height=2, output_width=2)
                assert np.isnan(y[1]).all(), (provider, col)
                assert_close(y[:1], self.reference(X.astype(np.float64), rois[:1].astype(np.float64),
                                                   output_height=2, output_width=2), dtype,
                             scale=float(np.abs(X.astype(np.float64)).max()))

    @pytest.mark.parametrize("dtype", DTYPES)
    @pytest.mark.parametrize("count", [1, 3, 40])
    def test_few_small_rois_on_a_large_map(self, dtype, count):
        """Few small RoIs may stage only the cells they read, many the whole map. Every map is
        new, so a staged buffer left by an earlier call or RoI would show; boxes sit at corners,
        edges and partly outside."""
        rng = np.random.default_rng(count)
        for _ in range(2):
            X = rng.standard_normal((2, self.channels(4, 3, 4), 60, 90)).astype(dtype)
            boxes, bidx = self.boxes(rng, count, 2, 60, 90, min_size=1, max_size=12, outside=0.05)
            for attrs in self.grid_attrs:
                for with_index in (False, True):
                    self.check(X, boxes, bidx, with_index, output_height=3, output_width=4, **attrs)

    @pytest.mark.parametrize("dtype", DTYPES)
    @pytest.mark.parametrize("count", [1, 3])
    def test_few_large_rois_stage_only_what_they_read(self, dtype, count):
        """A few large RoIs with a few samples per bin read a fraction of the rows (or, rotated, of
        the cells) of their windows, and the CPU kernels then stage only those: a row or cell
        left out would show here. Large maps, fresh each time, RoIs partly outside."""
        rng = np.random.default_rng(10 + count)
        for attrs in self.grid_attrs * 2:
            # A fresh map per call: cells staged by an earlier call hold other values.
            X = rng.standard_normal((1, self.channels(4, 3, 4), 70, 90)).astype(dtype)
            boxes, bidx = self.boxes(rng, count, 1, 70, 90, min_size=30, max_size=80, outside=0.05)
            self.check(X, boxes, bidx, True, output_height=3, output_width=4, **attrs)
