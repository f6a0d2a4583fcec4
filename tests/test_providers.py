"""Every op through onnxruntime, per execution provider: the CPU provider here, the CUDA provider
wherever onnxruntime offers it (onnxruntime-gpu on a machine with a GPU; skipped with that reason
elsewhere), each against the NumPy reference."""
from __future__ import annotations

import os
import sys

import numpy as np
import onnxruntime as ort
import pytest

import roi_ops

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "cpp_host"))
import make_case  # noqa: E402

PROVIDERS = ["CPUExecutionProvider", "CUDAExecutionProvider"]


def _needs(provider: str) -> None:
    if provider not in ort.get_available_providers():
        pytest.skip(f"this onnxruntime offers no {provider} (it needs onnxruntime-gpu and a GPU)")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_op_on_the_provider_equals_the_reference(provider):
    _needs(provider)
    model, _, expected, feeds = make_case.case(as_inputs=True)
    session = roi_ops.make_session(model, providers=[provider])
    assert session.get_providers()[0] == provider
    for got, want in zip(session.run(None, feeds), expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_bad_attribute_is_an_error_naming_the_op_on_the_provider(provider):
    _needs(provider)
    _, bad_model, _, _ = make_case.case(as_inputs=True)
    with pytest.raises(Exception, match="RoIAlign: attribute 'output_height'"):
        roi_ops.make_session(bad_model, providers=[provider])
