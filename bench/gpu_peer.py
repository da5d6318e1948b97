"""The PyTorch peer of `llmc-run bench` on a GPU: Hugging Face's
LlamaForCausalLM of the same shape, fp16, random weights, decoding with its
own KV cache.

usage: gpu_peer.py CONFIG.json [--prompt-len 16] [--gen 64] [--repeat 5]
                   [--json out.json]

CONFIG.json is the config.json of a bench/export_llama_past.py folder (the
model llmc compiled). Prints prefill and decode speed like llmc-run bench
(median over --repeat runs after a warm-up) and the weight bandwidth decode
achieves; the GPU check (scripts/gpu-check.sh) runs it beside llmc's bench.
"""
import argparse
import json
import statistics
import time

import torch
import transformers as tf

parser = argparse.ArgumentParser()
parser.add_argument("config")
parser.add_argument("--prompt-len", type=int, default=16)
parser.add_argument("--gen", type=int, default=64)
parser.add_argument("--repeat", type=int, default=5)
parser.add_argument("--json")
args = parser.parse_args()

config = tf.LlamaConfig.from_dict(json.load(open(args.config)))
torch.manual_seed(0)
model = tf.LlamaForCausalLM(config).to(torch.float16).cuda().eval()
weight_bytes = sum(p.numel() * p.element_size() for p in model.parameters())


@torch.inference_mode()
def run(seed):
    generator = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, config.vocab_size, (1, args.prompt_len),
                        generator=generator).cuda()
    torch.cuda.synchronize()
    start = time.perf_counter()
    out = model(input_ids=ids, use_cache=True)
    past, token = out.past_key_values, out.logits[:, -1:].argmax(-1)
    torch.cuda.synchronize()
    ttft = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(args.gen):
        out = model(input_ids=token, past_key_values=past, use_cache=True)
        past, token = out.past_key_values, out.logits[:, -1:].argmax(-1)
    torch.cuda.synchronize()
    return ttft, (time.perf_counter() - start) / args.gen


run(0)
runs = [run(r + 1) for r in range(args.repeat)]
ttft = statistics.median(r[0] for r in runs)
tpot = statistics.median(r[1] for r in runs)
result = {"engine": "pytorch " + torch.__version__ + " fp16 eager",
          "device": torch.cuda.get_device_name(), "weight_bytes": weight_bytes,
          "prompt_len": args.prompt_len, "gen": args.gen,
          "ttft_ms": ttft * 1e3, "tpot_ms": tpot * 1e3,
          "decode_tokens_per_s": 1 / tpot,
          "weight_gb_per_s": weight_bytes / tpot / 1e9}
print(f"| pytorch fp16 | {args.prompt_len} | {args.gen} | {ttft * 1e3:.2f} | "
      f"{tpot * 1e3:.3f} | {1 / tpot:.1f} | {weight_bytes / tpot / 1e9:.1f} |")
if args.json:
    json.dump(result, open(args.json, "w"), indent=1)
