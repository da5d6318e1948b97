"""Generates the importer's test models into a folder of the build tree.

Random weights made locally from a configuration, never downloaded. Families
(each needs the Python packages scripts/setup.sh installs; a family whose
packages are absent is left out, and lit reports its tests unsupported):

  llama-ts-*       ../shared/tools/make_llama_onnx.py run by Debian's
                   /usr/bin/python3 (torch 1.13: the TorchScript exporter)
  llama-dynamo-*   the same script run by this Python (pip torch: dynamo
                   exporter, weights in an external data file)
  hf-*-{dynamo,ts} Hugging Face LlamaForCausalLM / Qwen2ForCausalLM /
                   GPT2LMHeadModel tiny configs through torch.onnx.export
  optimum-*        the same models through optimum's exporter
                   (past_key_values inputs, present outputs)
  genai-llama      onnxruntime-genai's model builder, fp32 for CPU
  genai-llama-int4 the same, -p int4 (MatMulNBits, block 32, symmetric)

Writes each model once (to a temporary name, then renamed), so a rebuild
reuses them; `families` lists the families present when it finishes.

usage: make_test_models.py OUT_DIR SHARED_TOOLS_DIR
"""
import importlib.util
import os
import shutil
import subprocess
import sys
import warnings

OUT, TOOLS = sys.argv[1], sys.argv[2]
MAKE_LLAMA = os.path.join(TOOLS, "make_llama_onnx.py")
DEBIAN_PYTHON = "/usr/bin/python3"

LLAMA_VARIANTS = {
    "interleaved": ["--preset", "llama-tiny", "--rope", "interleaved"],
    "half": ["--preset", "llama-tiny", "--rope", "half"],
    "gqa-tied": ["--preset", "llama-tiny", "--heads", "8", "--kv-heads", "2", "--tie"],
    "fp16": ["--preset", "llama-tiny", "--fp16"],
    "opset13": ["--preset", "llama-tiny", "--opset", "13"],
}


def have(*modules, python=None):
    if python is None:
        return all(importlib.util.find_spec(m) is not None for m in modules)
    if not os.access(python, os.X_OK):
        return False
    check = "import importlib.util,sys; sys.exit(any(importlib.util.find_spec(m) is None for m in sys.argv[1:]))"
    return subprocess.run([python, "-c", check, *modules]).returncode == 0


def produce(path, make):
    """Runs make(tmp) unless `path` exists; `tmp` is renamed to `path`."""
    if os.path.exists(path):
        return
    tmp = path + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    make(tmp)
    os.replace(tmp, path)


