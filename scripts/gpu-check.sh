#!/usr/bin/env bash
# The GPU checks (docs/gpu.md) in one run on the device machine, from the
# pack scripts/gpu-pack.sh made: the gpu-labelled gtests, the shipped
# models' goldens on the GPU, and `llmc-run bench` of each cuda artifact.
# Logs and JSON go to $OUT (the device tool's folder), else PACK/out.
#
# usage: bash scripts/gpu-check.sh [PACK=.gpu]
set -uo pipefail
pack=${1:-.gpu}
out=${OUT:-$pack/out}
mkdir -p "$out"
export PATH="$PWD/$pack/bin:$PATH"
# cuBLASLt (dlopen'ed by llmc-run): the toolkit's, else PyTorch's wheel's.
libs="$PWD/$pack/lib"
for dir in /usr/local/cuda/lib64 /usr/local/cuda/lib $(python3 -c \
    'import nvidia, os; print(" ".join(os.path.join(p, "cublas", "lib") for p in nvidia.__path__))' \
    2>/dev/null); do
  [ -e "$dir/libcublasLt.so.13" ] && libs="$libs:$dir"
done
export LD_LIBRARY_PATH="$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

status=0
nvidia-smi -L | tee "$out/device.txt"
echo "== gtests (label gpu)"
llmc-cuda-tests 2>&1 | tee "$out/gtests.log" || status=1
echo "== goldens"
python3 test/e2e/check_goldens.py "$pack/models" \
  "$pack/artifacts/stories260K.cuda.llmc" \
  "$pack/artifacts/fortunes3m.cuda.llmc" \
  "$pack/artifacts/gpt2-tiny-random.cuda.llmc" 2>&1 |
  tee "$out/goldens.log" || status=1
echo "== bench"
for artifact in "$pack"/artifacts/*.cuda.llmc; do
  name=$(basename "$artifact" .cuda.llmc)
  llmc-run "$artifact" bench --prompt-len 16 --gen 64 --repeat 5 \
    --json "$out/bench-$name.json" 2>&1 | tee -a "$out/bench.log" || status=1
done
exit $status
