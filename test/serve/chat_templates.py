"""llmc's chat templates render what Jinja2 renders.

usage: chat_templates.py ONNX TOKENIZER.model WORK_DIR FEATURES.jinja

For the built-in chatml and llama2 templates (against the templates Hugging
Face's tokenizer configs carry for those formats, written out below) and
for FEATURES.jinja (every construct of the subset), compiles fortunes3m
with --chat-template, serves it, and compares the ids POST /tokenize gives
for several chats with Jinja2's rendering (trim_blocks and lstrip_blocks,
as transformers' apply_chat_template sets them) tokenized by SentencePiece's
Python package, the BOS and EOS tokens as their ids. A chat the template
refuses (raise_exception) must get a 400 naming the template's message.
Prints one line per template; exits 1 at the first difference.
"""
import json
import os
import subprocess
import sys

import jinja2
import sentencepiece

sys.path.insert(0, os.path.dirname(__file__))
from server import Server  # noqa: E402

onnx, tokenizer_path, work, features = sys.argv[1:5]
sp = sentencepiece.SentencePieceProcessor(model_file=tokenizer_path)

# Hugging Face's tokenizer_config.json chat templates for these formats.
HF_TEMPLATES = {
    "chatml": "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}",  # noqa: E501
    "llama2": "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}",  # noqa: E501
}

CHATS = [
    [{"role": "user", "content": "What is a fortune?"}],
    [{"role": "system", "content": "  You quote fortunes.\n"},
     {"role": "user", "content": "One about computers, please. "}],
    [{"role": "system", "content": "Be brief."},
     {"role": "user", "content": "Hello"},
     {"role": "assistant", "content": " Hi there! "},
     {"role": "user", "content": "Caf\u00e9 \u2615 and\nnewlines\t?"}],
    [{"role": "user", "content": ""},
     {"role": "assistant", "content": "ok"}],
]
REFUSED = [{"role": "assistant", "content": "I speak first"}]


class Refused(Exception):
    pass


def raise_exception(message):
    raise Refused(message)


def reference_ids(source, messages):
    environment = jinja2.Environment(trim_blocks=True, lstrip_blocks=True)
    environment.globals["raise_exception"] = raise_exception
    text = environment.from_string(source).render(
        messages=messages, add_generation_prompt=True,
        bos_token="\x00BOS\x00", eos_token="\x00EOS\x00")
    ids = []
    for piece in text.split("\x00"):
        if piece == "BOS":
            ids.append(sp.bos_id())
        elif piece == "EOS":
            ids.append(sp.eos_id())
        elif piece:
            ids += sp.encode(piece)
    return ids


def main():
    with open(features) as f:
        templates = dict(HF_TEMPLATES, features=f.read())
    for name, source in templates.items():
        artifact = os.path.join(work, f"chat-{name}.llmc")
        flag = features if name == "features" else name
        subprocess.run(["llmc", "compile", onnx, "-o", artifact,
                        "--max-seq", "256", "--kv-layout", "paged",
                        "--tokenizer", tokenizer_path, "--chat-template",
                        flag], check=True, capture_output=True)
        with Server(artifact) as server:
            for messages in CHATS:
                try:
                    expected = reference_ids(source, messages)
                except Refused as refusal:
                    expected = str(refusal)
                status, body = server.request("POST", "/tokenize",
                                              {"messages": messages})
                got = json.loads(body)
                if isinstance(expected, str):
                    if status != 400 or expected not in got["error"]["message"]:
                        sys.exit(f"FAIL: {name}: Jinja2 refused "
                                 f"({expected}), llmc: {status} {got}")
                    continue
                if status != 200 or got["tokens"] != expected:
                    sys.exit(f"FAIL: {name} {messages}:\nllmc   {status} "
                             f"{got}\nJinja2 {expected}")
            try:
                reference_ids(source, REFUSED)
                refused = None
            except Refused as refusal:
                refused = str(refusal)
            status, body = server.request("POST", "/tokenize",
                                          {"messages": REFUSED})
            if refused and (status != 400 or
                            refused not in json.loads(body)["error"]["message"]):
                sys.exit(f"FAIL: {name}: a refused chat got {status} {body}")
        print(f"{name}: {len(CHATS)} chats tokenize as Jinja2 renders them"
              + (f"; refused: {refused}" if refused else ""))


main()
