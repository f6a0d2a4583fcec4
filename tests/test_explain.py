"""`roi-ops explain`: the textbook numbers and a PNG drawn from the reference's geometry."""
from __future__ import annotations

import os
import subprocess
import sys

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


def test_cli_writes_a_png(tmp_path):
    out = tmp_path / "explain.png"
    r = subprocess.run([sys.executable, "-m", "roi_ops.cli", "explain", "-o", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    with open(out, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert os.path.getsize(out) > 10_000
