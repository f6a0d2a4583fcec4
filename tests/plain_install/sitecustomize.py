"""Test helper (tests/test_plain_install.py): makes the top-level modules named in
ROI_OPS_TEST_BLOCK (comma-separated) unimportable, as if a plain install lacked them."""
import os
import sys

_BLOCKED = {m for m in os.environ.get("ROI_OPS_TEST_BLOCK", "").split(",") if m}


class _Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in _BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r} (hidden by tests/plain_install)")
        return None


if _BLOCKED:
    sys.meta_path.insert(0, _Blocker())
