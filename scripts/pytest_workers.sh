# Sourced by test.sh and test_sanitized.sh: pytest's options for running the suite in parallel
# (pytest-xdist). One worker per core, at most 4 (each imports torch, OpenVINO and ray: about
# 2 GB); whole files go to one worker, so a module's fixture (a CMake build, a pinned venv) is
# made once and the venvs under build/ are never made by two workers at once.
workers=(-n auto --maxprocesses 4 --dist loadfile)
