"""llmc-run serve refuses bad requests with OpenAI error objects and the
right status, and keeps serving.

usage: bad_requests.py ARTIFACT (fortunes3m, --kv-layout paged, with its
tokenizer)

Prints one line per check (FileCheck'ed by serve-errors.test), exits 1 at
the first failure:
- a port in use: an error naming it, exit 1;
- 400 for malformed JSON and for each wrong field, naming the field; a
  prompt longer than the context naming both lengths; 404 for another
  model and an unknown route; 413 for a body over --max-body; 401 for a
  missing or wrong API key;
- 429 with Retry-After when the queue is full, every admitted request
  still answered in full;
- a client that disconnects mid-stream: its request stops (far fewer
  tokens generated than asked) and the KV pool's use returns to idle;
- 1,000 fuzzed request bodies and raw garbage on the socket: never a 5xx,
  and afterwards the server answers as before.
"""
import concurrent.futures
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from server import Server, wait_until  # noqa: E402

artifact = sys.argv[1]
PROMPT = "Once upon a time"


def check(ok, message):
    if not ok:
        sys.exit("FAIL: " + message)


def error_of(status, body, want_status, want_param=None, *words):
    check(status == want_status, f"status {status}, not {want_status}: {body}")
    error = json.loads(body)["error"]
    check(set(error) >= {"message", "type", "param", "code"}, str(error))
    if want_param is not None:
        check(error["param"] == want_param,
              f"param {error['param']!r}, not {want_param!r}: {error}")
    for word in words:
        check(word in error["message"], f"{word!r} not in {error['message']!r}")
    return error["message"]


