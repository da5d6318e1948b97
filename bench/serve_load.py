"""llmc-run serve under load: throughput, TTFT and TPOT against the offered
rate, continuous batching against one request at a time, chunked prefill
on and off, and 2x overload.

usage: serve_load.py [--models fortunes3m,llama-110m] [--work /tmp/serve-load]
                     [--duration 40] [--threads 2] [--out bench/results]

A bounded load generator on loopback (aiohttp, streaming completions with
usage): requests arrive as a Poisson process at each offered rate for
--duration seconds (seeded), each a passage of fortunes3m.eval.txt as its
prompt (token ids, as POST /tokenize gives them) and an output length drawn
from the passages' token counts (16..128, EOS ignored so that lengths hold).
For each model:
1. Saturation: 32 clients, each sending its next request when its last
   one ends (the batch of --max-batch 16 and the queue of 16 kept full),
   for --duration; the requests served per second is the saturation
   rate S, the most the server sustains.
2. Offered rates 0.25 S .. 2 S: completed requests/s and output tokens/s,
   TTFT and TPOT p50/p99 of the requests served, the requests refused
   (429) and how fast, the server's peak RSS. At 2 S the admitted
   requests' p99 TTFT is compared with its value at S.
3. Continuous batching against one request at a time (--max-batch 1) at
   the offered rate S: the ratio of output tokens/s.
4. Chunked prefill off, and on with two --step-tokens budgets: 8
   requests decoding (short prompts, 200 tokens each) while 3 long
   prompts (the context's length less 8) arrive 2 s apart; the decoding
   requests' TPOT and inter-token latency, p50 and p99, and the longest
   gap.
5. With --peer, on llama-110m: llmc and llama.cpp's llama-server on the
   same f32 weights, taking turns: saturation and 0.5, 1 and 2 x S.
Every run scrapes /metrics each second (prometheus_client's parser) and
checks at its end that vllm:generation_tokens_total,
vllm:prompt_tokens_total, vllm:request_success_total and
llmc:requests_rejected_total moved by what the generator counted.

fortunes3m is the trained model (context 256); llama-110m has random
weights (bench/../shared/tools/make_llama_onnx.py, context 1024, the Llama
2 tokenizer). Writes OUT/serve-load.json, OUT/serve-load.md and
OUT/serve-load.png.
"""
import argparse
import asyncio
import json
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from compare import BIN  # noqa: E402

SHARED = os.path.join(HERE, "..", "..", "shared")
MODELS = os.path.join(SHARED, "models")
MAKE = os.path.join(SHARED, "tools", "make_llama_onnx.py")
RATES = [0.25, 0.5, 0.75, 1.0, 1.5, 2.0]


def cpu_isa():
    """The widest vector ISA of this machine's CPU, as benchmarks name it."""
    flags = open("/proc/cpuinfo").read()
    return "AVX-512 VNNI" if "avx512_vnni" in flags else (
        "AVX-512" if "avx512f" in flags else "AVX2")


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    low = int(k)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (k - low)


