"""Locating the compiled library and opening onnxruntime sessions with it registered."""
from __future__ import annotations

import numbers
import os
import warnings
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    import onnx
    import onnxruntime

DOMAIN = "roi_ops"
OPSET_VERSION = 1
_LIBRARY_NAMES = {False: ("libroi_ops.so", "libroi_ops.dylib", "roi_ops.dll"),
                  True: ("libroi_ops_cuda.so", "roi_ops_cuda.dll")}
LIBRARY_ENV = "ROI_OPS_LIBRARY"
DEVICE_ENV = "ROI_OPS_DEVICE"  # "cpu" or "cuda": which build get_library_path() returns
# The log level of the sessions the command line opens: fatal only. An error comes back as the
# exception, which the commands print on one line (run_error); onnxruntime's own log line of it
# (in colour, before that line) would say it twice.
QUIET_LOGS = 4


# The library registered by this module on each SessionOptions: onnxruntime cannot say which
# libraries an options object holds, and a second registration of the roi_ops domain fails
# session creation ("Domain already set in registry"), so options reused for a second session,
# or made by session_options() and handed to make_session(), need this record.
_REGISTERED: "weakref.WeakKeyDictionary[onnxruntime.SessionOptions, str]" = weakref.WeakKeyDictionary()


def run_error(error: BaseException) -> str:
    """An error of a session's run on one line, as a user reads it: the node onnxruntime names
    ("Reshape node '/roi_heads/Reshape'") and its message, without the status code, and without
    the C++ source line, function signature and condition that a failed ORT_ENFORCE puts first."""
    import re

    text = " ".join(str(error).split()) or error.__class__.__name__
    text = re.sub(r"^\[ONNXRuntimeError\] : \d+ : \w+ : ", "", text)
    node = re.match(r"Non-zero status code returned while running (\S+) node\. Name:'(.*?)' Status Message: ", text)
    if node:
        text = text[node.end():]
    text = re.sub(r"^/\S+:\d+ .*? was false\. (?=\S)", "", text)
    if not node:
        return text
    label = f"{node[1]} node " + (f"'{node[2]}'" if node[2] else "(unnamed)")
    return f"{label}: {text.removeprefix(node[1] + ': ')}"  # the library's messages start with the op type


class SettingError(ValueError):
    """An environment variable of roi-ops set to a value it does not take (the message names it)."""


def _cuda_provider_available() -> bool:
    try:
        import onnxruntime as ort
    except ImportError:
        return False
    return "CUDAExecutionProvider" in ort.get_available_providers()


def get_library_path(cuda: bool | None = None) -> str:
    """Absolute path of the roi-ops shared library, for ``SessionOptions.register_custom_ops_library``.

    Two builds may sit in the package: the CPU-only library (loads anywhere) and, when a CUDA
    compiler was found at build time, the CUDA-enabled one (CPU and CUDA kernels; it also loads
    and runs on machines without CUDA). ``cuda=True`` / ``False`` picks one; ``None`` takes the
    environment variable ``ROI_OPS_DEVICE`` (``cpu`` or ``cuda``), else the CUDA-enabled build
    when it exists and onnxruntime offers ``CUDAExecutionProvider``. ``ROI_OPS_LIBRARY``
    overrides everything (for example to load a sanitizer build).
    """
    if cuda not in (None, True, False):
        raise TypeError(f"get_library_path: cuda must be True, False or None; got {cuda!r}")
    override = os.environ.get(LIBRARY_ENV)
    if override:
        path = Path(override).resolve()
        if not path.is_file():
            raise FileNotFoundError(f"{LIBRARY_ENV}={override} does not name a file")
        return str(path)
    if cuda is None:
        device = os.environ.get(DEVICE_ENV, "").strip().lower()
        if device not in ("", "cpu", "cuda"):
            raise SettingError(f"{DEVICE_ENV}={device!r}: expected 'cpu' or 'cuda'")
        cuda = device == "cuda" if device else None
    # The package's search path: its own folder, and for an editable install also the folder in
    # site-packages where the compiled library was installed.
    import roi_ops

    folders = [Path(p) for p in roi_ops.__path__]

    def find(with_cuda: bool) -> Path | None:
        for folder in folders:
            for name in _LIBRARY_NAMES[with_cuda]:
                if (folder / name).is_file():
                    return (folder / name).resolve()
        return None

    if cuda is None:
        found = (find(True) if _cuda_provider_available() else None) or find(False)
    else:
        found = find(cuda)
    if found is None:
        what = "CUDA-enabled library (built only where a CUDA compiler was found)" if cuda else "library"
        raise FileNotFoundError(
            f"the roi-ops {what} is not in {', '.join(map(str, folders))}; install the package with "
            f"'pip install .' (which compiles it) or set {LIBRARY_ENV}"
        )
    return str(found)


class LibraryProblem(OSError):
    """onnxruntime cannot load the roi-ops library (an OSError, as ctypes raises for a file that
    does not load); the message names the file and onnxruntime's reason."""


def loadable_library_path(cuda: bool | None = None) -> str:
    """get_library_path(), once onnxruntime has loaded that file and had it register its ops (a
    file that is no library, one for another platform, or one without RegisterCustomOps raises
    LibraryProblem), so that a command can say so before it builds anything on it."""
    import onnxruntime as ort

    path = get_library_path(cuda)
    _register(ort.SessionOptions(), path)
    return path


def package_folder(name: str) -> str | None:
    """A folder installed inside the package (e.g. ``models``), also for an editable install,
    whose installed files sit in site-packages rather than the source tree."""
    import roi_ops

    for folder in roi_ops.__path__:
        if (Path(folder) / name).is_dir():
            return str(Path(folder) / name)
    return None


