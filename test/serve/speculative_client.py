"""llmc-run serve with speculative decoding: the official OpenAI client gets
what plain decoding gives, and /metrics counts the drafts.

usage: speculative_client.py ARTIFACT GOLDEN.json
(ARTIFACT: fortunes3m compiled --kv-layout paged --max-batch 16 --tokenizer
... --draft ...)

Prints one line per check (FileCheck'ed by serve-speculative.test), exits 1
at the first failure:
- the server says it speculates, 2 tokens by default (4 asked below);
- greedy: each golden prompt's completion equals llmc-run generate
  --speculative off on the same artifact (48 tokens, EOS ignored), and
  stopping at EOS equals the golden text PyTorch produced;
- 16 requests at once (rows drafting different numbers of tokens in one
  decode call) give each the text it gets alone;
- sampling: the same seed gives the same text twice, another seed another;
- /metrics, parsed by prometheus_client: drafts were verified and some
  accepted (no more than drafted), the per-position counts fall with the
  position and add up to the accepted tokens, the acceptance gauge is
  their ratio, and the generated tokens are what the client saw;
- preemption: 4 requests of 200 tokens through a pool of 16 blocks are
  preempted and still each give plain decoding's text;
- --draft-tokens 0: plain decoding, no speculative metrics.
"""
import concurrent.futures
import json
import os
import subprocess
import sys

import openai

sys.path.insert(0, os.path.dirname(__file__))
from server import Server, preempting, wait_until  # noqa: E402

artifact, golden_path = sys.argv[1:3]
cases = json.load(open(golden_path))["cases"]
MODEL = os.path.basename(artifact).rsplit(".", 1)[0]


def check(ok, message):
    if not ok:
        sys.exit("FAIL: " + message)


def says(server, words):
    """The server's "ready" line says `words`."""
    wait_until(lambda: any("ready:" in line for line in server.log), 10,
               "the ready line")
    check(any(words in line for line in server.log),
          f"the server does not say {words!r}: {server.log}")


def plain(prompt, tokens):
    out = subprocess.run(["llmc-run", artifact, "--json", "generate",
                          "--speculative", "off", "--prompt", prompt,
                          "--max-tokens", str(tokens), "--ignore-eos"],
                         capture_output=True, text=True)
    check(out.returncode == 0, "llmc-run generate: " + out.stderr)
    return json.loads(out.stdout)["text"]


def complete(client, prompt, max_tokens, seen=None, **extra):
    extra.setdefault("temperature", 0)
    response = client.completions.create(model=MODEL, prompt=prompt,
                                         max_tokens=max_tokens, **extra)
    if seen is not None:
        seen.append(response.usage.completion_tokens)
    return response.choices[0]


def main():
    seen = []
    with Server(artifact) as server:
        says(server, "speculative decoding: 2 tokens drafted by")
    with Server(artifact, "--draft-tokens", "4") as server:
        says(server, "speculative decoding: 4 tokens drafted by")
        client = openai.OpenAI(base_url=server.url + "/v1", api_key="none",
                               max_retries=0, timeout=120)
        alone = {}
        for case in cases:
            reference = plain(case["text"], 48)
            choice = complete(client, case["text"], 48, seen,
                              extra_body={"ignore_eos": True})
            check(choice.text == reference,
                  f"{case['text']!r}: server {choice.text!r}, plain "
                  f"{reference!r}")
            alone[case["text"]] = choice.text
            until_eos = complete(client, case["text"], 48, seen)
            check(until_eos.text == case["greedy_text_until_eos"],
                  f"{case['text']!r} until EOS: {until_eos.text!r}")
        print(f"greedy: {len(cases)} prompts equal plain decoding and, to "
              f"EOS, the golden text")

        prompts = [cases[i % len(cases)]["text"] for i in range(16)]
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            texts = list(pool.map(
                lambda p: complete(client, p, 48, seen,
                                   extra_body={"ignore_eos": True}).text,
                prompts))
        for prompt, text in zip(prompts, texts):
            check(text == alone[prompt], f"concurrent {prompt!r}: {text!r}")
        print("concurrent: 16 requests equal their texts alone")

        sampled = [complete(client, cases[0]["text"], 32, seen,
                            temperature=0.9, seed=seed,
                            extra_body={"ignore_eos": True}).text
                   for seed in (7, 7, 8)]
        check(sampled[0] == sampled[1], f"seed 7 twice: {sampled[:2]}")
        check(sampled[0] != sampled[2], "seeds 7 and 8 gave one text")
        print("sampling: a seed gives its text again, another seed another")

        m = server.metrics()
        drafts = m["vllm:spec_decode_num_drafts_total"]
        drafted = m["vllm:spec_decode_num_draft_tokens_total"]
        accepted = m["vllm:spec_decode_num_accepted_tokens_total"]
        per_pos = [m['vllm:spec_decode_num_accepted_tokens_per_pos_total'
                     f'{{"position": "{i}"}}'] for i in range(4)]
        check(drafts > 0 and 0 < accepted <= drafted <= 4 * drafts,
              f"{drafts} drafts, {drafted} tokens, {accepted} accepted")
        check(sum(per_pos) == accepted and
              all(a >= b for a, b in zip(per_pos, per_pos[1:])),
              f"accepted per position {per_pos}, {accepted} in all")
        rate = m["llmc:spec_decode_acceptance_rate"]
        check(abs(rate - accepted / drafted) < 1e-6, f"acceptance {rate}")
        check(m["vllm:generation_tokens_total"] == sum(seen),
              f"{m['vllm:generation_tokens_total']} generated tokens, the "
              f"client saw {sum(seen)}")
        # The engine publishes its gauges after the step that answered the
        # last request: the scrape may come first.
        wait_until(lambda: server.metrics()["vllm:gpu_cache_usage_perc"] == 0,
                   10, "the KV use to return to 0 at rest")
        print(f"metrics: {int(accepted)} of {int(drafted)} drafted tokens "
              f"accepted in {int(drafts)} drafts, per position "
              f"{[int(a) for a in per_pos]}; {sum(seen)} generated tokens "
              f"as the client saw")

    prompts = [case["text"] for case in cases] + [cases[0]["text"]]
    texts, m = preempting(artifact, prompts, 200)
    check(m["vllm:num_preemptions_total"] > 0, "no request was preempted")
    check(m["vllm:spec_decode_num_accepted_tokens_total"] > 0,
          "nothing accepted")
    for prompt, text in zip(prompts, texts):
        reference = plain(prompt, 200)
        check(text == reference, f"preempted {prompt!r}: {text!r}, "
                                 f"plain {reference!r}")
    print(f"preemption: {int(m['vllm:num_preemptions_total'])} "
          f"preemptions, the 4 texts equal plain decoding's")

    with Server(artifact, "--draft-tokens", "0") as server:
        client = openai.OpenAI(base_url=server.url + "/v1", api_key="none",
                               max_retries=0, timeout=120)
        text = complete(client, cases[0]["text"], 48,
                        extra_body={"ignore_eos": True}).text
        check(text == plain(cases[0]["text"], 48), f"--draft-tokens 0: {text!r}")
        names = [k for k in server.metrics() if "spec_decode" in k]
        check(not names, f"--draft-tokens 0 still reports {names}")
        print("off: --draft-tokens 0 decodes plainly and reports no drafts")


main()