class Server:
    """llmc-run serve."""
    metrics = True
    name = "llmc"

    def __init__(self, artifact, threads, *args):
        self.command = [os.path.join(BIN, "llmc-run"), artifact, "--threads",
                        str(threads), "serve", "--port", "0", *args]

    def __enter__(self):
        self.process = subprocess.Popen(self.command, stdout=subprocess.PIPE,
                                        text=True)
        line = self.process.stdout.readline()
        if "listening on" not in line:
            sys.exit(f"serve_load: the server did not start: {line}")
        self.url = line.split("listening on ")[1].strip()
        self.process.stdout.readline()  # "ready": loaded
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=120)

    def rss(self):
        with open(f"/proc/{self.process.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0


class LlamaServer(Server):
    """llama.cpp's llama-server on the same weights (a GGUF of the
    Hugging Face model the ONNX file was exported from): `slots` requests
    decoding at once over a context of `context` tokens each, its own
    continuous batching; its queue has no bound."""
    metrics = False
    name = "llama.cpp"

    def __init__(self, binary, gguf, threads, slots, context):
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.command = [binary, "-m", gguf, "-t", str(threads), "-tb",
                        str(threads), "-c", str(slots * context), "-np",
                        str(slots), "--host", "127.0.0.1", "--port",
                        str(self.port)]

    def __enter__(self):
        self.log = open(os.path.join(tempfile.gettempdir(),
                                     "llama-server.log"), "w")
        self.process = subprocess.Popen(self.command, stdout=self.log,
                                        stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 300
        while time.time() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"serve_load: llama-server exited; see {self.log.name}")
            try:
                with urllib.request.urlopen(self.url + "/health",
                                            timeout=5) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(0.2)
        sys.exit("serve_load: llama-server did not get ready")


def counters(text):
    """The counters the generator checks, from /metrics text."""
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name in ("vllm:generation_tokens_total",
                               "vllm:prompt_tokens_total"):
                out[sample.name] = sample.value
            elif sample.name == "vllm:request_success_total":
                out["success"] = out.get("success", 0) + sample.value
            elif sample.name == "llmc:requests_rejected_total" and \
                    sample.labels["reason"] == "queue_full":
                out["rejected"] = sample.value
    return out


async def scrape(session, url):
    async with session.get(url + "/metrics") as response:
        return counters(await response.text())


async def request(session, url, prompt, max_tokens, results):
    body = {"prompt": prompt, "max_tokens": max_tokens, "temperature": 0,
            "ignore_eos": True, "stream": True,
            "stream_options": {"include_usage": True}}
    start = time.perf_counter()
    record = {"start": start, "prompt": len(prompt), "asked": max_tokens}
    results.append(record)
    async with session.post(url + "/v1/completions", json=body) as response:
        record["status"] = response.status
        if response.status != 200:
            await response.read()
            record["answered"] = time.perf_counter() - start
            return record
        times = []
        async for line in response.content:
            if not line.startswith(b"data: "):
                continue
            data = line[6:].strip()
            if data == b"[DONE]":
                break
            chunk = json.loads(data)
            if chunk.get("usage"):
                record["usage"] = chunk["usage"]
            if chunk["choices"] and chunk["choices"][0]["text"]:
                times.append(time.perf_counter())
        end = time.perf_counter()
    # A peer that sends no usage: its chunks are its tokens.
    record.setdefault("usage", {"completion_tokens": len(times),
                                "prompt_tokens": len(prompt)})
    n = record["usage"]["completion_tokens"]
    record["ttft"] = times[0] - start if times else end - start
    record["e2e"] = end - start
    record["tpot"] = (end - times[0]) / (n - 1) if times and n > 1 else None
    record["itl"] = [b - a for a, b in zip(times, times[1:])]
    return record


async def run_load(server, workload, rate, duration, seed):
    """Poisson arrivals at `rate` for `duration` s: the records, the peak
    RSS and the metrics' movement."""
    rng = random.Random(seed)
    arrivals, t = [], 0.0
    while True:
        t += rng.expovariate(rate)
        if t > duration:
            break
        arrivals.append((t, *rng.choice(workload)))
    results, peak = [], [server.rss()]
    # A connection per request: a kept-alive one the server closes (after
    # 2 s idle) just as a request goes out fails that request.
    connector = aiohttp.TCPConnector(limit=512, force_close=True)
    timeout = aiohttp.ClientTimeout(total=1800)
    async with aiohttp.ClientSession(connector=connector,
                                     timeout=timeout) as session:
        before = await scrape(session, server.url) if server.metrics else {}
        begin = time.perf_counter()
        done = asyncio.Event()

        async def watch():
            while not done.is_set():
                if server.metrics:
                    await scrape(session, server.url)  # parses, or raises
                peak[0] = max(peak[0], server.rss())
                await asyncio.sleep(1.0)

        watcher = asyncio.create_task(watch())
        tasks = []
        for at, prompt, max_tokens in arrivals:
            delay = begin + at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(
                request(session, server.url, prompt, max_tokens, results)))
        await asyncio.gather(*tasks)
        done.set()
        await watcher
        after = await scrape(session, server.url) if server.metrics else {}
    served = [r for r in results if r["status"] == 200]
    refused = [r for r in results if r["status"] in (429, 503)]
    seen = {"vllm:generation_tokens_total":
            sum(r["usage"]["completion_tokens"] for r in served),
            "vllm:prompt_tokens_total":
            sum(r["usage"]["prompt_tokens"] for r in served),
            "success": len(served), "rejected": len(refused)}
    for key, value in seen.items() if server.metrics else []:
        moved = after.get(key, 0) - before.get(key, 0)
        if moved != value:
            sys.exit(f"serve_load: /metrics {key} moved {moved}, the "
                     f"generator counted {value}")
    if len(served) + len(refused) != len(results):
        sys.exit("serve_load: statuses other than 200/429: " +
                 str({r["status"] for r in results}))
    span = max(r["start"] + r["e2e"] for r in served) - begin
    return {"offered": rate, "requests": len(results), "served": len(served),
            "refused": len(refused),
            "refused_answer_ms_p99": 1000 * percentile(
                [r["answered"] for r in refused], 99) if refused else None,
            "req_per_s": len(served) / span,
            "tok_per_s": seen["vllm:generation_tokens_total"] / span,
            "ttft_p50": percentile([r["ttft"] for r in served], 50),
            "ttft_p99": percentile([r["ttft"] for r in served], 99),
            "tpot_p50": percentile([r["tpot"] for r in served if r["tpot"]],
                                   50),
            "tpot_p99": percentile([r["tpot"] for r in served if r["tpot"]],
                                   99),
            "peak_rss": peak[0], "metrics_agree": server.metrics,
            "records": served}


