#!/usr/bin/env bash
# Installs what only the tests use, brings the build up to date and runs
# every test (lit, gtest, format) with
# ctest, verbosely so the lit suite's own count is shown. GPU tests (label
# `gpu`) report "Skipped" on a machine without a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${LLMC_BUILD_DIR:-build}
# What only the tests use (setup.sh --tests). When it installs something,
# the test models are exported again: the build made those it could.
installed=$(bash scripts/setup.sh --tests)
echo "$installed"
if grep -q "^setup: installing" <<<"$installed"; then
  rm -f "$BUILD_DIR/test/models/families"
fi
# The Python with the tests' packages first on the PATH (lit's RUN lines),
# and the one the build's test steps use.
source scripts/test-python.sh
if [[ "$TEST_PYTHON" == */* ]]; then
  export PATH="$(dirname "$TEST_PYTHON"):$PATH"
fi
python=$(command -v python3)
if [[ ! -f "$BUILD_DIR/build.ninja" ]]; then
  bash scripts/build.sh -DLLMC_PYTHON="$python"
elif ! grep -qx "LLMC_PYTHON:FILEPATH=$python" "$BUILD_DIR/CMakeCache.txt"; then
  cmake -S . -B "$BUILD_DIR" -DLLMC_PYTHON="$python" >/dev/null
fi
cmake --build "$BUILD_DIR" -j "$(nproc)"
ctest --test-dir "$BUILD_DIR" -V "$@"
