#!/usr/bin/env bash
# The GPU checks (docs/gpu.md) in one run on the device machine, from the
# pack scripts/gpu-pack.sh made: the gpu-labelled gtests, the shipped
# models' goldens on the GPU, the paged KV cache against the contiguous
# one, fp8 activations against the CPU's, and for
# each large model the f16 logits against the f32 CPU's, `llmc-run bench`
# (f16, int4, fp8, w8a8) and the PyTorch peer. Two files
# come back in $OUT (the device tool's folder, which returns at most 8),
# else in PACK/out: gpu-check.log (everything printed) and
# gpu-check.tar.gz (the logs and JSON of every step).
#
# usage: bash scripts/gpu-check.sh [PACK=.gpu]
set -uo pipefail
pack=${1:-.gpu}
out=${OUT:-$pack/out}
mkdir -p "$out"
work=$(mktemp -d)
exec > >(tee "$out/gpu-check.log") 2>&1
trap 'tar -czf "$out/gpu-check.tar.gz" --exclude=./lib -C "$work" .' EXIT
export PATH="$PWD/$pack/bin:$PATH"
# The libraries the binaries were linked with (gpu-pack.sh), then
# cuBLASLt and NCCL (dlopen'ed by llmc-run): the toolkit's, else those of
# PyTorch's wheels.
tar -xJf "$pack/lib.tar.xz" -C "$work"
libs="$work/lib"
for dir in /usr/local/cuda/lib64 /usr/local/cuda/lib $(python3 -c \
    'import nvidia; print(" ".join(nvidia.__path__))' 2>/dev/null); do
  for found in $(find "$dir" -maxdepth 3 \( -name libcublasLt.so.13 -o \
                 -name libnccl.so.2 \) 2>/dev/null); do
    case ":$libs:" in *":$(dirname "$found"):"*) ;; *) libs="$libs:$(dirname "$found")" ;; esac
  done
done
export LD_LIBRARY_PATH="$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

status=0
# Each step has a time limit, so that a hung kernel costs one step, not
# the whole device call; logs are written as they go.
nvidia-smi -L | tee "$work/device.txt"
ldd "$pack/bin/llmc-run" | tee -a "$work/device.txt"
echo "== gtests (label gpu)"
timeout 180 llmc-cuda-tests 2>&1 | tee "$work/gtests.log" || status=1
echo "== goldens"
timeout 300 python3 test/e2e/check_goldens.py "$pack/models" \
  "$pack/artifacts/stories260K.cuda.llmc" \
  "$pack/artifacts/fortunes3m.cuda.llmc" \
  "$pack/artifacts/gpt2-tiny-random.cuda.llmc" 2>&1 |
  tee "$work/goldens.log" || status=1
echo "== speculative decoding (n-gram, per-sequence positions): fortunes3m goldens, batch 1 and 4"
timeout 180 python3 test/e2e/speculative_goldens.py "$pack/models" cuda-ngram - \
  "$pack/artifacts/fortunes3m.ngram.cuda.llmc" 2>&1 |
  tee "$work/speculative.log" || status=1
echo "== paged KV cache: stories260K logits and tokens against the contiguous cache, batch 1 and 4"
timeout 180 python3 test/e2e/paged_identity.py stories260K \
  "$pack/artifacts/stories260K.cuda.llmc" \
  "$pack/artifacts/stories260K.paged.cuda.llmc" 512 auto 2>&1 |
  tee "$work/paged.log" || status=1
echo "== stories260K f32: GPU against CPU over 16 tokens (prefill attention)"
long=1,403,407,261,135,471,275,291,260,146,11,310,29,54,7,400
timeout 120 python3 test/e2e/compare_logits.py \
  "$pack/artifacts/stories260K.cpu.llmc" "$pack/artifacts/stories260K.cuda.llmc" \
  --prompt-ids "$long" --tolerance 1e-4 2>&1 | tee -a "$work/quant-acts.log" || status=1