async def closed_loop(server, workload, workers, duration, seed):
    """`workers` clients, each sending its next request when its last one
    ends, for `duration` s: the batch kept full without a queue. Served
    requests per second is the saturation rate."""
    rng = random.Random(seed)
    results = []
    timeout = aiohttp.ClientTimeout(total=1800)
    async with aiohttp.ClientSession(
            timeout=timeout,
            connector=aiohttp.TCPConnector(force_close=True)) as session:
        before = await scrape(session, server.url) if server.metrics else {}
        begin = time.perf_counter()

        async def worker():
            while time.perf_counter() - begin < duration:
                prompt, max_tokens = rng.choice(workload)
                record = await request(session, server.url, prompt,
                                       max_tokens, results)
                if record["status"] != 200:
                    # Refused (the queue's bound counts a step late): as
                    # Retry-After says, a moment later.
                    await asyncio.sleep(0.05)

        await asyncio.gather(*(worker() for _ in range(workers)))
        span = time.perf_counter() - begin
        after = await scrape(session, server.url) if server.metrics else {}
    results = [r for r in results if r["status"] == 200]
    tokens = sum(r["usage"]["completion_tokens"] for r in results)
    if server.metrics and tokens != after["vllm:generation_tokens_total"] - \
            before["vllm:generation_tokens_total"]:
        sys.exit("serve_load: /metrics disagrees with the closed loop")
    return {"requests": len(results), "req_per_s": len(results) / span,
            "tok_per_s": tokens / span,
            "tpot_p50": percentile([r["tpot"] for r in results if r["tpot"]],
                                   50),
            "tpot_p99": percentile([r["tpot"] for r in results if r["tpot"]],
                                   99)}


async def chunk_run(server, short, long_prompt, steps):
    """8 decoding requests while 3 long prompts arrive 2 s apart."""
    results, longs = [], []
    timeout = aiohttp.ClientTimeout(total=1800)
    async with aiohttp.ClientSession(
            timeout=timeout,
            connector=aiohttp.TCPConnector(force_close=True)) as session:
        decoders = [asyncio.create_task(request(session, server.url, p,
                                                steps, results))
                    for p in short[:8]]
        await asyncio.sleep(1.0)
        for _ in range(3):
            longs.append(asyncio.create_task(request(
                session, server.url, long_prompt, 1, [])))
            await asyncio.sleep(2.0)
        await asyncio.gather(*decoders, *longs)
    itl = [gap for r in results for gap in r["itl"]]
    return {"tpot_p50": percentile([r["tpot"] for r in results], 50),
            "tpot_p99": percentile([r["tpot"] for r in results], 99),
            "itl_p50": percentile(itl, 50), "itl_p99": percentile(itl, 99),
            "itl_max": max(itl)}


