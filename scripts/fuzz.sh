#!/usr/bin/env bash
# Builds the libFuzzer targets (test/fuzz/) in build-fuzz with clang, ASan and
# UBSan, seeds their corpora from the shipped models and test files, and
# runs each for SECONDS (default 60), printing libFuzzer's last line:
# executions, edges covered (cov), corpus. A crash stops with the
# reproducer in build-fuzz/crashes/ (run it: build-fuzz/bin/fuzz-TARGET FILE).
#   scripts/fuzz.sh [SECONDS] [TARGET...]   targets: tokenizer-json
#   tokenizer-text token-file artifact request-json chat-template (default:
#   all)
# Needs clang-22 and libclang-rt-22-dev (scripts/setup.sh --fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
shift || true
TARGETS=("$@")
((${#TARGETS[@]})) || TARGETS=(tokenizer-json tokenizer-text token-file artifact
  request-json chat-template)
BUILD=${LLMC_FUZZ_BUILD:-build-fuzz}
MODELS=../shared/models

if [[ ! -f "$BUILD/build.ninja" ]]; then
  CC=clang-22 CXX=clang++-22 cmake -G Ninja -S . -B "$BUILD" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLLMC_FUZZ=ON -DLLMC_ENABLE_CUDA=OFF \
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
fi
cmake --build "$BUILD" -j "$(nproc)" --target \
  "${TARGETS[@]/#/fuzz-}" >/dev/null

# Seeds, made once with the normal build's tools (build/).
SEEDS=$BUILD/seeds
if [[ ! -d $SEEDS/chat-template ]]; then
  mkdir -p "$SEEDS"/{request-json,chat-template}
  # A request body after a byte whose lowest bit says chat (1) or not (0).
  printf '\001{"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 5, "stream": true, "logprobs": true, "top_logprobs": 2}' \
    > "$SEEDS/request-json/chat"
  printf '\000{"prompt": ["The computer", [1, 2, 3]], "max_tokens": 16, "temperature": 0.5, "top_p": 0.9, "stop": ["\\n"], "n": 2, "seed": 7}' \
    > "$SEEDS/request-json/completion"
  cp test/serve/templates/* "$SEEDS/chat-template/"
fi
if [[ ! -d $SEEDS/artifact ]]; then
  mkdir -p "$SEEDS"/{tokenizer-json,tokenizer-text,token-file,artifact}
  python3 test/tokenizer/convert_sentencepiece.py \
    "$MODELS/fortunes3m.tokenizer.model" "$SEEDS/fortunes-json"
  python3 test/tokenizer/convert_sentencepiece.py \
    "$MODELS/fortunes3m.tokenizer.model" "$SEEDS/fortunes-metaspace" --metaspace
  cp "$SEEDS/fortunes-json/tokenizer.json" "$SEEDS/tokenizer-json/legacy.json"
  cp "$SEEDS/fortunes-metaspace/tokenizer.json" \
    "$SEEDS/tokenizer-json/metaspace.json"
  for model in build/test/models/optimum-llama; do
    [[ -f $model/tokenizer.json ]] && cp "$model/tokenizer.json" \
      "$SEEDS/tokenizer-json/word-level.json"
  done
  split -C 2000 "$MODELS/fortunes3m.eval.txt" "$SEEDS/tokenizer-text/eval-"
  printf '1 2 3\n# a comment\n\n4,5,6\n' > "$SEEDS/token-file/small"
  head -c 3000 "$MODELS/fortunes3m.eval.txt" > "$SEEDS/token-file/text"
  build/bin/llmc compile "$MODELS/stories260K.onnx" \
    -o "$SEEDS/artifact/stories260K.llmc" --quiet >/dev/null 2>&1
fi

for target in "${TARGETS[@]}"; do
  corpus=$BUILD/corpus/$target
  mkdir -p "$corpus" "$BUILD/crashes"
  cp -n "$SEEDS/$target"/* "$corpus/" 2>/dev/null || true
  LLMC_FUZZ_TOKENIZER=$SEEDS/fortunes-json/tokenizer.json \
    "$BUILD/bin/fuzz-$target" "$corpus" -max_total_time="$SECONDS_EACH" \
    -artifact_prefix="$BUILD/crashes/$target-" -print_final_stats=1 \
    > "$BUILD/fuzz-$target.log" 2>&1 || {
    echo "fuzz-$target: FAILED (log: $BUILD/fuzz-$target.log)"
    grep -m3 -E "ERROR|SUMMARY|Test unit written" "$BUILD/fuzz-$target.log"
    exit 1
  }
  echo "fuzz-$target: $(grep -E '^#[0-9]+' "$BUILD/fuzz-$target.log" | tail -1)"
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" \
    "$BUILD/fuzz-$target.log" | tr '\n' ' '
  echo
done
