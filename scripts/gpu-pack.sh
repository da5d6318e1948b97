#!/usr/bin/env bash
# What a session with a GPU carries to the device machine (docs/gpu.md).
# That machine has the NVIDIA driver, CUDA and Python but no MLIR, no
# Debian packages and no network, so the runtime travels as binaries built
# here, with the libraries they need beyond glibc, libstdc++ and CUDA
# (OpenBLAS, OpenMPI, sentencepiece, xxhash, ...: lib.tar.xz, 7 MB, as
# the tree that travels holds 64 MiB), and the models travel as cuda
# artifacts compiled here. cuBLASLt and NCCL are opened with dlopen: the
# machine's own (its CUDA's or PyTorch's wheels') are used.
#
# Models too large to travel (bench/export_llama_past.py folders, e.g.
# llama-110m and llama-1b) go as --dummy-weights artifacts: NAME.cpu.llmc
# (f32, for the logits check on the device's CPU), NAME.cuda.llmc (f16),
# NAME.int4.cuda.llmc (f16 with RTN int4 weights, group 128),
# NAME.fp8.{cpu,cuda}.llmc (fp8 weights and dynamic fp8 activations) and
# NAME.w8a8.{cpu,cuda}.llmc (int8 weights and dynamic per-token int8
# activations), f32 on the CPU and f16 on the GPU (and
# NAME.{fp8,w8a8}.cuda-f32.llmc, f32 on the GPU, for the logits check),
# and their config.json for the PyTorch peer (bench/gpu_peer.py).
# stories260K and fortunes3m also go with both quantized activations, in
# f32 for both.
#
# usage: scripts/gpu-pack.sh [--build DIR] [EXPORT_FOLDER ...]
#        writes .gpu/ (ignored by git)
# then:  device run, carry [".gpu"], command "bash scripts/gpu-check.sh .gpu"
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build
if [ "${1:-}" = --build ]; then
  build=$2
  shift 2
fi
models=$root/../shared/models
pack=$root/.gpu
target=cuda:sm_80,sm_90

rm -rf "$pack"
mkdir -p "$pack/bin" "$pack/models" "$pack/artifacts"
cmake --build "$build" --target llmc llmc-run llmc-cuda-tests
strip -o "$pack/bin/llmc-run" "$build/bin/llmc-run"
strip -o "$pack/bin/llmc-cuda-tests" "$build/bin/llmc-cuda-tests"
libs=$(mktemp -d)
mkdir "$libs/lib"
for lib in $(ldd "$build/bin/llmc-run" "$build/bin/llmc-cuda-tests" |
             awk '/=> \// {print $3}' | sort -u |
             grep -vE '/(libc|libm|libdl|librt|libpthread|libstdc\+\+|libgcc_s|libcuda)\.so'); do
  cp -L "$lib" "$libs/lib/"