def prepare(model, work):
    """(artifact, context, workload of (prompt ids, output length), a long
    prompt)."""
    os.makedirs(work, exist_ok=True)
    if model == "fortunes3m":
        onnx_path = os.path.join(MODELS, "fortunes3m.onnx")
        tokenizer = os.path.join(MODELS, "fortunes3m.tokenizer.model")
        context = 256
    else:
        # export_llama_past.py's folder: the ONNX file and the Hugging Face
        # model it came from, which llama.cpp reads as a GGUF.
        folder = os.path.join(work, "llama-110m-past")
        onnx_path = os.path.join(folder, "model.onnx")
        if not os.path.exists(onnx_path):
            subprocess.run([sys.executable,
                            os.path.join(HERE, "export_llama_past.py"),
                            "--preset", "llama-110m", "-o", folder],
                           check=True, capture_output=True)
        tokenizer = os.path.join(MODELS, "llama2-tokenizer.model")
        context = 1024
    artifact = os.path.join(work, f"{model}-serve.llmc")
    if not os.path.exists(artifact):
        subprocess.run([os.path.join(BIN, "llmc"), "compile", onnx_path, "-o",
                        artifact, "--max-seq", str(context), "--max-batch",
                        "16", "--kv-layout", "paged", "--tokenizer",
                        tokenizer], check=True, capture_output=True)
    with open(os.path.join(MODELS, "fortunes3m.eval.txt")) as f:
        passages = [p.strip() for p in f.read().split("\n\n") if p.strip()]
    return artifact, context, tokenizer, passages


async def tokenized(server, passages):
    async with aiohttp.ClientSession() as session:
        out = []
        for text in passages:
            async with session.post(server.url + "/tokenize",
                                    json={"prompt": text}) as response:
                out.append((await response.json())["tokens"])
        return out


def bench_model(model, args, report):
    artifact, context, _, passages = prepare(model, args.work)
    rng = random.Random(5)
    with Server(artifact, args.threads, "--max-queue", "16") as server:
        ids = asyncio.run(tokenized(server, passages))
        lengths = [len(i) for i in ids]
        workload = [(p, min(max(rng.choice(lengths), 16), 128))
                    for p in ids if len(p) + 128 <= context]
        flood = asyncio.run(closed_loop(server, workload, 32, args.duration,
                                        1))
        saturation = flood["req_per_s"]
        print(f"{model}: saturation {saturation:.2f} req/s "
              f"({flood['tok_per_s']:.0f} tok/s)", flush=True)
        rows = []
        for i, factor in enumerate(RATES):
            row = asyncio.run(run_load(server, workload, factor * saturation,
                                       args.duration, 10 + i))
            row["factor"] = factor
            rows.append(row)
            print(f"  {factor:.2f} S: {row['req_per_s']:.2f} req/s, TTFT p99 "
                  f"{row['ttft_p99']:.2f} s, refused {row['refused']}",
                  flush=True)
    with Server(artifact, args.threads, "--max-queue", "16",
                "--max-batch", "1") as server:
        single = asyncio.run(run_load(server, workload, saturation,
                                      args.duration, 13))
    print(f"  one at a time: {single['tok_per_s']:.0f} tok/s", flush=True)
    # Chunked prefill: a prompt of the context less 8, from the passages.
    long_prompt = [t for p in ids for t in p][:context - 8]
    short = [p[:16] for p in ids[:8]]
    steps = min(200, context - 24)
    budgets = ["256", "64"] if context > 256 else ["64", "16"]
    chunks = {}
    for label, flags in [("off", ["--no-chunked-prefill"])] + [
            (f"on, {b}", ["--step-tokens", b]) for b in budgets]:
        with Server(artifact, args.threads, *flags) as server:
            chunks[label] = asyncio.run(chunk_run(server, short, long_prompt,
                                                  steps))
        print(f"  chunked prefill {label}: TPOT p99 "
              f"{chunks[label]['tpot_p99'] * 1000:.1f} ms", flush=True)
    peers = peer_runs(model, artifact, args, workload, saturation) \
        if args.peer and model == "llama-110m" else None
    for row in rows + [single]:
        row.pop("records", None)
    report[model] = {"context": context, "saturation": saturation,
                     "flood": flood, "rates": rows, "one_at_a_time": single,
                     "chunked": chunks,
                     "long_prompt": len(long_prompt), "peers": peers}


