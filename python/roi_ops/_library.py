"""Locating the compiled library and opening onnxruntime sessions with it registered."""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    import onnx
    import onnxruntime

DOMAIN = "roi_ops"
OPSET_VERSION = 1
_LIBRARY_NAMES = ("libroi_ops.so", "libroi_ops.dylib", "roi_ops.dll")
LIBRARY_ENV = "ROI_OPS_LIBRARY"


def get_library_path() -> str:
    """Absolute path of the roi-ops shared library, for ``SessionOptions.register_custom_ops_library``.

    The environment variable ``ROI_OPS_LIBRARY`` overrides the library shipped in the package
    (for example to load a sanitizer build).
    """
    override = os.environ.get(LIBRARY_ENV)
    if override:
        path = Path(override).resolve()
        if not path.is_file():
            raise FileNotFoundError(f"{LIBRARY_ENV}={override} does not name a file")
        return str(path)
    # The package's search path: its own folder, and for an editable install also the folder in
    # site-packages where the compiled library was installed.
    import roi_ops

    folders = [Path(p) for p in roi_ops.__path__]
    for folder in folders:
        for name in _LIBRARY_NAMES:
            if (folder / name).is_file():
                return str((folder / name).resolve())
    raise FileNotFoundError(
        f"the roi-ops library is not in {', '.join(map(str, folders))}; install the package with "
        f"'pip install .' (which compiles it) or set {LIBRARY_ENV}"
    )


def session_options(
    options: "onnxruntime.SessionOptions | None" = None, *, intra_op_num_threads: int | None = None
) -> "onnxruntime.SessionOptions":
    """Session options with the roi-ops library registered (a new object unless one is given)."""
    import onnxruntime as ort

    so = options if options is not None else ort.SessionOptions()
    if intra_op_num_threads is not None:
        so.intra_op_num_threads = intra_op_num_threads
    so.register_custom_ops_library(get_library_path())
    return so


def make_session(
    model: "onnx.ModelProto | bytes | str | os.PathLike[str]",
    *,
    providers: Sequence[str] = ("CPUExecutionProvider",),
    intra_op_num_threads: int | None = None,
    options: "onnxruntime.SessionOptions | None" = None,
) -> "onnxruntime.InferenceSession":
    """An ``onnxruntime.InferenceSession`` for ``model`` with the roi-ops ops available."""
    import onnxruntime as ort

    if hasattr(model, "SerializeToString"):
        model = model.SerializeToString()
    elif isinstance(model, os.PathLike):
        model = os.fspath(model)
    so = session_options(options, intra_op_num_threads=intra_op_num_threads)
    return ort.InferenceSession(model, so, providers=list(providers))