done
tar -cJf "$pack/lib.tar.xz" -C "$libs" lib
rm -rf "$libs"
cp "$models"/*.golden.json "$models"/*.tokenizer.model \
   "$models"/fortunes3m.eval.txt "$pack/models/"
# The goldens are fp32 greedy tokens: these compile in f32.
for model in stories260K fortunes3m gpt2-tiny-random; do
  "$build/bin/llmc" compile "$models/$model.onnx" --target "$target" \
    --dtype f32 -o "$pack/artifacts/$model.cuda.llmc" 2>/dev/null
done
# Speculative decoding's @verify (one position per sequence in the
# attention kernels): n-gram drafts, batches of 4, f32 for the goldens.
"$build/bin/llmc" compile "$models/fortunes3m.onnx" --target "$target" \
  --dtype f32 --draft ngram --max-batch 4 \
  -o "$pack/artifacts/fortunes3m.ngram.cuda.llmc" 2>/dev/null
# A paged KV cache (block tables in the attention kernels), batches of 4:
# checked against the contiguous stories260K.cuda.llmc.
"$build/bin/llmc" compile "$models/stories260K.onnx" --target "$target" \
  --dtype f32 --kv-layout paged --max-batch 4 \
  -o "$pack/artifacts/stories260K.paged.cuda.llmc" 2>/dev/null
# The CPU's f32 logits, which the GPU's f32 ones are checked against.
"$build/bin/llmc" compile "$models/stories260K.onnx" \
  -o "$pack/artifacts/stories260K.cpu.llmc" 2>/dev/null
fp8=(--quant fp8 --fp8-activations dynamic)
w8a8=(--quant int8 --int8-activations dynamic)
# Head pruning (docs/pruning.md): per-layer head counts, f32 on both,
# with the same generated weights on both (--dummy-weights: the logits
# are compared, and the pack stays small).
for t in cpu cuda; do
  extra=()
  [ $t = cuda ] && extra=(--target "$target" --dtype f32)
  "$build/bin/llmc" compile "$models/fortunes3m.onnx" --dummy-weights \
    --prune-heads-list '0:1,4;3:0,2,3,5' "${extra[@]}" \
    -o "$pack/artifacts/fortunes3m.pruned.$t.llmc" 2>/dev/null
  # Whole KV groups: pruned layers share KV-cache planes (head_offset).
  "$build/bin/llmc" compile "$models/fortunes3m.onnx" --dummy-weights \
    --prune-heads-list '0:1;3:0;5:1' --prune-unit group "${extra[@]}" \
    -o "$pack/artifacts/fortunes3m.groups.$t.llmc" 2>/dev/null
done
# Quantized activations: stories260K (logits, the GEMV paths) and
# fortunes3m (perplexity, cuBLASLt's GEMMs of codes), f32 on both devices;
# fortunes3m's CPU perplexity is measured here (NAME.cpu-eval.json, what
# `llmc-run --json eval` prints), not carried as an artifact.
for variant in fp8 w8a8; do
  declare -n flags=$variant
  for model in stories260K fortunes3m; do
    "$build/bin/llmc" compile "$models/$model.onnx" "${flags[@]}" \
      -o "$pack/artifacts/$model.$variant.cpu.llmc" 2>/dev/null
    "$build/bin/llmc" compile "$models/$model.onnx" "${flags[@]}" \
      --target "$target" --dtype f32 \
      -o "$pack/artifacts/$model.$variant.cuda.llmc" 2>/dev/null
  done
  "$build/bin/llmc-run" "$pack/artifacts/fortunes3m.$variant.cpu.llmc" --json \
    eval --text "$models/fortunes3m.eval.txt" \
    --tokenizer "$models/fortunes3m.tokenizer.model" \
    > "$pack/artifacts/fortunes3m.$variant.cpu-eval.json"
  rm "$pack/artifacts/fortunes3m.$variant.cpu.llmc"
done
mkdir -p "$pack/large"
for folder in "$@"; do
  name=$(basename "$folder")
  "$build/bin/llmc" compile "$folder/model.onnx" --dummy-weights \
    -o "$pack/large/$name.cpu.llmc" 2>/dev/null
  "$build/bin/llmc" compile "$folder/model.onnx" --dummy-weights \
    --target "$target" -o "$pack/large/$name.cuda.llmc" 2>/dev/null
  "$build/bin/llmc" compile "$folder/model.onnx" --dummy-weights \
    --target "$target" --quant rtn-int4 --group-size 128 \
    -o "$pack/large/$name.int4.cuda.llmc" 2>/dev/null
  for variant in fp8 w8a8; do
    declare -n flags=$variant
    "$build/bin/llmc" compile "$folder/model.onnx" --dummy-weights \
      "${flags[@]}" -o "$pack/large/$name.$variant.cpu.llmc" 2>/dev/null
    "$build/bin/llmc" compile "$folder/model.onnx" --dummy-weights \
      "${flags[@]}" --target "$target" \
      -o "$pack/large/$name.$variant.cuda.llmc" 2>/dev/null
    "$build/bin/llmc" compile "$folder/model.onnx" --dummy-weights \
      "${flags[@]}" --target "$target" --dtype f32 \
      -o "$pack/large/$name.$variant.cuda-f32.llmc" 2>/dev/null
  done
  cp "$folder/config.json" "$pack/large/$name.config.json"
done
du -sh "$pack"
