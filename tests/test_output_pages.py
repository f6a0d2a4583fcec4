"""A large output the CPU kernels stream (8 MB or more, ops/cpu/roi_output.h) is advised onto
transparent huge pages before it is written (advise_huge_pages): on Linux with THP in `madvise`
(or `always`) mode, the output buffer's whole 2 MB pages end up as huge pages, which
/proc/self/smaps shows for the buffer's addresses."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from conftest import one_node_model, random_rois

import roi_ops
from roi_ops import builders

THP = Path("/sys/kernel/mm/transparent_hugepage/enabled")
HUGE = 2 << 20


def _thp_mode() -> str:
    match = re.search(r"\[(\w+)\]", THP.read_text())
    return match.group(1) if match else ""


def _huge_bytes(begin: int, end: int) -> int:
    """Bytes on huge pages in [begin, end), as far as /proc/self/smaps tells: each mapping's
    AnonHugePages, at most its overlap with the range (madvise gives the buffer's huge-page
    interior a mapping of its own, unless it merges with a neighbour advised the same way)."""
    total, overlap = 0, 0
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = re.match(r"([0-9a-f]+)-([0-9a-f]+) ", line)
        if head:
            lo, hi = int(head.group(1), 16), int(head.group(2), 16)
            overlap = max(0, min(hi, end) - max(lo, begin))
        elif overlap and line.startswith("AnonHugePages:"):
            total += min(int(line.split()[1]) * 1024, overlap)
    return total


@pytest.mark.skipif(not sys.platform.startswith("linux") or not THP.exists(),
                    reason="transparent huge pages are a Linux kernel feature; this kernel has none")
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_streamed_output_lies_on_huge_pages(dtype):
    if _thp_mode() not in ("madvise", "always"):
        pytest.skip(f"transparent huge pages are off on this machine ({THP}: {THP.read_text().strip()})")
    rng = np.random.default_rng(5)
    C, k = 16, 12_000  # 19 MB (float16), 38 MB (float32) of output: streamed
    X = rng.standard_normal((1, C, 32, 32)).astype(dtype)
    boxes, bidx = random_rois(rng, k, 1, 128, 128, min_size=2)
    node = builders.make_roi_align_node("X", "rois", "batch_indices", "Y", output_height=7, output_width=7,
                                        spatial_scale=0.25, sampling_ratio=2)
    so = ort.SessionOptions()
    so.register_custom_ops_library(roi_ops.get_library_path(cuda=False))
    session = ort.InferenceSession(one_node_model(node, np.dtype(dtype), with_batch_indices=True).SerializeToString(), so,
                                   providers=["CPUExecutionProvider"])
    # A fresh output buffer from onnxruntime's allocator, written only by the op.
    y = ort.OrtValue.ortvalue_from_shape_and_type([k, C, 7, 7], dtype, "cpu")
    binding = session.io_binding()
    for name, value in (("X", X), ("rois", boxes.astype(dtype)), ("batch_indices", bidx)):
        binding.bind_cpu_input(name, value)
    binding.bind_ortvalue_output("Y", y)
    begin = y.data_ptr()
    end = begin + k * C * 49 * np.dtype(dtype).itemsize
    interior = end // HUGE * HUGE - -(-begin // HUGE) * HUGE  # the whole 2 MB pages inside the buffer
    assert interior >= 4 * HUGE
    session.run_with_iobinding(binding)
    # Half of them at least: the kernel may fall back to small pages where it has no free huge one.
    assert _huge_bytes(begin, end) >= interior // 2, f"{_huge_bytes(begin, end)} of {interior} bytes on huge pages"
    # The numbers are the op's own (the bench and test_roi_align check them against the reference).
    want = session.run(None, {"X": X, "rois": boxes.astype(dtype), "batch_indices": bidx})[0]
    np.testing.assert_array_equal(y.numpy(), want)
