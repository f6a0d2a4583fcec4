"""`roi-ops explain`: the textbook numbers, and the figure's RoIPool windows and RoIAlign samples
are what the library computes (checked against its outputs, not the reference's)."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import run_op

from roi_ops import explain


def test_textbook_numbers():
    n = explain.textbook_numbers()
    assert round(n["roi_cells"], 2) == 20.78 and n["roi_cells_quantized"] == 20
    assert round(n["bin_cells"], 2) == 2.86 and n["bin_cells_quantized"] == 2


def _textbook_map(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    X = np.random.default_rng(seed).standard_normal((1, 3, explain.CELLS, explain.CELLS))
    rois = np.array([[0, 0, 0, explain.ROI, explain.ROI]], np.float64)
    return X, rois


def test_figure_pool_windows_are_what_the_library_pools():
    start, end = explain.pool_windows()
    assert end[-1] - start[0] == 22 and set((end - start).tolist()) == {4}  # not the textbook's 14 cells of 2
    X, rois = _textbook_map()
    y = run_op("RoIPool", X, rois, output_height=explain.OUT, output_width=explain.OUT, spatial_scale=1 / explain.STRIDE)
    want = np.array([[[X[0, c, start[i]:end[i], start[j]:end[j]].max() for j in range(explain.OUT)]
                      for i in range(explain.OUT)] for c in range(3)])
    np.testing.assert_array_equal(y[0], want)


def _bilinear(plane: np.ndarray, y: float, x: float) -> float:
    y0, x0 = int(np.floor(y)), int(np.floor(x))
    ly, lx = y - y0, x - x0
    return ((1 - ly) * (1 - lx) * plane[y0, x0] + (1 - ly) * lx * plane[y0, x0 + 1]
            + ly * (1 - lx) * plane[y0 + 1, x0] + ly * lx * plane[y0 + 1, x0 + 1])


def test_figure_align_samples_are_what_the_library_averages():
    pos = explain.align_samples(2)
    bin_cells = explain.ROI / explain.STRIDE / explain.OUT
    np.testing.assert_allclose(pos, [(p + (i + 0.5) / 2) * bin_cells for p in range(7) for i in range(2)], rtol=1e-6)
    X, rois = _textbook_map(1)
    y = run_op("RoIAlign", X, rois, output_height=explain.OUT, output_width=explain.OUT,
               spatial_scale=1 / explain.STRIDE, sampling_ratio=2)
    grid = pos.reshape(explain.OUT, 2)
    want = np.array([[[np.mean([_bilinear(X[0, c], sy, sx) for sy in grid[i] for sx in grid[j]])
                       for j in range(explain.OUT)] for i in range(explain.OUT)] for c in range(3)])
    np.testing.assert_allclose(y[0], want, rtol=1e-12, atol=1e-12)


def test_draw_writes_the_three_panel_png(tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib is not installed (pip install '.[test]' installs it)")
    path = explain.draw(str(tmp_path / "f.png"))
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