def make_llama(python, prefix, variants):
    for name, args in variants.items():
        folder = os.path.join(OUT, f"{prefix}-{name}")

        def make(tmp):
            os.makedirs(tmp)
            subprocess.run([python, MAKE_LLAMA, *args, "-o", os.path.join(tmp, "model.onnx")],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        produce(folder, make)


def tiny_model(arch):
    """A small random-weight Hugging Face model; the same for every run."""
    import torch

    torch.manual_seed(0)
    model = build_tiny_model(arch)
    # Random biases and norm weights too (fresh models have zeros and ones,
    # which the importer folds away), so every parameter is exercised.
    with torch.no_grad():
        for name, param in model.named_parameters():
            if param.dim() == 1:
                base = 1.0 if "norm" in name or "ln_" in name else 0.0
                param.copy_(base + 0.1 * torch.randn_like(param))
    return model


def build_tiny_model(arch):
    import transformers as tf

    common = dict(vocab_size=256, hidden_size=64, intermediate_size=176, num_hidden_layers=2,
                  max_position_embeddings=128, bos_token_id=1, eos_token_id=2)
    if arch == "llama":
        return tf.LlamaForCausalLM(tf.LlamaConfig(num_attention_heads=4, num_key_value_heads=2,
                                                  **common)).eval()
    if arch == "qwen2":
        return tf.Qwen2ForCausalLM(tf.Qwen2Config(num_attention_heads=4, num_key_value_heads=1,
                                                  tie_word_embeddings=True, **common)).eval()
    return tf.GPT2LMHeadModel(tf.GPT2Config(vocab_size=256, n_embd=64, n_layer=2, n_head=4,
                                            n_positions=128, bos_token_id=1,
                                            eos_token_id=2)).eval()


def save_tiny_model(arch, folder):
    """A saved model folder (config, weights, a word-level tokenizer built here)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    def make(tmp):
        tiny_model(arch).save_pretrained(tmp)
        vocab = {f"<{i}>": i for i in range(3, 256)}
        vocab.update({"<unk>": 0, "<s>": 1, "</s>": 2})
        words = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
        words.pre_tokenizer = pre_tokenizers.Whitespace()
        PreTrainedTokenizerFast(tokenizer_object=words, unk_token="<unk>", bos_token="<s>",
                                eos_token="</s>").save_pretrained(tmp)

    produce(folder, make)


def export_hf(arch, exporter):
    import torch

    class Logits(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids):
            return self.model(input_ids=input_ids, use_cache=False).logits

    def make(tmp):
        os.makedirs(tmp)
        path = os.path.join(tmp, "model.onnx")
        model = Logits(tiny_model(arch)).eval()
        ids = torch.randint(3, 256, (2, 8))
        if exporter == "dynamo":
            from torch.export import Dim
            torch.onnx.export(model, (ids,), path, input_names=["input_ids"],
                              output_names=["logits"], dynamo=True,
                              dynamic_shapes={"input_ids": {0: Dim("batch"), 1: Dim("sequence")}})
            return
        # transformers builds its masks with torch.vmap, which TorchScript cannot
        # trace; optimum's replacements (what its own export uses) can be.
        from optimum.exporters.onnx import model_patcher
        from transformers import masking_utils
        masking_utils.ALL_MASK_ATTENTION_FUNCTIONS.register(
            "sdpa", model_patcher.sdpa_mask_without_vmap)
        masking_utils.ALL_MASK_ATTENTION_FUNCTIONS.register(
            "eager", model_patcher.eager_mask_without_vmap)
        masking_utils.find_packed_sequence_indices = \
            model_patcher.find_packed_sequence_indices_patched
        dynamic = {0: "batch", 1: "sequence"}
        torch.onnx.export(model, (ids,), path, input_names=["input_ids"], output_names=["logits"],
                          dynamic_axes={"input_ids": dynamic, "logits": dynamic}, opset_version=17,
                          dynamo=False)

    produce(os.path.join(OUT, f"hf-{arch}-{exporter}"), make)


def run_quietly(args):
    result = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout)
        raise SystemExit(f"make_test_models: failed: {' '.join(args)}")


def main():
    warnings.filterwarnings("ignore")
    os.makedirs(OUT, exist_ok=True)
    families = []
    if have("torch", "onnx", python=DEBIAN_PYTHON):
        make_llama(DEBIAN_PYTHON, "llama-ts", LLAMA_VARIANTS)
        families.append("llama-ts")
    if not have("torch", "onnx", "onnxscript"):
        print("make_test_models: no pip torch/onnxscript: only the Debian exports", file=sys.stderr)
    else:
        make_llama(sys.executable, "llama-dynamo",
                   {k: LLAMA_VARIANTS[k] for k in ("interleaved", "half", "gqa-tied")})
        families.append("llama-dynamo")
        if have("transformers", "optimum.exporters.onnx", "tokenizers"):
            for arch in ("llama", "qwen2", "gpt2"):
                export_hf(arch, "dynamo")
                export_hf(arch, "ts")
                saved = os.path.join(OUT, f"saved-{arch}")
                save_tiny_model(arch, saved)
                produce(os.path.join(OUT, f"optimum-{arch}"), lambda tmp: run_quietly([
                    sys.executable, "-m", "optimum.commands.optimum_cli", "export", "onnx",
                    "--model", saved, "--task", "text-generation-with-past", tmp]))
            families += ["hf", "optimum"]
            if have("onnxruntime_genai"):
                produce(os.path.join(OUT, "genai-llama"), lambda tmp: run_quietly([
                    sys.executable, "-m", "onnxruntime_genai.models.builder", "-i",
                    os.path.join(OUT, "saved-llama"), "-o", tmp, "-p", "fp32", "-e", "cpu"]))
                produce(os.path.join(OUT, "genai-llama-int4"), lambda tmp: run_quietly([
                    sys.executable, "-m", "onnxruntime_genai.models.builder", "-i",
                    os.path.join(OUT, "saved-llama"), "-o", tmp, "-p", "int4", "-e", "cpu"]))
                families.append("genai")
    with open(os.path.join(OUT, "families"), "w") as f:
        f.write("\n".join(families) + "\n")


if __name__ == "__main__":
    main()
