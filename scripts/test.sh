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
cmake --build "$BUILD_DIR" -j "$(nproc)"
ctest --test-dir "$BUILD_DIR" -V "$@"
