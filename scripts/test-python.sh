# Sourced by setup.sh and test.sh: sets TEST_PYTHON, the Python the tests'
# PyPI packages go into. That is python3 itself, unless it refuses pip
# installs (Debian 12's own Python, PEP 668's EXTERNALLY-MANAGED): then a
# virtual environment in $LLMC_VENV (default ~/.cache/llmc/venv), made by
# setup.sh --tests. It does not see Debian's Python packages: their torch
# 1.13 (for /usr/bin/python3's TorchScript exports) cannot load beside the
# NumPy 2 that PyPI's packages bring.
LLMC_VENV=${LLMC_VENV:-$HOME/.cache/llmc/venv}
TEST_PYTHON=${PYTHON:-python3}
if "$TEST_PYTHON" - <<'PY' 2>/dev/null; then
import os, sys, sysconfig
sys.exit(not os.path.exists(
    os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")))
PY
  TEST_PYTHON=$LLMC_VENV/bin/python3
fi
