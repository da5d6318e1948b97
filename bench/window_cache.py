"""KV-cache memory of sliding-window attention: a ring of `window` slots.

usage: python3 bench/window_cache.py [--work /tmp/window-cache]
           [--window 256] [--tokens 1024] [--threads 2]

Builds tiny random-weight models (test/models/architectures.py's shape,
4096 positions): a Mistral with a sliding window of --window and without
one, and a 4-layer Gemma 2 whose local layers have that window; exports
each with torch.onnx.export(dynamo=True), compiles them with `llmc compile
--max-seq --tokens`, and prints for each: the KV cache bytes per sequence
the artifact allocates (`llmc-run ... bench` reports them) beside what
every layer holding every position takes, the decode speed of a prompt of
--tokens minus 64 and 64 generated tokens, and the windowed models' largest
logit difference against onnxruntime on the same file at --tokens
positions (test/e2e/ort_parity.py), which is what says the rings are exact
past their length.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test", "models"))


def export(kind, window, path):
    import torch
    import transformers as tf

    import architectures

    torch.manual_seed(0)
    if kind == "gemma2":
        # 4 layers, local (sliding) and global in turn, as Gemma 2.
        config = tf.Gemma2Config(**architectures._common(
            num_hidden_layers=4, head_dim=16, sliding_window=window,
            max_position_embeddings=4096, query_pre_attn_scalar=16,
            attn_implementation="eager"))
        model = tf.Gemma2ForCausalLM(config).eval()
    else:
        config = tf.MistralConfig(**architectures._common(
            sliding_window=window, max_position_embeddings=4096))
        model = tf.MistralForCausalLM(config).eval()

    os.makedirs(os.path.dirname(path), exist_ok=True)
    architectures.export_dynamo(model, path)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", default="/tmp/window-cache")
    parser.add_argument("--window", type=int, default=256)
    parser.add_argument("--tokens", type=int, default=1024)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    rows = []
    for kind, window in (("mistral", None), ("mistral", args.window),
                         ("gemma2", args.window)):
        name = f"{kind}-window-{window}" if window else f"{kind}-no-window"
        folder = os.path.join(args.work, name)
        model = os.path.join(folder, "model.onnx")
        if not os.path.exists(model):
            export(kind, window, model)
        artifact = os.path.join(folder, "model.llmc")
        subprocess.run(["llmc", "compile", model, "-o", artifact, "--max-seq",
                        str(args.tokens)], check=True, capture_output=True)
        out = os.path.join(folder, "bench.json")
        subprocess.run(
            ["llmc-run", artifact, "--threads", str(args.threads), "bench",
             "--prompt-len", str(args.tokens - 64), "--gen", "64", "--repeat",
             "3", "--json", out], check=True, capture_output=True)
        with open(out) as f:
            measured = json.load(f)
        decode = measured["runs"][0]["decode_tokens_per_s"]
        parity = ""
        if window:
            checked = subprocess.run(
                [sys.executable, os.path.join(HERE, "..", "test", "e2e",
                                              "ort_parity.py"),
                 "--work", folder, "--tokens", str(args.tokens), model],
                capture_output=True, text=True)
            parity = checked.stdout.strip().splitlines()[-1]
        layers = 4 if kind == "gemma2" else 2
        # Every layer holding every position: what the cache was before
        # windows had rings (2 kv heads x 16 features, f32).
        full = layers * 2 * 2 * args.tokens * 16 * 4
        rows.append((name, layers, full, measured["kv_cache_bytes_per_sequence"],
                     measured["kv_cache_slots"], decode, parity))
    print(f"2 kv heads x 16 features, compiled for {args.tokens} tokens, "
          f"{args.threads} threads\n")
    print("| model | layers | KV bytes per sequence, every layer all positions "
          "| KV bytes per sequence | slots per plane | decode tok/s at "
          f"{args.tokens} |")
    print("|---|---|---|---|---|---|")
    for name, layers, full, cache, slots, decode, _ in rows:
        print(f"| {name} | {layers} | {full} | {cache:.0f} | {slots} | "
              f"{decode:.1f} |")
    for row in rows:
        if row[-1]:
            print(f"\n{row[0]} against onnxruntime: {row[-1]}")


if __name__ == "__main__":
    main()
