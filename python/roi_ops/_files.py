"""Reading and writing the user's files: one place for what the command line, the demo and the
bench say when a path is not a readable file or a file is not an ONNX model, and for models whose
tensors lie in external data files (exporters write those past protobuf's 2 GB)."""
from __future__ import annotations

import contextlib
import os


class FileProblem(ValueError):
    """A path that is not a readable file of the kind asked for; the message names it."""


def one_line(error: BaseException) -> str:
    """An exception's message on one line (onnx's checker and loader write several)."""
    return " ".join(str(error).split())


def existing_file(path: str) -> str:
    if not os.path.exists(path):
        raise FileProblem(f"{path}: no such file")
    if os.path.isdir(path):
        raise FileProblem(f"{path}: a directory, not a file")
    if not os.path.isfile(path):
        raise FileProblem(f"{path}: not a regular file")
    return path


def new_file(path: str, what: str = "") -> str:
    """`path` as a file to write, refused before any work when it is a directory or its folder
    does not exist; `what` says what names the file (e.g. "-o names the JSON file")."""
    if os.path.isdir(path):
        raise FileProblem(f"{path}: a directory, not a file" + (f" ({what})" if what else ""))
    folder = _folder(path)
    if not os.path.isdir(folder):
        raise FileProblem(f"{path}: " + (f"{folder} is a file, not a folder" if os.path.exists(folder) else
                                         f"folder {folder} does not exist"))
    return path


def new_folder(path: str, what: str = "") -> str:
    """`path` as a folder to write into, made with its parents (as `mkdir -p`) when missing, and
    refused when it, or a folder above it, is a file; `what` says what names the folder."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise FileProblem(f"{path}: a file, not a folder" + (f" ({what})" if what else ""))
    try:
        os.makedirs(path, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as e:
        above = os.path.abspath(path)
        while above != os.path.dirname(above) and not os.path.exists(above):
            above = os.path.dirname(above)
        raise FileProblem(f"{path}: {above} is a file, not a folder") from e
    return path


@contextlib.contextmanager
def writing(path: str):
    """Names `path` when the write inside fails: a full disk's or a quota's OSError carries no
    file name, so without it the command line would say only "[Errno 28] No space left on device"."""
    try:
        yield
    except OSError as e:
        raise FileProblem(f"{path}: cannot write it: {e.strerror or e}") from e


def load_model(path: str, *, external_data: bool = True):
    """The ONNX model at `path`, or a FileProblem naming the file. Without `external_data` the
    tensors stored outside the model stay there (only their references are read): conversion
    touches nodes, not weights, so a model past 2 GB converts without loading them."""
    import onnx

    existing_file(path)
    try:
        model = onnx.load(path, load_external_data=False)
    except Exception as e:  # noqa: BLE001 - any parse failure is the user's file
        raise FileProblem(f"{path}: not an ONNX model ({e.__class__.__name__})") from e
    if not model.HasField("graph"):  # an empty file, or another protobuf message, parses as a bare ModelProto
        raise FileProblem(f"{path}: not an ONNX model (no graph in it)")
    if external_data:
        try:
            onnx.load_external_data_for_model(model, _folder(path))
        except Exception as e:  # noqa: BLE001 - a missing, short or misplaced data file
            raise FileProblem(f"{path}: cannot read its external data: {one_line(e)}") from e
    else:
        absent = [f for f in _data_files(model) if not os.path.isfile(os.path.join(_folder(path), f))]
        if absent:
            raise FileProblem(f"{path}: cannot read its external data: {os.path.join(_folder(path), absent[0])} "
                              "is missing")
    return model


def save_model(model, target: str, source: str) -> str:
    """Writes `model`, read from `source` by ``load_model(external_data=False)``, to `target`, and
    returns the data files that hold its external tensors ("" when it has none). Beside the
    source, the model keeps its references to the source's data files; elsewhere its tensors are
    read and written to one new file, ``<target's name>.data``, beside `target`, since onnx and
    onnxruntime read data files only from the model's own folder."""
    import onnx

    def save(**external) -> None:
        with writing(target):
            onnx.save(model, target, **external)

    if not _data_files(model):
        save()
        return ""
    here = _folder(source)
    if os.path.samefile(here, _folder(target)):
        save()
    else:
        try:
            onnx.load_external_data_for_model(model, here)
        except Exception as e:  # noqa: BLE001 - the same problems as load_model's
            raise FileProblem(f"{source}: cannot read its external data: {one_line(e)}") from e
        location = os.path.basename(target) + ".data"
        if os.path.exists(os.path.join(_folder(target), location)):
            os.remove(os.path.join(_folder(target), location))  # onnx would append to an earlier run's
        save(save_as_external_data=True, all_tensors_to_one_file=True, location=location)
    return ", ".join(_data_files(model))


def _data_files(model) -> list[str]:
    from onnx.external_data_helper import ExternalDataInfo, uses_external_data

    return sorted({ExternalDataInfo(t).location for t in _tensors(model) if uses_external_data(t)})


def _folder(path: str) -> str:
    return os.path.dirname(os.path.abspath(path))


def _tensors(model):
    """Every tensor `model` stores: initializers and Constant values, subgraphs' included."""
    import onnx

    from .graph import all_graphs

    for g in all_graphs(model.graph):
        yield from g.initializer
        yield from (s.values for s in g.sparse_initializer)
        for node in g.node:
            for a in node.attribute:
                if a.type == onnx.AttributeProto.TENSOR:
                    yield a.t
                yield from a.tensors
