"""Tiny random-weight Hugging Face models of the architectures users run.

Each entry builds a model from a configuration written here (seeded, never
downloaded): two layers, 64 features, a 256-token vocabulary. `WINDOW` is
the sliding window of the windowed variants; the differential tests run past
three windows. export_dynamo writes a model's logits-only ONNX export.
Shared by make_test_models.py (the exports), models_table.py
(docs/models.md) and bench/window_cache.py.
"""

WINDOW = 8


def _common(**overrides):
    common = dict(vocab_size=256, hidden_size=64, intermediate_size=176, num_hidden_layers=2,
                  num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
                  bos_token_id=1, eos_token_id=2)
    common.update(overrides)
    return common


def _build(arch):
    import transformers as tf

    if arch == "llama":
        return tf.LlamaForCausalLM(tf.LlamaConfig(**_common()))
    if arch == "llama3-rope":
        return tf.LlamaForCausalLM(tf.LlamaConfig(**_common(rope_scaling=dict(
            rope_type="llama3", factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0,
            original_max_position_embeddings=32))))
    if arch == "mistral":
        return tf.MistralForCausalLM(tf.MistralConfig(**_common(sliding_window=None)))
    if arch == "mistral-window":
        return tf.MistralForCausalLM(tf.MistralConfig(**_common(sliding_window=WINDOW)))
    if arch == "qwen2":
        return tf.Qwen2ForCausalLM(tf.Qwen2Config(**_common(num_key_value_heads=1,
                                                            tie_word_embeddings=True)))
    if arch == "qwen2-window":
        # Layers from max_window_layers on slide: here the second one.
        return tf.Qwen2ForCausalLM(tf.Qwen2Config(**_common(
            use_sliding_window=True, sliding_window=WINDOW, max_window_layers=1)))
    if arch == "qwen3":
        return tf.Qwen3ForCausalLM(tf.Qwen3Config(**_common(head_dim=16)))
    if arch == "phi2":
        return tf.PhiForCausalLM(tf.PhiConfig(**_common(num_key_value_heads=4,
                                                        partial_rotary_factor=0.5)))
    if arch == "phi3":
        return tf.Phi3ForCausalLM(tf.Phi3Config(**_common(sliding_window=None, pad_token_id=0)))
    if arch == "phi3-partial":
        return tf.Phi3ForCausalLM(tf.Phi3Config(**_common(sliding_window=None, pad_token_id=0,
                                                          partial_rotary_factor=0.5)))
    if arch == "gemma":
        return tf.GemmaForCausalLM(tf.GemmaConfig(**_common(head_dim=16)))
    if arch == "gemma2":
        # Layer 0 slides, layer 1 is global; both soft-cap. Eager attention,
        # as Gemma 2 is run: PyTorch's SDPA path leaves the soft-cap out.
        return tf.Gemma2ForCausalLM(tf.Gemma2Config(**_common(
            head_dim=16, sliding_window=WINDOW, attn_logit_softcapping=50.0,
            final_logit_softcapping=30.0, query_pre_attn_scalar=16,
            attn_implementation="eager")))
    if arch == "gpt2":
        return tf.GPT2LMHeadModel(tf.GPT2Config(vocab_size=256, n_embd=64, n_layer=2, n_head=4,
                                                n_positions=128, bos_token_id=1,
                                                eos_token_id=2))
    if arch == "gpt-neox":
        return tf.GPTNeoXForCausalLM(tf.GPTNeoXConfig(**_common(rotary_pct=0.25)))
    if arch == "falcon-7b":
        return tf.FalconForCausalLM(tf.FalconConfig(
            vocab_size=256, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
            multi_query=True, parallel_attn=True, new_decoder_architecture=False, bias=False,
            max_position_embeddings=128, bos_token_id=1, eos_token_id=2))
    if arch == "falcon-40b":
        return tf.FalconForCausalLM(tf.FalconConfig(
            vocab_size=256, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
            num_kv_heads=2, new_decoder_architecture=True, parallel_attn=True, bias=False,
            max_position_embeddings=128, bos_token_id=1, eos_token_id=2))
    if arch == "stablelm":
        return tf.StableLmForCausalLM(tf.StableLmConfig(**_common(partial_rotary_factor=0.25)))
    if arch == "olmo":
        return tf.OlmoForCausalLM(tf.OlmoConfig(**_common()))
    if arch == "olmo2":
        return tf.Olmo2ForCausalLM(tf.Olmo2Config(**_common()))
    if arch == "granite":
        return tf.GraniteForCausalLM(tf.GraniteConfig(**_common(
            embedding_multiplier=12.0, attention_multiplier=0.2, residual_multiplier=0.22,
            logits_scaling=8.0)))
    if arch == "smollm":
        return tf.LlamaForCausalLM(tf.LlamaConfig(**_common(
            hidden_size=72, num_attention_heads=9, num_key_value_heads=3,
            tie_word_embeddings=True)))
    raise KeyError(arch)


ARCHITECTURES = ["llama", "llama3-rope", "mistral", "mistral-window", "qwen2", "qwen2-window",
                 "qwen3", "phi2", "phi3", "phi3-partial", "gemma", "gemma2", "gpt2", "gpt-neox",
                 "falcon-7b", "falcon-40b", "stablelm", "olmo", "olmo2", "granite", "smollm"]


def window(arch):
    """The sliding window of `arch`, or None."""
    return WINDOW if arch in ("mistral-window", "qwen2-window", "gemma2") else None


def build(arch):
    """The model of `arch` with seeded random weights, in eval mode."""
    import torch

    torch.manual_seed(0)
    model = _build(arch)
    # Random biases and norm weights too (fresh models have zeros and ones,
    # which the importer folds away), so every parameter is exercised.
    with torch.no_grad():
        for name, param in model.named_parameters():
            if param.dim() == 1:
                base = 1.0 if "norm" in name or "ln_" in name else 0.0
                if "gemma" in arch and "norm" in name:
                    base = 0.0  # Gemma's norms scale by 1 + weight
                param.copy_(base + 0.1 * torch.randn_like(param))
    return model.eval()


def logits_only(model):
    """forward(input_ids) -> logits of a Hugging Face model, without a cache."""
    import torch

    class Logits(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, input_ids):
            return self.model(input_ids=input_ids, use_cache=False).logits

    return Logits().eval()


def export_dynamo(model, path):
    import torch
    from torch.export import Dim
    ids = torch.randint(3, 256, (2, 8))
    torch.onnx.export(logits_only(model), (ids,), path,
                      input_names=["input_ids"], output_names=["logits"], dynamo=True,
                      dynamic_shapes={"input_ids": {0: Dim("batch"), 1: Dim("sequence")}})
