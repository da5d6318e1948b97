#!/usr/bin/env python3
"""Writes a SentencePiece model as Hugging Face's transformers converts it:
OUT/tokenizer.json and OUT/tokenizer_config.json (the files a Llama 2 or
Mistral export ships; no tokenizer.model beside them).

Usage: convert_sentencepiece.py MODEL OUT [--metaspace]
  --metaspace: the newer conversion (legacy=False: a Metaspace
  pre-tokenizer that prepends only at the start) instead of Llama 2's
  Prepend/Replace normalizer.
The models here prefix a space ("▁") as SentencePiece's add_dummy_prefix
says; transformers does not read that from fortunes3m's model (identity
normalization), so add_prefix_space=True asks for it."""

import os
import sys


def convert(model, out, metaspace=False):
    from transformers import LlamaTokenizerFast
    tokenizer = LlamaTokenizerFast(vocab_file=model, from_slow=True,
                                   legacy=not metaspace,
                                   add_prefix_space=True)
    tokenizer.save_pretrained(out, legacy_format=False)
    for extra in ("tokenizer.model", "special_tokens_map.json"):
        if os.path.exists(os.path.join(out, extra)):
            os.remove(os.path.join(out, extra))
    return os.path.join(out, "tokenizer.json")


if __name__ == "__main__":
    convert(sys.argv[1], sys.argv[2], "--metaspace" in sys.argv[3:])