def peer_runs(model, artifact, args, workload, saturation):
    """llmc and llama.cpp's llama-server on the same weights, taking
    turns: each one's saturation (32 closed-loop clients), then Poisson
    arrivals at 0.5, 1 and 2 x llmc's S."""
    import llama_cpp
    binary = llama_cpp.server()
    gguf = llama_cpp.gguf(os.path.join(args.work, "llama-110m-past"), "f32")

    def start(name):
        if name == "llmc":
            return Server(artifact, args.threads, "--max-queue", "16")
        return LlamaServer(binary, gguf, args.threads, 16, 1024)

    out = {"llmc": {}, "llama.cpp": {}}
    for name in out:
        with start(name) as server:
            out[name]["saturation"] = asyncio.run(closed_loop(
                server, workload, 32, args.duration, 1))
        print(f"  {name}: saturation "
              f"{out[name]['saturation']['req_per_s']:.2f} req/s", flush=True)
    for i, factor in enumerate([0.5, 1.0, 2.0]):
        for name in out:
            with start(name) as server:
                row = asyncio.run(run_load(server, workload,
                                           factor * saturation,
                                           args.duration, 20 + i))
            row.pop("records")
            out[name][str(factor)] = row
            print(f"  {name} at {factor} S: {row['req_per_s']:.2f} req/s, "
                  f"TTFT p99 {row['ttft_p99']:.2f} s, TPOT p50 "
                  f"{row['tpot_p50'] * 1000:.0f} ms", flush=True)
    return out


def markdown(report, header):
    lines = [header, ""]
    for model, r in report.items():
        if not isinstance(r, dict) or "rates" not in r:
            continue
        lines += [f"## {model} (context {r['context']}, --max-batch 16, "
                  f"--max-queue 16)", "",
                  f"Saturation S = {r['saturation']:.2f} requests/s "
                  f"({r['flood']['tok_per_s']:.0f} output tokens/s): 32 "
                  f"clients (the batch and the queue) each sending its next "
                  f"request when its last ends ({r['flood']['requests']} "
                  f"requests).", "",
                  "| offered | req/s | output tok/s | TTFT p50 | TTFT p99 | "
                  "TPOT p50 | TPOT p99 | served | refused (p99 answer) | "
                  "peak RSS |", "|---|---|---|---|---|---|---|---|---|---|"]
        for row in r["rates"]:
            refused = (f"{row['refused']} ({row['refused_answer_ms_p99']:.0f}"
                       " ms)" if row["refused"] else "0")
            lines.append(
                f"| {row['factor']:.2f} S = {row['offered']:.2f}/s | "
                f"{row['req_per_s']:.2f} | {row['tok_per_s']:.0f} | "
                f"{row['ttft_p50'] * 1000:.0f} ms | "
                f"{row['ttft_p99'] * 1000:.0f} ms | "
                f"{row['tpot_p50'] * 1000:.1f} ms | "
                f"{row['tpot_p99'] * 1000:.1f} ms | {row['served']} | "
                f"{refused} | {row['peak_rss'] / 2**20:.0f} MiB |")
        at = {row["factor"]: row for row in r["rates"]}
        ratio = at[2.0]["ttft_p99"] / at[1.0]["ttft_p99"]
        single = r["one_at_a_time"]
        lines += ["", f"- 2x overload: admitted requests' TTFT p99 "
                  f"{at[2.0]['ttft_p99']:.2f} s against {at[1.0]['ttft_p99']:.2f}"
                  f" s at S ({ratio:.2f}x); {at[2.0]['refused']} refused, "
                  f"answered within {at[2.0]['refused_answer_ms_p99'] or 0:.0f}"
                  f" ms (p99); peak RSS {at[2.0]['peak_rss'] / 2**20:.0f} MiB "
                  f"against {at[1.0]['peak_rss'] / 2**20:.0f} MiB at S.",
                  f"- Continuous batching against one request at a time "
                  f"(--max-batch 1) at S: {at[1.0]['tok_per_s']:.0f} against "
                  f"{single['tok_per_s']:.0f} output tokens/s "
                  f"({at[1.0]['tok_per_s'] / single['tok_per_s']:.1f}x); "
                  f"one at a time served {single['served']} of "
                  f"{single['requests']}.",
                  f"- Chunked prefill: 8 requests decoding while 3 prompts "
                  f"of {r['long_prompt']} tokens arrive 2 s apart; the "
                  f"decoding requests' TPOT p50 / p99, inter-token p50 / "
                  f"p99 and longest gap: " + "; ".join(
                      f"{label} {c['tpot_p50'] * 1000:.1f} / "
                      f"{c['tpot_p99'] * 1000:.1f} ms, "
                      f"{c['itl_p50'] * 1000:.0f} / "
                      f"{c['itl_p99'] * 1000:.0f} ms, "
                      f"{c['itl_max'] * 1000:.0f} ms"
                      for label, c in r["chunked"].items()) + ".",
                  "- /metrics, scraped every second and parsed by "
                  "prometheus_client, moved by the generator's counts in "
                  "every run.", ""]
        if r.get("peers"):
            p = r["peers"]
            lines += ["Against llama.cpp's llama-server (same f32 weights, "
                      "16 slots of 1024 tokens, taking turns; its queue has "
                      "no bound):", "",
                      "| run | engine | req/s | output tok/s | TTFT p50 | "
                      "TTFT p99 | TPOT p50 | TPOT p99 | refused |",
                      "|---|---|---|---|---|---|---|---|---|"]
            for name in ("llmc", "llama.cpp"):
                sat = p[name]["saturation"]
                lines.append(f"| saturation (32 clients) | {name} | "
                             f"{sat['req_per_s']:.2f} | "
                             f"{sat['tok_per_s']:.0f} | | | | | |")
            for factor in ("0.5", "1.0", "2.0"):
                for name in ("llmc", "llama.cpp"):
                    row = p[name][factor]
                    lines.append(
                        f"| {factor} x S = {row['offered']:.2f}/s | {name} | "
                        f"{row['req_per_s']:.2f} | {row['tok_per_s']:.0f} | "
                        f"{row['ttft_p50'] * 1000:.0f} ms | "
                        f"{row['ttft_p99'] * 1000:.0f} ms | "
                        f"{row['tpot_p50'] * 1000:.1f} ms | "
                        f"{row['tpot_p99'] * 1000:.1f} ms | "
                        f"{row['refused']} |")
            lines.append("")
    return lines


