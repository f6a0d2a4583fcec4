# Sourced by test.sh and test_sanitized.sh: pytest's options for running the suite in parallel
# (pytest-xdist). One worker per core, at most 4: each imports torch, OpenVINO and ray, and more
# would crowd a large machine's memory for little. Whole files go to one worker, so a module's
# fixture (a CMake build, a pinned venv) is made once and the venvs under build/ are never made by
# two workers at once. Files go out in collection order, the slowest first (tests/conftest.py,
# SLOW_FILES), not by their test counts.
workers=(-n auto --maxprocesses 4 --dist loadfile --no-loadscope-reorder)
