"""`roi-ops explain`: the textbook numbers and a PNG drawn from the reference's geometry."""
from __future__ import annotations

import numpy as np
import pytest

from roi_ops import explain

pytest.importorskip("matplotlib", reason="matplotlib is not installed (pip install '.[test]' installs it)")


def test_textbook_numbers():
    n = explain.textbook_numbers()
    assert round(n["roi_cells"], 2) == 20.78 and n["roi_cells_quantized"] == 20
    assert round(n["bin_cells"], 2) == 2.86 and n["bin_cells_quantized"] == 2


def test_sample_points_are_the_references():
    pos = explain.align_samples(2)
    bin_cells = 665 / 32 / 7
    expected = np.array([(p + (i + 0.5) / 2) * bin_cells for p in range(7) for i in range(2)])
    np.testing.assert_allclose(pos, expected, rtol=1e-6)