def session_options(
    options: "onnxruntime.SessionOptions | None" = None, *, intra_op_num_threads: int | None = None
) -> "onnxruntime.SessionOptions":
    """Session options with the roi-ops library registered (a new object unless one is given).
    A library onnxruntime cannot load raises LibraryProblem, naming the file and why."""
    import onnxruntime as ort

    so = _with_threads(options if options is not None else ort.SessionOptions(), intra_op_num_threads,
                       "session_options")
    _register(so, get_library_path())
    return so


def _with_threads(so: "onnxruntime.SessionOptions", threads, caller: str) -> "onnxruntime.SessionOptions":
    """``so`` with ``threads`` as its intra_op_num_threads where given (0: onnxruntime's choice)."""
    if threads is not None:
        if isinstance(threads, bool) or not isinstance(threads, numbers.Integral) or threads < 0:
            raise ValueError(f"{caller}: intra_op_num_threads must be a whole number >= 0 (0: onnxruntime's "
                             f"choice); got {threads!r}")
        so.intra_op_num_threads = int(threads)
    return so


def _register(so: "onnxruntime.SessionOptions", path: str) -> None:
    held = _REGISTERED.get(so)
    if held is None:
        try:
            so.register_custom_ops_library(path)
        except Exception as e:  # noqa: BLE001 - onnxruntime's word on the file
            raise LibraryProblem(f"onnxruntime cannot load the library {path}: {run_error(e)}") from e
        _REGISTERED[so] = path
    elif held != path:
        raise ValueError(f"these session options hold the roi-ops library {held}, and this session needs {path}; "
                         "pass options that have no roi-ops library registered")


DEFAULT_PROVIDERS = ("CPUExecutionProvider",)


def _providers(providers) -> list:
    """make_session's providers as onnxruntime takes them: each a name or (name, options). One
    name alone is that provider (onnxruntime would take its letters for names and fall back to
    the CPU with a warning per letter); None is the default."""
    if providers is None:
        return list(DEFAULT_PROVIDERS)
    if isinstance(providers, str):
        return [providers]
    try:
        listed = list(providers)
    except TypeError:
        raise TypeError(f"make_session: providers must be provider names or (name, options) pairs, not "
                        f"{type(providers).__name__}") from None
    for i, p in enumerate(listed):
        pair = isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) and isinstance(p[1], dict)
        if not (isinstance(p, str) or pair):
            raise TypeError(f"make_session: providers[{i}] is {p!r}; give a provider name such as "
                            f"'CPUExecutionProvider', or (name, options dict)")
    return listed


def make_session(
    model: "onnx.ModelProto | bytes | str | os.PathLike[str]",
    *,
    providers: "str | Sequence[str | tuple[str, dict]] | None" = DEFAULT_PROVIDERS,
    intra_op_num_threads: int | None = None,
    options: "onnxruntime.SessionOptions | None" = None,
) -> "onnxruntime.InferenceSession":
    """An ``onnxruntime.InferenceSession`` for ``model`` with the roi-ops ops available.

    A roi_ops node with a misspelt op or attribute name is refused first, naming the closest
    name (``graph.check_roi_ops_nodes``): onnxruntime would run a misspelt optional attribute
    with its default, silently, as its C API cannot show a node's attribute names to the library.
    ``options`` may come from ``session_options()`` or an earlier ``make_session``; options given
    the library by ``register_custom_ops_library`` directly are refused by name. A library
    onnxruntime cannot load raises LibraryProblem (an OSError), naming the file and why.
    ``providers`` are onnxruntime's (names or (name, options) pairs), or one name alone; None is
    the default. Where one is missing from this onnxruntime and two onnxruntime builds are
    installed together (pip put ``onnxruntime`` over onnxruntime-gpu), a warning says so, with
    the fix."""
    import onnx
    import onnxruntime as ort

    from .graph import check_roi_ops_nodes

    if isinstance(model, os.PathLike):
        model = os.fspath(model)
    if not isinstance(model, (onnx.ModelProto, bytes, str)):  # onnx.load would read an int as a file descriptor
        raise TypeError(f"make_session takes an onnx.ModelProto, bytes or a path, not {type(model).__name__}")
    proto = model if hasattr(model, "SerializeToString") else (
        onnx.load_model_from_string(model) if isinstance(model, bytes) else onnx.load(model, load_external_data=False))
    if not proto.HasField("graph"):  # empty bytes or file, or another protobuf message, parse so
        raise ValueError("make_session: the model has no graph (empty, or not an ONNX model)")
    check_roi_ops_nodes(proto)
    if hasattr(model, "SerializeToString"):
        model = model.SerializeToString()
    so = _with_threads(options if options is not None else ort.SessionOptions(), intra_op_num_threads,
                       "make_session")
    providers = _providers(providers)
    names = [p if isinstance(p, str) else p[0] for p in providers]
    # A session that asks for CUDA needs the CUDA-enabled build; otherwise the default choice.
    _register(so, get_library_path(True if "CUDAExecutionProvider" in names else None))
    available = ort.get_available_providers()
    missing = [p for p in names if p not in available]
    if missing:
        from ._runtime_packages import side_by_side_problem

        # onnxruntime warns that it falls back to the providers it has; where that is because
        # pip put another onnxruntime build over the one with those providers, say so.
        problem = side_by_side_problem()
        if problem:
            warnings.warn(f"make_session: this onnxruntime does not offer {', '.join(missing)}: {problem}",
                          stacklevel=2)
    try:
        return ort.InferenceSession(model, so, providers=providers)
    except Exception as e:
        if "Domain already set in registry" not in str(e):
            raise
        raise ValueError("make_session: the options given already hold a library of the roi_ops domain, registered "
                         "with register_custom_ops_library; make_session registers it: pass options without it, or "
                         "ones from roi_ops.session_options()") from e
