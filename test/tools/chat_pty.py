"""Drives `llmc-run ARTIFACT chat` through a pseudo-terminal, as a person
would, and checks what it prints.

usage: chat_pty.py ARTIFACT TOKENIZER.model turns
       chat_pty.py ARTIFACT TOKENIZER.model interrupt

turns: two turns with the artifact's chatml template; each answer equals
  `llmc-run generate` on the conversation's chatml prompt (tokenized by
  SentencePiece's Python package), the second turn takes the first's
  prompt and answer from the KV cache and computes only the rest; a line
  dropped by Ctrl-C while typing is not sent; Ctrl-D quits with exit 0.
interrupt: Ctrl-C during a long answer (--ignore-eos) stops it, and the
  next turn is answered.
Prints one line per check; exits 1 at the first failure.
"""
import json
import os
import pty
import re
import select
import subprocess
import sys
import time

import sentencepiece

artifact, tokenizer_path, mode = sys.argv[1:4]
STATS = re.compile(rb"\[(\d+) prompt tokens, (\d+) of them from the cache; "
                   rb"TTFT ([0-9.]+) ms; (\d+) tokens, [0-9.]+ tokens/s"
                   rb"(; stopped|; the context is full)?\]")


def check(ok, message):
    if not ok:
        sys.exit("FAIL: " + message)


class Chat:
    def __init__(self, *args):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execvp("llmc-run", ["llmc-run", artifact, "chat", *args])
        self.out = b""

    def read_until(self, pattern, seconds=60):
        """Output up to and including `pattern` (bytes regex)."""
        deadline = time.time() + seconds
        while True:
            found = re.search(pattern, self.out)
            if found:
                taken = self.out[:found.end()]
                self.out = self.out[found.end():]
                return taken, found
            left = deadline - time.time()
            check(left > 0, f"no {pattern!r} in {self.out[-400:]!r}")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:
                    chunk = b""
                check(chunk, f"the chat ended before {pattern!r}: "
                             f"{self.out[-400:]!r}")
                self.out += chunk

    def send(self, data):
        os.write(self.fd, data)

    def turn(self, line):
        """Sends `line`; the answer's text and its statistics."""
        self.send(line.encode() + b"\r")
        taken, stats = self.read_until(STATS)
        # The terminal echoes the line; the answer follows it, and a new
        # line ends it.
        answer = taken[:len(taken) - len(stats.group(0))]
        answer = answer.split(line.encode() + b"\r\n", 1)[-1]
        text = answer.replace(b"\r\n", b"\n").decode()
        check(text.endswith("\n"), f"no new line after {text!r}")
        return text[:-1], [int(stats.group(i)) for i in (1, 2, 4)], stats

    def quit(self):
        self.send(b"\x04")
        _, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status)


def generate(ids, tokens):
    out = subprocess.run(["llmc-run", artifact, "--json", "generate",
                          "--prompt-ids", ",".join(map(str, ids)),
                          "--max-tokens", str(tokens)],
                         capture_output=True, text=True)
    check(out.returncode == 0, out.stderr)
    return json.loads(out.stdout)["text"]


def chatml(messages):
    return "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n"
                   for m in messages) + "<|im_start|>assistant\n"


def turns():
    if tokenizer_path.endswith(".json"):  # Hugging Face's reference
        from tokenizers import Tokenizer
        hf = Tokenizer.from_file(tokenizer_path)
        encode = lambda text: hf.encode(text, add_special_tokens=False).ids
    else:
        encode = sentencepiece.SentencePieceProcessor(
            model_file=tokenizer_path).encode
    chat = Chat("--max-tokens", "24")
    chat.read_until(rb"> ")
    # Ctrl-C while typing drops the line. The prompt shows just before the
    # read starts: a person types later than that, and so does this.
    time.sleep(0.3)
    chat.send(b"this line is dropped\x03")
    chat.read_until(rb"> ")
    messages = []
    for index, line in enumerate(["Tell me about computers",
                                  "And what about cats?"]):
        messages.append({"role": "user", "content": line})
        ids = encode(chatml(messages))
        text, (prompt, cached, count), stats = chat.turn(line)
        reference = generate(ids, 24)
        check(text == reference, f"turn {index + 1}: chat {text!r}, generate "
                                 f"{reference!r}")
        check(prompt == len(ids), f"turn {index + 1}: {prompt} prompt "
                                  f"tokens, the tokenizer's {len(ids)}")
        if index == 0:
            check(cached == 0, f"turn 1 took {cached} tokens from the cache")
            first = (prompt, count, float(stats.group(3)))
        else:
            # The first turn's prompt and all but its answer's last token
            # are in the cache; what the template adds after is computed.
            check(cached >= first[0], f"turn 2 took only {cached} of "
                                      f"{prompt} tokens from the cache")
            print(f"turn 2: {prompt} prompt tokens, {cached} from the cache, "
                  f"{prompt - cached} computed (TTFT "
                  f"{float(stats.group(3)):.2f} ms; turn 1: {first[0]} "
                  f"computed, TTFT {first[2]:.2f} ms)")
        chat.read_until(rb"> ")
        messages.append({"role": "assistant", "content": text})
        print(f"turn {index + 1}: the answer equals generate on the "
              f"conversation ({count} tokens)")
    check(b"this line is dropped" not in chat.out, "the dropped line ran")
    code = chat.quit()
    check(code == 0, f"Ctrl-D: exit {code}")
    print("Ctrl-C dropped the line being typed; Ctrl-D quit with exit 0")


def interrupt():
    chat = Chat("--ignore-eos", "--max-tokens", "100000", "--threads", "1")
    chat.read_until(rb"> ")
    chat.send(b"Tell me about computers\r")
    # The answer has started: Ctrl-C stops it.
    chat.read_until(rb"computers\r\n.")
    chat.send(b"\x03")
    _, stats = chat.read_until(STATS)
    check(stats.group(5) == b"; stopped", f"not stopped: {stats.group(0)!r}")
    check(int(stats.group(4)) < 200, f"{stats.group(4)} tokens")
    chat.read_until(rb"> ")
    _, (_, cached, count), _ = chat.turn("And cats?")
    check(count > 0 and cached > 0, f"after the stop: {count} tokens")
    code = chat.quit()
    check(code == 0, f"Ctrl-D: exit {code}")
    print(f"Ctrl-C stopped an answer after {int(stats.group(4))} tokens; the "
          f"next turn answered")


turns() if mode == "turns" else interrupt()
