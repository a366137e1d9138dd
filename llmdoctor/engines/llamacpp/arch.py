"""What llama.cpp makes of a model's architecture where it differs from the config.

Sliding-window attention: llama.cpp keeps a separate SWA cache only for the architectures whose
loader sets `hparams.swa_type` (ggml-org/llama.cpp@0c1e57098 src/models/*.cpp: afmoe, cohere2,
deepseek4, exaone4, exaone-moe, gemma2, gemma3, gemma3n, gemma4, gpt-oss, granite-swa, lfm2, llama4
(chunked), mimo2, olmo2, plamo3, step35, ...). Every other architecture runs all layers with full
attention even when its config names a window: Phi-3 says so ("Phi SWA is currently disabled",
src/models/phi3.cpp:16), Mistral-7B-v0.1 and Qwen2 ("llama"/"qwen2" archs) have no SWA path.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from llmdoctor.checkpoint.spec import FULL, SLIDING

# llama.cpp architecture names (general.architecture) whose loaders set swa_type
SWA_ARCHS = {"afmoe", "cohere2", "cohere2moe", "deepseek4", "exaone4", "exaone-moe", "gemma2", "gemma3", "gemma3n",
             "gemma4", "gemma-embedding", "gpt-oss", "granite-swa", "lfm2", "llama4", "mimo2", "olmo2", "plamo3",
             "step35", "modern-bert", "dots3note", "laguna", "mellum", "maple", "muse-glimmer", "spark2-5"}
# HF model_type -> the llama.cpp architecture convert_hf_to_gguf.py writes
HF_TO_ARCH = {"gemma2": "gemma2", "gemma3": "gemma3", "gemma3_text": "gemma3", "gemma3n": "gemma3n",
              "gemma3n_text": "gemma3n", "gemma4": "gemma4", "gemma4_text": "gemma4", "cohere2": "cohere2",
              "olmo2": "olmo2", "olmo3": "olmo2", "gpt_oss": "gpt-oss", "exaone4": "exaone4", "llama4": "llama4",
              "llama4_text": "llama4", "mimo_v2": "mimo2", "mimo_v2_flash": "mimo2", "lfm2": "lfm2",
              "deepseek_v4": "deepseek4", "step3p5": "step35", "qwen3_moe": "qwen3moe", "qwen3_next": "qwen3next",
              "qwen3_5": "qwen35", "qwen3_5_text": "qwen35", "qwen3_5_moe": "qwen35moe", "qwen3_5_moe_text": "qwen35moe",
              "qwen2_moe": "qwen2moe", "deepseek_v2": "deepseek2", "deepseek_v3": "deepseek2", "glm4_moe": "glm4moe"}


def llamacpp_arch(model: Any) -> str:
    if model.format == "gguf":
        return (model.architecture or "").lower()
    return HF_TO_ARCH.get((model.model_type or "").lower(), (model.model_type or "").lower())


def as_llamacpp_runs_it(model: Any) -> tuple[Any, list[str]]:
    """The model with the layers llama.cpp attends fully where it ignores the config's window."""
    if not model.spec.sliding_attention_layers or llamacpp_arch(model) in SWA_ARCHS:
        return model, []
    layers = [dataclasses.replace(l, kind=FULL, window=None) if l.kind == SLIDING else l for l in model.spec.layers]
    spec = dataclasses.replace(model.spec, layers=layers, full_attention_layers=model.spec.full_attention_layers
                               + model.spec.sliding_attention_layers, sliding_attention_layers=0, sliding_window=None)
    note = (f"llama.cpp runs {llamacpp_arch(model) or model.model_type} with full attention on every layer: it has no "
            f"sliding-window path for this architecture (the config's window of {model.spec.sliding_window} is not "
            "used; src/models/phi3.cpp: \"Phi SWA is currently disabled\")")
    return dataclasses.replace(model, spec=spec), [note]
