"""``python -m roi_ops``: the ``roi-ops`` command, for an environment whose scripts folder is not on
PATH (a venv used without activating it, a ``pip install --user``)."""
import sys

from .cli import main

sys.exit(main())
