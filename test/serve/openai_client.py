"""llmc-run serve answers the official OpenAI Python client, computing what
llmc-run generate computes.

usage: openai_client.py ARTIFACT GOLDEN.json TOKENIZER.model MODEL.onnx
(ARTIFACT: MODEL.onnx, fortunes3m, compiled --kv-layout paged --max-batch 16
--tokenizer ... --chat-template chatml)

Prints one line per check (FileCheck'ed by serve-openai.test), exits 1 at
the first failure:
- completions, greedy: each golden prompt's text equals llmc-run
  generate's (48 tokens, EOS ignored), and stopping at EOS equals the
  golden text PyTorch produced;
- 16 requests at once (continuous batching, more than one running at a
  time as /metrics shows) give each the text it gets alone;
- streaming (completions and chat): the chunks join into the text the
  request gets whole, the chat's first chunk carries the role;
- chat: the chatml prompt, tokenized by SentencePiece's Python package,
  through llmc-run generate gives the server's answer;
- log-probabilities: a completion's tokens and top 3 equal onnxruntime's
  log-softmax of the same ids; a chat's streamed equal its whole;
- an error: a completion longer than the context raises
  openai.BadRequestError (400) naming both lengths;
- /metrics, parsed by prometheus_client, counts the tokens and requests
  the client saw; at rest nothing runs and no KV block is held;
- preemption: 4 requests of 200 tokens through a pool of 16 blocks are
  preempted (counted) and still each give generate's text.
"""
import concurrent.futures
import json
import os
import subprocess
import sys
import threading

import numpy as np
import onnxruntime
import openai
import sentencepiece

sys.path.insert(0, os.path.dirname(__file__))
from server import Server, preempting, wait_until  # noqa: E402

artifact, golden_path, tokenizer_path, onnx_path = sys.argv[1:5]
cases = json.load(open(golden_path))["cases"]
MODEL = os.path.basename(artifact).rsplit(".", 1)[0]


def check(ok, message):
    if not ok:
        sys.exit("FAIL: " + message)


def generate(*args):
    out = subprocess.run(["llmc-run", artifact, "--json", "generate", *args],
                         capture_output=True, text=True)
    check(out.returncode == 0, "llmc-run generate: " + out.stderr)
    return json.loads(out.stdout)["text"]


