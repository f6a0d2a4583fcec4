"""roi-ops: RoI pooling and RoI align operators for ONNX Runtime.

The compiled library registers the ``roi_ops`` domain (opset 1) in any onnxruntime session::

    import onnxruntime as ort, roi_ops
    so = ort.SessionOptions()
    so.register_custom_ops_library(roi_ops.get_library_path())

or in one call: ``roi_ops.make_session(model)``. The operator contract is docs/spec.md.
"""
from __future__ import annotations

from ._library import DOMAIN, OPSET_VERSION, get_library_path, make_session, session_options

__version__ = "0.1.0"
__all__ = ["DOMAIN", "OPSET_VERSION", "get_library_path", "make_session", "session_options", "__version__"]
