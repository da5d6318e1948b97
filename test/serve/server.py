"""Starts `llmc-run ARTIFACT serve` on a free loopback port for a test.

    with Server(artifact, "--max-batch", "4") as server:
        server.url          # http://127.0.0.1:PORT
        server.get("/metrics")

The server is ready when /health answers 200; leaving the block sends
SIGTERM and fails the test if the server does not stop cleanly (exit 0)
or had already died.
"""
import json
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


class Server:
    def __init__(self, artifact, *args, common=(), ready_within=120):
        """`args` follow `serve`; `common` (--kv-memory, --threads) come
        before it."""
        self.command = ["llmc-run", artifact, *common, "serve", "--port", "0",
                        *args]
        self.ready_within = ready_within
        self.log = []

    def __enter__(self):
        self.process = subprocess.Popen(self.command, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        first = self.process.stdout.readline()
        if "listening on http://" not in first:
            self.process.kill()
            sys.exit(f"server did not start: {first}"
                     f"{self.process.stdout.read()}")
        self.log.append(first)
        self.url = first.split("listening on ")[1].strip()
        # The rest of its output, kept for failures.
        threading.Thread(target=self._drain, daemon=True).start()
        deadline = time.time() + self.ready_within
        while time.time() < deadline:
            if self.process.poll() is not None:
                sys.exit("server exited while loading:\n" + "".join(self.log))
            status, _ = self.request("GET", "/health")
            if status == 200:
                return self
            time.sleep(0.05)
        sys.exit("server not ready in time")

    def _drain(self):
        for line in self.process.stdout:
            self.log.append(line)

    def __exit__(self, kind, value, traceback):
        if self.process.poll() is not None:
            sys.exit(f"the server died (exit {self.process.returncode}):\n"
                     + "".join(self.log))
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            sys.exit("the server did not stop on SIGTERM")
        if code != 0 and kind is None:
            sys.exit(f"the server exited {code}:\n" + "".join(self.log))

    def request(self, method, path, body=None, headers=None, timeout=60):
        """(status, body bytes); body: bytes, str or a JSON value."""
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        request = urllib.request.Request(self.url + path, data=body,
                                         method=method,
                                         headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()
        except urllib.error.URLError:
            return None, b""

    def metrics(self):
        """{sample name + sorted labels: value} from /metrics, parsed by
        prometheus_client's parser."""
        status, text = self.request("GET", "/metrics")
        assert status == 200, status
        samples = {}
        for family in text_string_to_metric_families(text.decode()):
            for sample in family.samples:
                labels = {k: v for k, v in sample.labels.items()
                          if k != "model_name"}
                key = sample.name + (json.dumps(labels, sort_keys=True)
                                     if labels else "")
                samples[key] = sample.value
        return samples


def preempting(artifact, prompts, max_tokens):
    """Runs `prompts` (4) at once, greedy, EOS ignored, through a server of
    4 rows and a pool of 768 KiB (16 of fortunes3m's blocks: one sequence
    of its context), so that they preempt one another: their texts (the
    official OpenAI client's) and the server's metrics after them."""
    import concurrent.futures
    import openai
    with Server(artifact, "--max-batch", "4",
                common=["--kv-memory", "768KiB"]) as server:
        client = openai.OpenAI(base_url=server.url + "/v1", api_key="none",
                               max_retries=0, timeout=300)
        model = client.models.list().data[0].id

        def text(prompt):
            return client.completions.create(
                model=model, prompt=prompt, max_tokens=max_tokens,
                temperature=0, extra_body={"ignore_eos": True}
            ).choices[0].text

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            texts = list(pool.map(text, prompts))
        return texts, server.metrics()


def wait_until(predicate, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    sys.exit(f"timed out waiting for {what}")