def main():
    # A port in use.
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    out = subprocess.run(["llmc-run", artifact, "serve", "--port", str(port)],
                         capture_output=True, text=True, timeout=60)
    taken.close()
    check(out.returncode == 1 and f"cannot listen on 127.0.0.1:{port}" in
          out.stderr, f"a port in use: {out.returncode} {out.stderr}")
    print("port in use: " + out.stderr.strip().replace(str(port), "PORT"))

    with Server(artifact, "--max-body", "4KiB", "--api-key", "sesame") as s:
        key = {"Authorization": "Bearer sesame"}

        def post(path, body, headers=key):
            return s.request("POST", path, body, headers)

        error_of(*post("/v1/completions", {"prompt": PROMPT}, {}), 401)
        error_of(*post("/v1/completions", {"prompt": PROMPT},
                       {"Authorization": "Bearer wrong"}), 401)
        status, body = post("/v1/completions",
                            {"prompt": PROMPT, "max_tokens": 4,
                             "temperature": 0})
        check(status == 200, f"with the key: {status} {body}")
        reference = json.loads(body)["choices"][0]["text"]
        print("401: a missing or wrong key")

        message = error_of(*post("/v1/completions", '{"prompt": "x",'), 400,
                           None, "malformed JSON")
        print(f"400: {message}")
        for body, param in [
                ({"prompt": 5}, "prompt"),
                ({}, "prompt"),
                ({"prompt": [1, "a"]}, "prompt"),
                ({"prompt": PROMPT, "max_tokens": "4"}, "max_tokens"),
                ({"prompt": PROMPT, "max_tokens": 0}, "max_tokens"),
                ({"prompt": PROMPT, "temperature": 3}, "temperature"),
                ({"prompt": PROMPT, "top_p": 0}, "top_p"),
                ({"prompt": PROMPT, "top_k": 1.5}, "top_k"),
                ({"prompt": PROMPT, "seed": "x"}, "seed"),
                ({"prompt": PROMPT, "n": 100}, "n"),
                ({"prompt": PROMPT, "stop": [1]}, "stop"),
                ({"prompt": PROMPT, "stop": ""}, "stop"),
                ({"prompt": PROMPT, "stream": "yes"}, "stream"),
                ({"prompt": PROMPT, "stream_options": {}}, "stream_options"),
                ({"prompt": PROMPT, "logprobs": 21}, "logprobs"),
                ({"prompt": PROMPT, "echo": True}, "echo"),
                ({"prompt": [[5, 99999]]}, "prompt"),
                ([1, 2], "")]:
            error_of(*post("/v1/completions", body), 400, param or None)
        for body, param in [({"messages": "hi"}, "messages"),
                            ({"messages": [{"role": "user"}]},
                             "messages[0].content"),
                            ({"messages": [{"content": "x"}]},
                             "messages[0].role")]:
            error_of(*post("/v1/chat/completions", body), 400, param)
        print("400: 21 wrong fields, each named")
        message = error_of(*post("/v1/completions",
                                 {"prompt": "word " * 400}), 400, "prompt",
                           "256")
        print(f"400: {message}")
        message = error_of(*post("/v1/completions",
                                 {"prompt": list(range(3, 203)),
                                  "max_tokens": 100}), 400, "max_tokens",
                           "256", "300", "200", "100")
        print(f"400: {message}")
        error_of(*post("/v1/completions", {"prompt": PROMPT, "model": "gpt"}),
                 404, "model")
        error_of(*s.request("GET", "/v1/nothing"), 404)
        print("404: another model, an unknown route")
        message = error_of(*post("/v1/completions",
                                 {"prompt": "x" * 8000}), 413)
        print(f"413: {message}")

    # A queue of 1 behind 1 running request.
    with Server(artifact, "--max-batch", "1", "--max-queue", "1") as s:
        def one(i):
            request = {"prompt": PROMPT, "max_tokens": 150, "temperature": 0,
                       "ignore_eos": True}
            connection = http.client.HTTPConnection(s.url[7:], timeout=120)
            connection.request("POST", "/v1/completions", json.dumps(request))
            response = connection.getresponse()
            return response.status, response.getheader("Retry-After"), \
                response.read()

        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(one, range(6)))
        refused = [a for a in answers if a[0] == 429]
        served = [a for a in answers if a[0] == 200]
        check(len(refused) + len(served) == 6, str([a[0] for a in answers]))
        check(refused and all(a[1] for a in refused), "no 429 Retry-After")
        texts = {json.loads(a[2])["choices"][0]["text"] for a in served}
        usage = [json.loads(a[2])["usage"]["completion_tokens"]
                 for a in served]
        check(len(texts) == 1 and usage == [150] * len(served),
              f"admitted requests answered {usage}")
        metrics = s.metrics()
        check(metrics['llmc:requests_rejected_total{"reason": "queue_full"}']
              == len(refused), "rejections counted")
        print(f"429: {len(refused)} of 6 refused with Retry-After, "
              f"{len(served)} answered in full")

    with Server(artifact) as s:
        # A client that leaves mid-stream.
        before = s.metrics()["vllm:generation_tokens_total"]
        connection = http.client.HTTPConnection(s.url[7:], timeout=60)
        connection.request("POST", "/v1/completions", json.dumps(
            {"prompt": PROMPT, "max_tokens": 240, "ignore_eos": True,
             "temperature": 0, "stream": True}))
        response = connection.getresponse()
        response.fp.readline()
        # The engine publishes its state after each step.
        wait_until(lambda: s.metrics()["vllm:gpu_cache_usage_perc"] > 0, 10,
                   "a KV block held while streaming")
        busy = s.metrics()["vllm:gpu_cache_usage_perc"]
        connection.sock.shutdown(socket.SHUT_RDWR)
        connection.close()
        wait_until(lambda: s.metrics()["vllm:gpu_cache_usage_perc"] == 0 and
                   s.metrics()["vllm:num_requests_running"] == 0, 30,
                   "the KV pool to be released")
        metrics = s.metrics()
        generated = metrics["vllm:generation_tokens_total"] - before
        cancelled = metrics['llmc:requests_ended_total{"reason": "cancelled"}']
        check(cancelled == 1 and generated < 240,
              f"cancelled {cancelled}, generated {generated}")
        print(f"disconnect: KV use {busy:.3f} -> 0, the request stopped "
              f"after {int(generated)} of 240 tokens")

        # Fuzzing.
        rng = random.Random(0)
        valid = json.dumps({"prompt": PROMPT, "max_tokens": 2,
                            "temperature": 0.5, "top_k": 5, "stop": ["\n"],
                            "n": 1, "seed": 3})
        statuses = {}
        connection = http.client.HTTPConnection(s.url[7:], timeout=60)
        for i in range(1000):
            body = bytearray(valid.encode())
            for _ in range(rng.randint(1, 4)):
                if not body:
                    break
                kind = rng.randrange(4)
                at = rng.randrange(len(body))
                if kind == 0:
                    body[at] = rng.randrange(256)
                elif kind == 1:
                    del body[at:at + rng.randint(1, 8)]
                elif kind == 2:
                    body[at:at] = rng.choice([b"{", b"[", b'"', b"\\u",
                                              b"-1e999", b"null", b"\x00",
                                              b"\xff\xfe", b"[[[[[[[["])
                else:
                    body = body[:at]
            path = rng.choice(["/v1/completions", "/v1/chat/completions",
                               "/tokenize"])
            try:
                connection.request("POST", path, bytes(body))
                response = connection.getresponse()
                response.read()
                status = response.status
            except (http.client.HTTPException, OSError):
                connection.close()
                connection = http.client.HTTPConnection(s.url[7:], timeout=60)
                status = "closed"
            statuses[status] = statuses.get(status, 0) + 1
            check(not (isinstance(status, int) and status >= 500),
                  f"fuzzed body {bytes(body)!r}: {status}")
        for junk in [b"\x16\x03\x01\x00\xa5\x01\x00\x00" * 8,
                     b"GET / HTTP/9.9\r\n\r\n", b"POST /v1/completions "
                     b"HTTP/1.1\r\nContent-Length: -5\r\n\r\n{}"]:
            raw = socket.create_connection(s.url[7:].split(":"), timeout=10)
            raw.sendall(junk)
            raw.settimeout(5)
            try:
                raw.recv(4096)
            except OSError:
                pass
            raw.close()
        status, body = s.request("POST", "/v1/completions",
                                 {"prompt": PROMPT, "max_tokens": 4,
                                  "temperature": 0})
        check(status == 200 and
              json.loads(body)["choices"][0]["text"] == reference,
              f"after fuzzing: {status} {body}")
        counts = ", ".join(f"{k}: {v}" for k, v in
                           sorted(statuses.items(), key=lambda kv: str(kv[0])))
        print(f"fuzz: 1000 mangled requests ({counts}), no 5xx; the server "
              f"answers as before")


main()
