#!/usr/bin/env bash
# Brings the build up to date and runs every test (lit, gtest, format) with
# ctest, verbosely so the lit suite's own count is shown. GPU tests (label
# `gpu`) report "Skipped" on a machine without a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${LLMC_BUILD_DIR:-build}
cmake --build "$BUILD_DIR" -j "$(nproc)"
ctest --test-dir "$BUILD_DIR" -V "$@"
