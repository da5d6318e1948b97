#!/usr/bin/env python3
"""Tokenizer parity: llmc's tokenizer.json reader against Hugging Face's
`tokenizers` library (the reference implementation), line by line on a
varied text of at least 1 MB (corpus.py).

Tokenizers checked:
  gpt2-style, llama3-style, qwen2-style: byte-level BPE, trained here by
      `tokenizers` on part of the corpus with the pipeline of each family
      (GPT-2's ByteLevel split; Llama 3's and Qwen2's split patterns, Qwen2's
      NFC; their special tokens);
  llama2-style: fortunes3m's SentencePiece model converted by transformers
      (legacy: Prepend/Replace normalizer, byte fallback);
  mistral-v1: Mistral 7B's SentencePiece model (shipped in PyPI's
      mistral-common) converted by transformers (Metaspace, prepend "first");
  anthropic: the tokenizer.json PyPI's anthropic 0.30.0 ships (NFKC,
      byte-level, 65k tokens);
  test-models: the word-level tokenizer of the HF test models.
Every line's ids must be identical, and llmc's decoding of them must equal
the library's (special tokens skipped), as must its decoding of 5000
random id sequences (byte tokens that are not whole characters). Prints a table with both sides'
encoding speed (one thread each); exits 1 on any difference.

Usage: parity.py --llmc-tokenize BIN --work DIR [--test-models DIR]
                 [--data DIR] [--markdown FILE] [--rounds N]
(bench/tokenizers.py runs it with 5 rounds for docs/performance.md.)
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # one thread

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models
from tokenizers import normalizers
from tokenizers import pre_tokenizers, processors, trainers

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convert_sentencepiece  # noqa: E402
import corpus  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "models")

RANDOM_SEQUENCES = 5000

LLAMA3_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|"
                r"\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|"
                r"\s+")
QWEN2_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|"
               r"\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


def byte_level(training_lines, pre, normalizer, specials, bos, vocab,
               ignore_merges):
    tok = Tokenizer(models.BPE(ignore_merges=ignore_merges))
    tok.normalizer = normalizer
    tok.pre_tokenizer = pre
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab, special_tokens=specials, show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(training_lines, trainer)
    if bos:
        tok.post_processor = processors.TemplateProcessing(
            single=f"{bos} $A", special_tokens=[(bos, tok.token_to_id(bos))])
    return tok


def trained(training_lines, work):
    made = {}
    made["gpt2-style"] = byte_level(
        training_lines, pre_tokenizers.ByteLevel(add_prefix_space=False),
        None, ["<|endoftext|>"], None, 8000, False)
    made["llama3-style"] = byte_level(
        training_lines, pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(LLAMA3_SPLIT), "isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False,
                                     use_regex=False)]),
        None, ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"],
        "<|begin_of_text|>", 8000, True)
    made["qwen2-style"] = byte_level(
        training_lines, pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(QWEN2_SPLIT), "isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False,
                                     use_regex=False)]),
        normalizers.NFC(), ["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        None, 8000, False)
    # Added tokens with every matching option, under a normalizer that
    # changes what the "normalized" ones match (Lowercase, NFKC).
    options = byte_level(
        training_lines, pre_tokenizers.ByteLevel(add_prefix_space=True),
        normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()]),
        ["<|endoftext|>"], None, 4000, False)
    options.add_tokens([
        AddedToken("<mask>", lstrip=True, normalized=False),
        AddedToken("[rs]", rstrip=True, normalized=False),
        AddedToken("word", single_word=True, normalized=False),
        AddedToken("norm tok", normalized=True),
        AddedToken(" both ", lstrip=True, rstrip=True, normalized=False)])
    options.add_special_tokens([AddedToken("<eot>", normalized=False)])
    made["added-options"] = options
    paths = {}
    for name, tok in made.items():
        paths[name] = os.path.join(work, name + ".json")
        tok.save(paths[name])
    return paths


def converted(model, name, work, legacy):
    """A SentencePiece model as transformers converts it to tokenizer.json."""
    return convert_sentencepiece.convert(model, os.path.join(work, name),
                                         metaspace=not legacy)


def run_llmc(binary, tokenizer, lines_path, out_path, decode=False):
    command = [binary, "--tokenizer", tokenizer, "--lines", lines_path,
               "-o", out_path] + (["--decode"] if decode else [])
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)}: {done.stderr.strip()}")
    return done.stderr


def identical(what, ours, reference, lines):
    """How many lines agree; the first that does not is printed."""
    for i, (a, b) in enumerate(zip(ours, reference)):
        if a != b:
            print(f"{what} of line {i + 1} differ: {lines[i]!r}\n"
                  f"  tokenizers: {b[:40]!r}\n  llmc:       {a[:40]!r}")
            break
    return sum(a == b for a, b in zip(ours, reference))


def check(name, path, lines, text_path, args):
    tok = Tokenizer.from_file(path)
    ids_path = os.path.join(args.work, name + ".ids")
    hf_seconds, llmc_speeds = [], []
    for _ in range(args.rounds):  # taking turns; the medians are reported
        start = time.perf_counter()
        encoded = tok.encode_batch(lines, add_special_tokens=False)
        hf_seconds.append(time.perf_counter() - start)
        report = run_llmc(args.llmc_tokenize, path, text_path, ids_path)
        llmc_speeds.append(float(report.split(": ")[-1].split()[0]))
    hf_seconds = statistics.median(hf_seconds)
    llmc_speed = statistics.median(llmc_speeds)
    reference = [e.ids for e in encoded]
    with open(ids_path) as f:
        ours = [[int(t) for t in line.split()] for line in f.read()
                .split("\n")[:-1]]
    if len(ours) != len(lines):
        raise SystemExit(f"{name}: llmc gave {len(ours)} lines for "
                         f"{len(lines)}")
    same = identical(f"{name}: ids", ours, reference, lines)

    # Decoding the reference ids.
    ref_path = os.path.join(args.work, name + ".ref-ids")
    with open(ref_path, "w") as f:
        f.write("".join(" ".join(map(str, ids)) + "\n" for ids in reference))
    texts_path = os.path.join(args.work, name + ".texts")
    run_llmc(args.llmc_tokenize, path, ref_path, texts_path, decode=True)
    with open(texts_path) as f:
        decoded = [json.loads(line) for line in f]
    expected = tok.decode_batch(reference, skip_special_tokens=True)
    decoded_same = identical(f"{name}: decoded text", decoded, expected, lines)

    # Decoding arbitrary ids: byte tokens that are not whole characters
    # (the U+FFFD repair), special tokens anywhere, pieces out of order.
    rng = random.Random(7)
    ids = sorted(tok.get_vocab().values())
    samples = [[rng.choice(ids) for _ in range(rng.randint(1, 12))]
               for _ in range(RANDOM_SEQUENCES)]
    random_path = os.path.join(args.work, name + ".random-ids")
    with open(random_path, "w") as f:
        f.write("".join(" ".join(map(str, x)) + "\n" for x in samples))
    run_llmc(args.llmc_tokenize, path, random_path, texts_path, decode=True)
    with open(texts_path) as f:
        decoded = [json.loads(line) for line in f]
    random_same = identical(
        f"{name}: decoded random ids", decoded,
        tok.decode_batch(samples, skip_special_tokens=True),
        [str(x) for x in samples])
    size = sum(len(line.encode()) for line in lines)
    return {"tokenizer": name, "kind": json.load(open(path))["model"]["type"],
            "vocab": tok.get_vocab_size(), "lines": len(lines),
            "ids_identical": same, "decoded_identical": decoded_same,
            "random_identical": random_same,
            "tokens": sum(len(ids) for ids in reference),
            "llmc_mb_s": llmc_speed, "tokenizers_mb_s": size / hf_seconds / 1e6}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--llmc-tokenize", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--test-models", help="build/test/models")
    parser.add_argument("--data", default=os.path.join(
        os.path.expanduser("~"), ".cache", "llmc", "tokenizer-data"),
        help="where setup.sh --tests put PyPI's tokenizer files")
    parser.add_argument("--markdown", help="also write the table here")
    parser.add_argument("--rounds", type=int, default=1,
                        help="time each side this many times, in turns")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)

    text_path = os.path.join(args.work, "corpus.txt")
    sizes = corpus.build(ROOT, text_path)
    with open(text_path, encoding="utf-8", newline="") as f:
        lines = f.read().split("\n")[:-1]
    total = sum(sizes.values())
    print(f"corpus: {total} bytes, {len(lines)} lines (" +
          ", ".join(f"{k} {v}" for k, v in sizes.items()) + ")")
    if total < 1_000_000 or sizes["translations"] < 200_000:
        raise SystemExit("the corpus is short of 1 MB or of translations")

    paths = trained(lines[: len(lines) // 3], args.work)
    paths["llama2-style"] = converted(
        os.path.join(SHARED, "fortunes3m.tokenizer.model"), "llama2-style",
        args.work, legacy=True)
    missing = []
    mistral = os.path.join(args.data, "mistral_common", "data",
                           "tokenizer.model.v1")
    anthropic = os.path.join(args.data, "anthropic", "tokenizer.json")
    for name, path in (("mistral-v1", mistral), ("anthropic", anthropic)):
        if not os.path.exists(path):
            missing.append(path)
    if missing:
        raise SystemExit("missing (scripts/setup.sh --tests installs them): " +
                         ", ".join(missing))
    paths["mistral-v1"] = converted(mistral, "mistral-v1", args.work,
                                    legacy=False)
    paths["anthropic"] = anthropic
    if args.test_models:
        paths["test-models"] = os.path.join(args.test_models, "optimum-llama",
                                            "tokenizer.json")

    rows = [check(name, path, lines, text_path, args)
            for name, path in paths.items()]
    table = ["| tokenizer | model | vocab | lines | ids identical | "
             "decoded identical | tokens | llmc MB/s | tokenizers MB/s |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        table.append(
            f"| {r['tokenizer']} | {r['kind']} | {r['vocab']} | {r['lines']} "
            f"| {r['ids_identical']} | {r['decoded_identical']} | "
            f"{r['tokens']} | {r['llmc_mb_s']:.2f} | "
            f"{r['tokenizers_mb_s']:.2f} |")
    print("\n".join(table))
    print(f"random ids ({RANDOM_SEQUENCES} sequences of 1-12) decoded "
          "identically: " + ", ".join(f"{r['tokenizer']} "
                                      f"{r['random_identical']}"
                                      for r in rows))
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(f"corpus: {total} bytes, {len(lines)} lines; encoding "
                    f"speed: the median of {args.rounds} turns each, one "
                    "thread (tokenizers: encode_batch with "
                    "TOKENIZERS_PARALLELISM=false, from Python)\n\n" +
                    "\n".join(table) + "\n")
    bad = [r["tokenizer"] for r in rows
           if r["ids_identical"] != r["lines"] or
           r["decoded_identical"] != r["lines"] or
           r["random_identical"] != RANDOM_SEQUENCES]
    if bad:
        raise SystemExit("differences: " + ", ".join(bad))
    print(f"parity: {len(rows)} tokenizers, every line identical")


if __name__ == "__main__":
    main()