def plot(report, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for model, r in report.items():
        if not isinstance(r, dict) or "rates" not in r:
            continue
        offered = [row["factor"] for row in r["rates"]]
        left.plot(offered, [row["req_per_s"] / r["saturation"]
                            for row in r["rates"]], "o-", label=model)
        right.plot(offered, [row["ttft_p99"] for row in r["rates"]], "o-",
                   label=f"{model} TTFT p99")
    left.plot([0, 2], [0, 2], ":", color="grey", label="served = offered")
    left.set_xlabel("offered rate / saturation S")
    left.set_ylabel("served rate / S")
    right.set_xlabel("offered rate / saturation S")
    right.set_ylabel("seconds")
    right.set_yscale("log")
    for axis in (left, right):
        axis.legend()
        axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default="fortunes3m,llama-110m")
    parser.add_argument("--work", default="/tmp/serve-load")
    parser.add_argument("--duration", type=float, default=40)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default=os.path.join(HERE, "results"))
    parser.add_argument("--peer", action="store_true",
                        help="also llama.cpp's llama-server on llama-110m's "
                        "weights (built from PyPI's llama-cpp-python sdist)")
    args = parser.parse_args()
    isa = cpu_isa()
    report = {"machine": platform.machine(), "isa": isa,
              "threads": args.threads, "duration": args.duration}
    for model in args.models.split(","):
        bench_model(model, args, report)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "serve-load.json"), "w") as f:
        json.dump(report, f, indent=1)
    lines = markdown(report, f"# llmc-run serve under load ({platform.machine()}"
                     f", {isa}, {args.threads} threads, {args.duration:.0f} s "
                     "per rate)")
    with open(os.path.join(args.out, "serve-load.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    plot(report, os.path.join(args.out, "serve-load.png"))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
