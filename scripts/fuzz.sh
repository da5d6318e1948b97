#!/usr/bin/env bash
# Builds the libFuzzer targets (test/fuzz/) in build-fuzz with clang, ASan and
# UBSan, seeds their corpora from the shipped models and test files, and
# runs each for SECONDS (default 60), printing libFuzzer's last line:
# executions, edges covered (cov), corpus. A crash stops with the
# reproducer in build-fuzz/crashes/ (run it: build-fuzz/bin/fuzz-TARGET FILE).
#   scripts/fuzz.sh [SECONDS] [TARGET...]   targets: tokenizer-json
#   tokenizer-text token-file artifact request-json chat-template onnx-model
#   statistics-file http-request (default: all)
# Needs clang-22 and libclang-rt-22-dev (scripts/setup.sh --fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
shift || true
TARGETS=("$@")
((${#TARGETS[@]})) || TARGETS=(tokenizer-json tokenizer-text token-file artifact
  request-json chat-template onnx-model statistics-file http-request)
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

if [[ ! -d $SEEDS/statistics-file ]]; then
  python3 test/fuzz/onnx_seeds.py "$MODELS" "$SEEDS/onnx-model" \
    "$SEEDS/onnx-data"
  mkdir -p "$SEEDS/statistics-file"
  printf '1 5 9 13 17 21 25 29\n2 6 10 14 18 22 26 30\n' \
    > "$SEEDS/calib-ids.txt"
  build/bin/llmc calibrate "$MODELS/stories260K.onnx" \
    --calib "$SEEDS/calib-ids.txt" \
    -o "$SEEDS/statistics-file/stories260K.stats" >/dev/null 2>&1
fi

if [[ ! -d $SEEDS/http-request ]]; then
  # fortunes3m served (64 positions, so a request's tokens stay few) and
  # requests as curl sends them, with the key the target's server asks for.
  build/bin/llmc compile "$MODELS/fortunes3m.onnx" -o "$SEEDS/served.llmc" \
    --kv-layout paged --max-seq 64 --max-batch 4 --chat-template chatml \
    --tokenizer "$MODELS/fortunes3m.tokenizer.model" --quiet >/dev/null 2>&1
  mkdir -p "$SEEDS/http-request"
  request() { # NAME METHOD PATH [BODY]
    {
      printf '%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n' "$2" "$3"
      printf 'Authorization: Bearer fuzz\r\n'
      if (($# > 3)); then
        printf 'Content-Type: application/json\r\nContent-Length: %d\r\n' \
          "${#4}"
      fi
      printf '\r\n%s' "${4:-}"
    } > "$SEEDS/http-request/$1"
  }
  request health GET /health
  request metrics GET /metrics
  request models GET /v1/models
  request completion POST /v1/completions \
    '{"model": "fuzz", "prompt": "The computer", "max_tokens": 4, "logprobs": 2}'
  request chat-stream POST /v1/chat/completions \
    '{"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 4, "stream": true, "stream_options": {"include_usage": true}}'
  request tokenize POST /tokenize '{"prompt": "a fortune"}'
  request detokenize POST /detokenize '{"tokens": [5, 6, 7]}'
  printf 'POST /v1/completions HTTP/1.1\r\nAuthorization: Bearer fuzz\r\nTransfer-Encoding: chunked\r\n\r\n1c\r\n{"prompt": [1, 2, 3], "n": 2\r\n1\r\n}\r\n0\r\n\r\n' \
    > "$SEEDS/http-request/chunked"
fi


for target in "${TARGETS[@]}"; do
  corpus=$BUILD/corpus/$target
  mkdir -p "$corpus" "$BUILD/crashes"
  cp -n "$SEEDS/$target"/* "$corpus/" 2>/dev/null || true
  # libFuzzer's default cap (the largest seed, at most 1 MiB) would cut
  # stories260K's statistics (1.8 MiB: its Gram matrices) short.
  extra=()
  [[ $target == statistics-file ]] && extra=(-max_len=4194304)
  LLMC_FUZZ_TOKENIZER=$SEEDS/fortunes-json/tokenizer.json \
    LLMC_FUZZ_ONNX_DIR=$SEEDS/onnx-data \
    LLMC_FUZZ_MODEL=$MODELS/stories260K.onnx \
    LLMC_FUZZ_ARTIFACT=$SEEDS/served.llmc \
    "$BUILD/bin/fuzz-$target" "$corpus" -max_total_time="$SECONDS_EACH" \
    "${extra[@]}" \
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
