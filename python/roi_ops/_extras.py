"""Which optional packages (the extras of pyproject.toml) are missing here."""
from __future__ import annotations

import importlib.util


def missing(*modules: str) -> list[str]:
    """The top-level modules among ``modules`` that cannot be imported."""
    def absent(m: str) -> bool:
        try:
            return importlib.util.find_spec(m) is None
        except ImportError:  # a package that is present but broken counts as missing
            return True

    return [m for m in modules if absent(m)]
