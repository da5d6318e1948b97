#!/usr/bin/env bash
# The sanitizer jobs (docs/reliability.md), each in a build tree of its own
# beside build/, whose exported test models they read:
#   scripts/sanitize.sh address   build-asan: AddressSanitizer (with leak
#     checks) and UndefinedBehaviorSanitizer on every target; runs the whole
#     CPU test suite (ctest: lit, the gtests, the MPI ranks).
#   scripts/sanitize.sh thread    build-tsan: ThreadSanitizer on the runtime
#     half, where llmc's threads are (the thread pool, the server's
#     scheduler and HTTP threads, the ranks' watchdog); runs the gtests, the
#     MPI ranks and the lit tests that run llmc-run, with llmc and llmc-opt
#     taken from build/ (the compiler's threads are MLIR's, whose libraries
#     are not built with TSan, so it would see half their synchronization).
# A sanitizer's first report fails the test. Needs build/ (scripts/test.sh
# builds it and exports the test models). Extra arguments go to the thread
# job's lit run (the address job runs lit through ctest).
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:?usage: sanitize.sh address|thread [LIT-ARGS...]}
shift
MAIN=${LLMC_BUILD_DIR:-build}
source scripts/test-python.sh
if [[ "$TEST_PYTHON" == */* ]]; then
  export PATH="$(dirname "$TEST_PYTHON"):$PATH"
fi
lit=$(grep '^LLMC_LIT:FILEPATH=' "$MAIN/CMakeCache.txt" | cut -d= -f2)
configure() {
  [[ -f "$1/build.ninja" ]] && return
  cmake -G Ninja -S . -B "$1" -DCMAKE_BUILD_TYPE=Release \
    -DLLMC_ENABLE_CUDA=OFF -DLLMC_SANITIZE="$2" \
    -DLLMC_PYTHON="$(command -v python3)" \
    -DLLMC_TEST_MODELS_FROM="$PWD/$MAIN/test/models" "${@:3}" >/dev/null
}
# A report ends the process with exit 1 (UBSan's too: the build does not
# recover); leaks are checked. Open MPI is not llmc: what it keeps and one
# lock-order report of its own are suppressed (test/sanitizers/lsan.supp,
# tsan.supp; each line justified).
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
# MPI ranks (only they: mpirun sets this in the processes it starts) unwind
# malloc stacks fully, which lsan.supp needs to see Open MPI's frames.
export OMPI_MCA_mca_base_env_list="ASAN_OPTIONS=$ASAN_OPTIONS:fast_unwind_on_malloc=0"
export LSAN_OPTIONS=suppressions=$PWD/test/sanitizers/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/test/sanitizers/tsan.supp
start=$(date +%s)
case $kind in
address)
  configure build-asan "address;undefined"
  cmake --build build-asan -j "$(nproc)"
  echo "sanitize: build-asan built in $(($(date +%s) - start)) s"
  ctest --test-dir build-asan --output-on-failure -E '^(format|layering)'
  ;;
thread)
  configure build-tsan thread -DLLMC_TOOLS_FALLBACK_DIR="$PWD/$MAIN/bin"
  cmake --build build-tsan -j "$(nproc)" --target llmc-run llmc-tokenize \
    llmc-cpu-tests llmc-mpi-tests
  echo "sanitize: build-tsan built in $(($(date +%s) - start)) s"
  # The gtests and the ranks' communicator tests from ctest; lit's tests
  # that run llmc-run with threads, requests or ranks.
  ctest --test-dir build-tsan --output-on-failure -L unit
  "$lit" -sv build-tsan/test --filter \
    'serve/|reliability/r|e2e/(tensor|pipeline)-parallel|parallel-pruned|e2e/(batch-parity|shipped-goldens|paged-goldens|speculative-goldens)|tools/llmc-run' \
    "$@"
  ;;
*)
  echo "sanitize.sh: unknown sanitizer '$kind' (address or thread)" >&2
  exit 2
  ;;
esac
echo "sanitize: $kind job took $(($(date +%s) - start)) s"
