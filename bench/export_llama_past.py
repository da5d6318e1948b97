"""A random-weight Llama with a past-KV interface, for benchmarks.

usage: export_llama_past.py --preset llama-110m -o FOLDER [--seed 0]

Builds a Hugging Face LlamaForCausalLM with the shape of one of
make_llama_onnx.py's presets (random weights, seeded) and exports it with
optimum's text-generation-with-past task: FOLDER/model.onnx takes
input_ids, attention_mask, position_ids and past_key_values.* and returns
logits and present.*. onnxruntime runs it with its own KV cache; llmc
compiles the same file (its KV-cache pass takes the past over), so both
read the same weights. FOLDER/hf keeps the Hugging Face model itself
(safetensors, config, tokenizer), which llama_cpp.py converts to GGUF for
llama.cpp.
"""
import argparse
import os
import subprocess
import sys

# name: dim, layers, heads, kv_heads, ffn, vocab, max_seq (make_llama_onnx.py)
PRESETS = {
    "llama-15m": (288, 6, 6, 6, 768, 32000, 256),
    "llama-110m": (768, 12, 12, 12, 2048, 32000, 1024),
    "llama-1b": (2048, 16, 32, 8, 8192, 32000, 2048),
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", choices=sorted(PRESETS), required=True)
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import torch
    import transformers as tf
    from tokenizers import Tokenizer, models, pre_tokenizers

    dim, layers, heads, kv_heads, ffn, vocab, max_seq = PRESETS[args.preset]
    torch.manual_seed(args.seed)
    config = tf.LlamaConfig(hidden_size=dim, num_hidden_layers=layers,
                            num_attention_heads=heads,
                            num_key_value_heads=kv_heads,
                            intermediate_size=ffn, vocab_size=vocab,
                            max_position_embeddings=max_seq,
                            rms_norm_eps=1e-5, tie_word_embeddings=False,
                            bos_token_id=1, eos_token_id=2)
    saved = os.path.join(args.output, "hf")
    tf.LlamaForCausalLM(config).eval().save_pretrained(saved)
    # optimum wants a tokenizer beside the model; ids are all we use.
    words = Tokenizer(models.WordLevel(
        vocab={"<unk>": 0, "<s>": 1, "</s>": 2}, unk_token="<unk>"))
    words.pre_tokenizer = pre_tokenizers.Whitespace()
    tf.PreTrainedTokenizerFast(tokenizer_object=words, unk_token="<unk>",
                               bos_token="<s>",
                               eos_token="</s>").save_pretrained(saved)
    subprocess.run([sys.executable, "-m", "optimum.commands.optimum_cli",
                    "export", "onnx", "--model", saved, "--task",
                    "text-generation-with-past", args.output], check=True)
    print(f"wrote {os.path.join(args.output, 'model.onnx')}")


if __name__ == "__main__":
    main()