class Counts:
    """What the client saw, to compare with /metrics."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = self.prompt = self.completion = 0

    def add(self, usage):
        with self.lock:
            self.requests += 1
            self.prompt += usage.prompt_tokens
            self.completion += usage.completion_tokens


def complete(client, counts, prompt, max_tokens, **extra):
    response = client.completions.create(model=MODEL, prompt=prompt,
                                         max_tokens=max_tokens, temperature=0,
                                         **extra)
    counts.add(response.usage)
    return response.choices[0]


def main():
    counts = Counts()
    with Server(artifact) as server:
        client = openai.OpenAI(base_url=server.url + "/v1", api_key="none",
                               max_retries=0, timeout=120)
        check([m.id for m in client.models.list().data] == [MODEL],
              "/v1/models")

        # Alone, against llmc-run generate and the golden text.
        alone = {}
        for case in cases:
            reference = generate("--prompt", case["text"], "--max-tokens",
                                 "48", "--ignore-eos")
            choice = complete(client, counts, case["text"], 48,
                              extra_body={"ignore_eos": True})
            check(choice.text == reference,
                  f"{case['text']!r}: server {choice.text!r}, "
                  f"generate {reference!r}")
            check(choice.finish_reason == "length", choice.finish_reason)
            alone[case["text"]] = choice.text
            until_eos = complete(client, counts, case["text"], 48)
            check(until_eos.text == case["greedy_text_until_eos"] and
                  until_eos.finish_reason == "stop",
                  f"{case['text']!r} until EOS: {until_eos.text!r} "
                  f"({until_eos.finish_reason}), golden "
                  f"{case['greedy_text_until_eos']!r}")
        print(f"alone: {len(cases)} prompts equal llmc-run generate and, to "
              f"EOS, the golden text")

        # 16 at once, while a thread watches how many run together.
        most_running = [0]
        done = threading.Event()

        def watch():
            while not done.is_set():
                running = server.metrics()["vllm:num_requests_running"]
                most_running[0] = max(most_running[0], running)

        watcher = threading.Thread(target=watch)
        watcher.start()
        prompts = [cases[i % len(cases)]["text"] for i in range(16)]
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            results = list(pool.map(
                lambda p: complete(client, counts, p, 48,
                                   extra_body={"ignore_eos": True}).text,
                prompts))
        done.set()
        watcher.join()
        for prompt, text in zip(prompts, results):
            check(text == alone[prompt], f"concurrent {prompt!r}: {text!r}")
        check(most_running[0] > 1, f"at most {most_running[0]} running")
        print(f"concurrent: 16 requests equal their texts alone "
              f"(up to {int(most_running[0])} running at once)")

        # Streaming.
        text = ""
        for chunk in client.completions.create(
                model=MODEL, prompt=cases[0]["text"], max_tokens=48,
                temperature=0, stream=True, extra_body={"ignore_eos": True},
                stream_options={"include_usage": True}):
            if chunk.usage:
                counts.add(chunk.usage)
            for choice in chunk.choices:
                text += choice.text
        check(text == alone[cases[0]["text"]], f"streamed {text!r}")
        messages = [{"role": "system", "content": "Say a fortune."},
                    {"role": "user", "content": "Tell me about computers"}]
        whole = client.chat.completions.create(
            model=MODEL, messages=messages, max_tokens=30, temperature=0)
        counts.add(whole.usage)
        pieces, roles = [], []
        for chunk in client.chat.completions.create(
                model=MODEL, messages=messages, max_tokens=30, temperature=0,
                stream=True, stream_options={"include_usage": True}):
            if chunk.usage:
                counts.add(chunk.usage)
            for choice in chunk.choices:
                roles.append(choice.delta.role)
                pieces.append(choice.delta.content or "")
        check("".join(pieces) == whole.choices[0].message.content,
              f"chat streamed {''.join(pieces)!r}, whole "
              f"{whole.choices[0].message.content!r}")
        check(roles[0] == "assistant", f"first chunk's role {roles[0]}")
        print(f"streaming: completions and chat chunks join into the whole "
              f"text ({len(pieces)} chat chunks)")

        # Chat: the chatml prompt through generate.
        chatml = "".join(f"<|im_start|>{m['role']}\n{m['content']}"
                         f"<|im_end|>\n" for m in messages)
        chatml += "<|im_start|>assistant\n"
        ids = sentencepiece.SentencePieceProcessor(
            model_file=tokenizer_path).encode(chatml)
        reference = generate("--prompt-ids", ",".join(map(str, ids)),
                             "--max-tokens", "30")
        check(whole.choices[0].message.content == reference,
              f"chat {whole.choices[0].message.content!r}, generate on the "
              f"chatml prompt {reference!r}")
        check(whole.usage.prompt_tokens == len(ids), "chat prompt tokens")
        print(f"chat: the answer equals generate on the chatml prompt "
              f"({len(ids)} tokens)")

        # An error.
        try:
            client.completions.create(model=MODEL, prompt=cases[0]["text"],
                                      max_tokens=1000)
            check(False, "a completion past the context was accepted")
        except openai.BadRequestError as error:
            message = str(error)
            check(error.status_code == 400 and "256" in message and
                  "1006" in message, message)
            print(f"error: {error.status_code} {error.body['message']}")

        # Log-probabilities, against onnxruntime's logits of the same ids
        # (the greedy ids are the golden ones).
        case = cases[1]
        steps = 8
        response = client.completions.create(
            model=MODEL, prompt=case["text"], max_tokens=steps, temperature=0,
            logprobs=3, extra_body={"ignore_eos": True})
        counts.add(response.usage)
        got = response.choices[0].logprobs
        ids = case["prompt_ids"] + case["greedy_ids"][:steps]
        session = onnxruntime.InferenceSession(onnx_path)
        logits = session.run(None, {"input_ids": np.array([ids])})[0][0]
        rows = logits[len(case["prompt_ids"]) - 1:-1].astype(np.float64)
        reference = rows - np.log(np.exp(rows - rows.max(1, keepdims=True))
                                  .sum(1, keepdims=True)) - \
            rows.max(1, keepdims=True)
        worst = 0.0
        for i, token in enumerate(case["greedy_ids"][:steps]):
            worst = max(worst, abs(got.token_logprobs[i] - reference[i, token]))
            top = sorted(got.top_logprobs[i].values(), reverse=True)
            best = np.sort(reference[i])[::-1][:3]
            worst = max(worst, float(np.abs(np.array(top) - best).max()))
            check(len(top) == 3 and top[0] == got.token_logprobs[i],
                  f"token {i}: {got.top_logprobs[i]}")
        check(worst < 1e-3, f"log-probabilities differ by {worst}")
        stream_lps = []
        for chunk in client.chat.completions.create(
                model=MODEL, messages=messages, max_tokens=6, temperature=0,
                logprobs=True, top_logprobs=2, stream=True,
                stream_options={"include_usage": True}):
            if chunk.usage:
                counts.add(chunk.usage)
            for choice in chunk.choices:
                if choice.logprobs:
                    stream_lps += choice.logprobs.content
        whole = client.chat.completions.create(
            model=MODEL, messages=messages, max_tokens=6, temperature=0,
            logprobs=True, top_logprobs=2)
        counts.add(whole.usage)
        check([(t.token, t.logprob) for t in stream_lps] ==
              [(t.token, t.logprob) for t in whole.choices[0].logprobs.content]
              and len(stream_lps) == 6 and
              all(len(t.top_logprobs) == 2 for t in stream_lps),
              "chat log-probabilities streamed and whole differ")
        print(f"logprobs: {steps} tokens and their top 3 within {worst:.1e} "
              f"of onnxruntime's log-softmax; chat's streamed equal whole")

        # The metrics agree with the client.
        metrics = server.metrics()
        success = sum(v for k, v in metrics.items()
                      if k.startswith("vllm:request_success_total"))
        for name, seen in [("vllm:generation_tokens_total", counts.completion),
                           ("vllm:prompt_tokens_total", counts.prompt),
                           ("vllm:e2e_request_latency_seconds_count",
                            counts.requests),
                           ("vllm:time_to_first_token_seconds_count",
                            counts.requests)]:
            check(metrics[name] == seen, f"{name} {metrics[name]}, client "
                                         f"saw {seen}")
        check(success == counts.requests, f"successes {success}")
        # The engine publishes its gauges after the step that answered the
        # last request: the scrape may come first.
        def at_rest():
            now = server.metrics()
            return (now["vllm:num_requests_running"] == 0 and
                    now["vllm:gpu_cache_usage_perc"] == 0)

        wait_until(at_rest, 10, "the engine at rest")
        print(f"metrics: {counts.requests} requests, {counts.prompt} prompt "
              f"and {counts.completion} generated tokens, as the client saw",
              flush=True)

    # Preemption: a pool of one sequence's blocks for 4 long requests.
    prompts = [case["text"] for case in cases] + [cases[0]["text"]]
    texts, metrics = preempting(artifact, prompts, 200)
    preemptions = metrics["vllm:num_preemptions_total"]
    check(preemptions > 0, "no request was preempted")
    for prompt, text in zip(prompts, texts):
        reference = generate("--prompt", prompt, "--max-tokens", "200",
                             "--ignore-eos")
        check(text == reference, f"preempted {prompt!r}: {text!r}, "
                                 f"generate {reference!r}")
    print(f"preemption: {int(preemptions)} preemptions, the 4 texts "
          f"equal generate's")


main()