for pruned in pruned groups; do
  echo "== fortunes3m with $pruned pruned (per-layer head counts): GPU against CPU"
  timeout 120 python3 test/e2e/compare_logits.py \
    "$pack/artifacts/fortunes3m.$pruned.cpu.llmc" \
    "$pack/artifacts/fortunes3m.$pruned.cuda.llmc" --prompt-ids "$long" \
    --tolerance 1e-4 2>&1 | tee -a "$work/logits.log" || status=1
done
# Quantized activations (cuda-quant-activations.test): up to 8 rows the
# GEMV paths compute the CPU's f32 math; more rows run cuBLASLt's GEMMs of
# codes, whose tensor-core sums flip some roundings, so there the
# perplexity must agree.
short=1,403,407,261,135,471,275,291
for variant in fp8 w8a8; do
  echo "== stories260K $variant, 8 tokens (GEMV paths): GPU against CPU"
  timeout 120 python3 test/e2e/compare_logits.py \
    "$pack/artifacts/stories260K.$variant.cpu.llmc" \
    "$pack/artifacts/stories260K.$variant.cuda.llmc" --prompt-ids "$short" \
    --tolerance 1e-5 2>&1 | tee -a "$work/quant-acts.log" || status=1
  echo "== fortunes3m $variant perplexity (GEMMs of codes): GPU against CPU"
  timeout 120 python3 test/e2e/compare_perplexity.py \
    "$pack/artifacts/fortunes3m.$variant.cpu-eval.json" \
    "$pack/artifacts/fortunes3m.$variant.cuda.llmc" \
    --text "$pack/models/fortunes3m.eval.txt" \
    --tokenizer "$pack/models/fortunes3m.tokenizer.model" 2>&1 |
    tee -a "$work/quant-acts.log" || status=1
done
for artifact in "$pack"/large/*.cpu.llmc; do
  [ -e "$artifact" ] || continue
  name=$(basename "$artifact" .cpu.llmc)
  case $name in *.fp8 | *.w8a8) continue ;; esac
  artifact="$pack/large/$name.cuda.llmc"
  echo "== $name: f16 on the GPU against f32 on the CPU"
  timeout 180 python3 test/e2e/compare_logits.py \
    "$pack/large/$name.cpu.llmc" "$artifact" \
    --prompt-ids 1,15043,29892,590,1024,338,17374,29889 2>&1 |
    tee -a "$work/logits.log" || status=1
  for variant in fp8 w8a8; do
    echo "== $name: $variant weights and activations, 8 tokens, f32 GPU against f32 CPU"
    timeout 180 python3 test/e2e/compare_logits.py \
      "$pack/large/$name.$variant.cpu.llmc" \
      "$pack/large/$name.$variant.cuda-f32.llmc" --prompt-ids "$short" \
      --tolerance 1e-4 2>&1 |
      tee -a "$work/quant-acts.log" || status=1
  done
  echo "== $name: bench, llmc f16 (CUDA graphs on, off), int4, fp8 and w8a8; PyTorch f16"
  timeout 180 llmc-run "$artifact" bench --prompt-len 16,128 --gen 64 \
    --repeat 5 --json "$work/bench-$name.json" 2>&1 | tee -a "$work/bench.log" || status=1
  timeout 180 llmc-run "$artifact" --no-cuda-graphs bench --prompt-len 16,128 \
    --gen 64 --repeat 5 --json "$work/bench-$name-nographs.json" 2>&1 |
    tee -a "$work/bench.log" || status=1
  timeout 180 llmc-run "$pack/large/$name.int4.cuda.llmc" bench \
    --prompt-len 16,128 --gen 64 --repeat 5 --json "$work/bench-$name-int4.json" 2>&1 |
    tee -a "$work/bench.log" || status=1
  for variant in fp8 w8a8; do
    timeout 180 llmc-run "$pack/large/$name.$variant.cuda.llmc" bench \
      --prompt-len 16,128 --gen 64 --repeat 5 \
      --json "$work/bench-$name-$variant.json" 2>&1 |
      tee -a "$work/bench.log" || status=1
  done
  for prompt in 16 128; do
    timeout 180 python3 bench/gpu_peer.py "$pack/large/$name.config.json" \
      --prompt-len "$prompt" --gen 64 --json "$work/peer-$name-$prompt.json" \
      2>&1 | tee -a "$work/bench.log" || status=1
  done
done
exit $status
