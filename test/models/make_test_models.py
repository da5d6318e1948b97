"""Generates the importer's test models into a folder of the build tree.

Random weights made locally from a configuration, never downloaded. Families
(each needs the Python packages scripts/setup.sh --tests installs; a family whose
packages are absent is left out, and lit reports its tests unsupported):

  llama-ts-*       ../shared/tools/make_llama_onnx.py run by Debian's
                   /usr/bin/python3 (torch 1.13: the TorchScript exporter)
  llama-dynamo-*   the same script run by this Python (pip torch: dynamo
                   exporter, weights in an external data file)
  hf-*-{dynamo,ts} Hugging Face LlamaForCausalLM / Qwen2ForCausalLM /
                   GPT2LMHeadModel tiny configs through torch.onnx.export
  optimum-*        the same models through optimum's exporter
                   (past_key_values inputs, present outputs)
  arch-NAME-{dynamo,optimum}
                   every architecture of architectures.py through both
                   exporters (llama, qwen2 and gpt2 are the hf-*-dynamo and
                   optimum-* models); an export that fails on its own
                   leaves only export-error.txt, the exporter's message
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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import architectures  # noqa: E402

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


def save_tiny_model(arch, folder):
    """A saved model folder (config, weights, a word-level tokenizer built here)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    def make(tmp):
        architectures.build(arch).save_pretrained(tmp)
        vocab = {f"<{i}>": i for i in range(3, 256)}
        vocab.update({"<unk>": 0, "<s>": 1, "</s>": 2})
        words = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
        words.pre_tokenizer = pre_tokenizers.Whitespace()
        PreTrainedTokenizerFast(tokenizer_object=words, unk_token="<unk>", bos_token="<s>",
                                eos_token="</s>").save_pretrained(tmp)

    produce(folder, make)


def export_hf(arch, exporter):
    import torch

    def make(tmp):
        os.makedirs(tmp)
        path = os.path.join(tmp, "model.onnx")
        if exporter == "dynamo":
            architectures.export_dynamo(architectures.build(arch), path)
            return
        model = architectures.logits_only(architectures.build(arch))
        ids = torch.randint(3, 256, (2, 8))
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


def optimum_export(saved, tmp):
    """optimum-cli export onnx of the saved model folder `saved` into `tmp`;
    the exporter's output when it fails."""
    result = subprocess.run([
        sys.executable, "-m", "optimum.commands.optimum_cli", "export", "onnx", "--model", saved,
        "--task", "text-generation-with-past", tmp],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return None if result.returncode == 0 else result.stdout


def export_architectures():
    """arch-NAME-{dynamo,optimum}; failures of the exporters are recorded."""
    def failed(tmp, message):
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        lines = [line for line in message.strip().splitlines() if line.strip()]
        with open(os.path.join(tmp, "export-error.txt"), "w") as f:
            f.write((lines[-1] if lines else "failed") + "\n")

    for arch in architectures.ARCHITECTURES:
        dynamo = os.path.join(OUT, f"arch-{arch}-dynamo")
        optimum = os.path.join(OUT, f"arch-{arch}-optimum")
        if arch in ("llama", "qwen2", "gpt2"):
            for link, target in ((dynamo, f"hf-{arch}-dynamo"), (optimum, f"optimum-{arch}")):
                if not os.path.lexists(link):
                    os.symlink(target, link)
            continue

        def make_dynamo(tmp):
            os.makedirs(tmp)
            model = architectures.build(arch)
            try:
                architectures.export_dynamo(model, os.path.join(tmp, "model.onnx"))
            except Exception as error:  # the exporter's own failure
                failed(tmp, f"{type(error).__name__}: {error}")

        produce(dynamo, make_dynamo)
        saved = os.path.join(OUT, f"saved-{arch}")
        save_tiny_model(arch, saved)

        def make_optimum(tmp):
            message = optimum_export(saved, tmp)
            if message is not None:
                failed(tmp, message)

        produce(optimum, make_optimum)


def check_export(message):
    if message is not None:
        sys.stderr.write(message)
        raise SystemExit("make_test_models: optimum export failed")


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
                produce(os.path.join(OUT, f"optimum-{arch}"),
                        lambda tmp: check_export(optimum_export(saved, tmp)))
            export_architectures()
            families += ["hf", "optimum", "arch"]
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
