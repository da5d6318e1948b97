#!/usr/bin/env bash
# What a session with a GPU carries to the device machine (docs/gpu.md).
# That machine has the NVIDIA driver, CUDA and Python but no MLIR, no
# Debian packages and no network, so the runtime travels as binaries built
# here, with the two libraries it needs beyond glibc, libstdc++ and CUDA,
# and the models travel as cuda artifacts compiled here.
#
# usage: scripts/gpu-pack.sh [BUILD_DIR]    writes .gpu/ (ignored by git)
# then:  device run, carry [".gpu"], command "bash scripts/gpu-check.sh .gpu"
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
models=$root/../shared/models
pack=$root/.gpu
target=cuda:sm_80,sm_90

rm -rf "$pack"
mkdir -p "$pack/bin" "$pack/lib" "$pack/models" "$pack/artifacts"
cmake --build "$build" --target llmc llmc-run llmc-cuda-tests
cp "$build/bin/llmc-run" "$build/bin/llmc-cuda-tests" "$pack/bin/"
for lib in $(ldd "$build/bin/llmc-run" | awk '/=> \// {print $3}' |
             grep -E 'libxxhash|libsentencepiece'); do
  cp -L "$lib" "$pack/lib/"
done
cp "$models"/*.golden.json "$models"/*.tokenizer.model \
   "$models"/fortunes3m.eval.txt "$pack/models/"
for model in stories260K fortunes3m gpt2-tiny-random; do
  "$build/bin/llmc" compile "$models/$model.onnx" --target "$target" \
    -o "$pack/artifacts/$model.cuda.llmc" 2>/dev/null
done
du -sh "$pack"
