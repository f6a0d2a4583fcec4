"""Small PyTorch modules that follow other projects' pooler source line by line (each cites its
file), exported the way those projects export them, so the converter's fusion is tested on the
graphs their exporters write. detectron2 and mmdetection/mmdeploy are not installable here;
torchvision is (roi_ops.torch.torchvision_ops)."""


def torchvision_or_skip():
    """torch and torchvision (through roi_ops.torch.torchvision_ops, which stands in for compiled
    ops that do not load), or a module-level skip that names the missing package."""
    import importlib.util
    import warnings

    import pytest

    for package in ("torch", "torchvision", "onnxscript"):
        if importlib.util.find_spec(package) is None:
            pytest.skip(f"needs {package} (pip install 'roi-ops[test]')", allow_module_level=True)
    from roi_ops.torch.torchvision_ops import import_torchvision

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return import_torchvision()
