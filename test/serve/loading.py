"""llmc-run serve listens before it loads: /health and completions answer
503 with Retry-After until the model is in, then 200.

usage: loading.py ARTIFACT (a large one, fortunes3m-wide: its weights take
a moment to read)
"""
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request


def status_of(url, body=None):
    request = urllib.request.Request(url, data=body)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


process = subprocess.Popen(["llmc-run", sys.argv[1], "serve", "--port", "0"],
                           stdout=subprocess.PIPE, text=True)
url = process.stdout.readline().split("listening on ")[1].strip()
health, completion = [], None
deadline = time.time() + 120
while time.time() < deadline:
    status, headers, body = status_of(url + "/health")
    health.append(status)
    if status == 503 and completion is None:
        completion = status_of(url + "/v1/completions",
                               json.dumps({"prompt": "Hi"}).encode())
    if status == 200:
        break
process.terminate()
process.wait(timeout=60)
if health[0] != 503 or health[-1] != 200:
    sys.exit(f"FAIL: /health answered {health[0]} first, {health[-1]} last")
if completion[0] != 503 or "Retry-After" not in completion[1] or \
        json.loads(completion[2])["error"]["message"] != "the model is loading":
    sys.exit(f"FAIL: a completion while loading: {completion}")
print(f"loading: /health 503 ({health.count(503)} times), a completion 503 "
      f"with Retry-After, then /health 200")
