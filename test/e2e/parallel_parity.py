"""A parallel artifact run on MPI ranks against the same model on one.

usage: parallel_parity.py --work DIR [--tp T] [--pp P] [--golden G.json]
                          [--batch B] [--compile-flag F ...] [--device D]
                          model.onnx

Compiles model.onnx once for one rank and once with --tp T --pp P (the same
--compile-flag's), then runs the parallel one under
`mpirun -np T*P llmc-run`: the logits of every prompt position (--incremental:
prefill, then one decode step per token through the KV cache) must be within
1e-5 of the single rank's, relative to the largest logit (at least 1), and the greedy continuations identical to the
single rank's and, with --golden, to the reference implementation's
`greedy_ids`. --exact-activations: quantized weights' decode activations
are not rounded to int8 (LLMC_CPU_ACTIVATIONS=exact), on both sides.
--batch B: both compiled for B sequences per call, and a batch of B prompts
generated at once must give one rank's ids (pipeline stages run it as
micro-batches), and so must the batch sampled (temperature 1, a seed,
stopping at EOS: with --run-flag=--tokenizer=... at the tokenizer's), its
sequences stopping at different steps. --device D: both run with
`llmc-run --device D` (cpu-staged: through the GPU's device path; for a
cuda artifact, compile with --compile-flag=--target=cuda:...). Prompts: the golden cases', else three fixed ones. Prints one
line per check (FileCheck'ed) and exits 1 at the first failure.
"""
import argparse
import json
import os
import subprocess
import sys

MPIRUN = ["mpirun", "--allow-run-as-root", "--oversubscribe"]
TOLERANCE = 1e-5


def run(command):
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"parallel_parity: {' '.join(command)} failed:\n"
                 f"{result.stdout}{result.stderr}")
    return result.stdout


def check(ok, line):
    print(("ok: " if ok else "MISMATCH: ") + line, flush=True)
    if not ok:
        sys.exit(1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", required=True)
    parser.add_argument("--tp", type=int, default=1)
    parser.add_argument("--pp", type=int, default=1)
    parser.add_argument("--golden")
    parser.add_argument("--compile-flag", action="append", default=[])
    parser.add_argument("--exact-activations", action="store_true")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--run-flag", action="append", default=[])
    parser.add_argument("--device", default="auto")
    parser.add_argument("model")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    name = os.path.basename(args.model).removesuffix(".onnx")
    if name == "model":
        name = os.path.basename(os.path.dirname(args.model))
    one = os.path.join(args.work, f"{name}.llmc")
    layout = " ".join(f"{flag}{n}" for flag, n in (("tp", args.tp),
                                                    ("pp", args.pp)) if n > 1)
    several = os.path.join(args.work,
                           f"{name}-{layout.replace(' ', '-')}.llmc")
    if args.batch > 1:
        args.compile_flag.append(f"--max-batch={args.batch}")
    run(["llmc", "compile", args.model, "-o", one, *args.compile_flag])
    run(["llmc", "compile", args.model, "-o", several, "--tp", str(args.tp),
         "--pp", str(args.pp), *args.compile_flag])
    device = ["--device", args.device]
    ranks = [*MPIRUN, "-np", str(args.tp * args.pp), "llmc-run", *device,
             several]
    if args.exact_activations:
        # Quantized weights: decode's activations in f32, not rounded to
        # int8 per block of 32 (kernels/cpu). That rounding is
        # discontinuous: the ranks' hidden states, a few ulps from one
        # rank's, flip the odd rounding, and the logits then differ by
        # about 0.1.
        # Ranks on this machine inherit mpirun's environment (no -x, which
        # Open MPI refuses beside the sanitizer job's mca_base_env_list).
        os.environ["LLMC_CPU_ACTIVATIONS"] = "exact"

    if args.golden:
        cases = json.load(open(args.golden))["cases"]
        prompts = [c["prompt_ids"] for c in cases]
        goldens = [c["greedy_ids"] for c in cases]
    else:
        prompts = [[1, 5, 9, 14, 3], [1, 200, 31, 7], [1, 2, 3, 4, 5, 6, 7]]
        goldens = [None] * len(prompts)
    label = f"{name} {layout}" + (f" on {args.device}"
                                  if args.device != "auto" else "")
    for index, (prompt, golden) in enumerate(zip(prompts, goldens)):
        ids = ",".join(map(str, prompt))
        logits = [json.loads(run(command + ["logits", "--prompt-ids", ids,
                                            "--incremental"]))["logits"]
                  for command in (["llmc-run", *device, one], ranks)]
        worst = max(abs(a - b) for row_a, row_b in zip(*logits)
                    for a, b in zip(row_a, row_b))
        # The ranks sum their parts of each row-parallel product in another
        # order than one rank does: f32 rounding, a few ulps of the
        # largest logits.
        scale = max(1.0, max(abs(a) for row in logits[0] for a in row))
        check(len(logits[0]) == len(logits[1]) and worst <= TOLERANCE * scale,
              f"{label} case {index}: logits of {len(prompt)} positions "
              f"within {worst:.1e} of one rank's (largest {scale:.1f})")
        count = str(len(golden) if golden else 24)
        greedy = [json.loads(run(command + ["--json", "generate",
                                            "--prompt-ids", ids, "--max-tokens",
                                            count, "--ignore-eos"]))["ids"]
                  for command in (["llmc-run", *device, one], ranks)]
        same = sum(a == b for a, b in zip(*greedy))
        check(greedy[0] == greedy[1],
              f"{label} case {index}: {same}/{count} greedy ids as one rank's")
        if golden:
            same = sum(a == b for a, b in zip(greedy[1], golden))
            check(greedy[1] == golden,
                  f"{label} case {index}: {same}/{len(golden)} golden ids")
    if args.batch > 1:
        batch = os.path.join(args.work, f"{name}-batch.txt")
        with open(batch, "w") as f:
            for b in range(args.batch):
                f.write(" ".join(str(1 + (b * 7 + i * 13) % 200)
                                 for i in range(4)) + "\n")
        for kind, flags in (("greedy", ["--max-tokens", "24", "--ignore-eos"]),
                            ("sampled", ["--max-tokens", "200",
                                         "--temperature", "1", "--seed", "11",
                                         *args.run_flag])):
            ids = [[s["ids"] for s in json.loads(run(
                command + ["--json", "generate", "--prompt-ids-file", batch,
                           *flags]))["sequences"]]
                   for command in (["llmc-run", *device, one], ranks)]
            check(len(ids[1]) == args.batch and ids[0] == ids[1],
                  f"{label} batch of {args.batch}: "
                  f"{sum(a == b for a, b in zip(*ids))}/{args.batch} "
                  f"sequences' {kind} ids as one rank's (lengths "
                  f"{' '.join(str(len(s)) for s in ids[1])})")


if __name__ == "__main__":
    main()
