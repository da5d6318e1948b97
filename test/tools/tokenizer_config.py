"""Writes a Hugging Face tokenizer_config.json with a chat template.

usage: tokenizer_config.py OUT.json chatml|unsupported|list|number
  chatml       the ChatML template as a string (what Qwen2 ships)
  unsupported  a template using a Jinja macro, outside llmc's subset
  list         a list of named templates, the "default" one ChatML
  number       "chat_template": 3, neither a string nor a list
"""
import json
import sys

CHATML = ("{% for message in messages %}{{'<|im_start|>' + message['role'] "
          "+ '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
          "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}"
          "{% endif %}")
TEMPLATES = {
    "chatml": CHATML,
    "unsupported": "{% macro turn(m) %}{{ m['content'] }}{% endmacro %}"
                   "{% for m in messages %}{{ turn(m) }}{% endfor %}",
    "list": [{"name": "tool_use", "template": "{{ tools }}"},
             {"name": "default", "template": CHATML}],
    "number": 3,
}

out, kind = sys.argv[1:3]
with open(out, "w") as f:
    json.dump({"bos_token": "<s>", "eos_token": "</s>",
               "chat_template": TEMPLATES[kind]}, f)
