"""onnxruntime's builds installed side by side. onnxruntime, onnxruntime-gpu and the other builds
on PyPI (-directml, -openvino, -qnn, ...) each install the one ``onnxruntime`` package folder, so
where two are installed, the files of the one installed last run. roi-ops depends on
``onnxruntime`` (pip cannot take "any build of it"), so ``pip install roi-ops`` beside
onnxruntime-gpu installs the CPU build over it: CUDAExecutionProvider is gone, without an error.
"""
from __future__ import annotations

from importlib import metadata

PLAIN = "onnxruntime"


def onnxruntime_distributions() -> list[tuple[str, str]]:
    """(name, version) of each installed distribution that provides the ``onnxruntime`` package,
    in name order."""
    # A dist-info folder that lost its METADATA (an interrupted install) names no distribution.
    names = {name for name in metadata.packages_distributions().get("onnxruntime", []) if name}
    found = []
    for name in sorted(names):
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:  # a distribution whose metadata went with a half uninstall
            continue
        if version:
            found.append((name, version))
    return found


def side_by_side_problem() -> str | None:
    """What is wrong where more than one onnxruntime build is installed, and the commands that
    keep one (a build other than the plain CPU one, which pip put in for roi-ops); None where
    there is one."""
    found = onnxruntime_distributions()
    if len(found) < 2:
        return None
    import onnxruntime

    keep = next((name for name, _ in found if name != PLAIN), found[0][0])
    others = " ".join(name for name, _ in found if name != keep)
    versions = [f"{name} {version}" for name, version in found]
    listed = ", ".join(versions[:-1]) + f" and {versions[-1]}"
    return (f"{listed} are installed together; they share one onnxruntime folder, so the files of the one "
            f"installed last run (onnxruntime {onnxruntime.__version__}, providers "
            f"{', '.join(onnxruntime.get_available_providers())}). To keep {keep}: pip uninstall -y {others} && "
            f"pip install --force-reinstall --no-deps {keep}")
