"""Parameter counts from config.json against the figures the model cards publish.

"Active" conventions differ between publishers, and the comparison says which one each card uses:
Qwen, Mixtral and DeepSeek count the token embeddings in their active figure; OpenAI's gpt-oss
card does not (its table lists "Active Parameters" = active MLP + attention + unembedding).
"""
import json
import os

import pytest

from llmdoctor.checkpoint import read_model

B = 1e9

# (fixture, published total, published active or None, active excludes embeddings, tolerance, source)
PUBLISHED = [
    ("meta-llama--Llama-3.1-8B", 8.03 * B, None, False, 0.01, "huggingface.co/meta-llama/Llama-3.1-8B: 8.03B (model card table)"),
    ("meta-llama--Llama-3.1-70B", 70.6 * B, None, False, 0.01, "huggingface.co/meta-llama/Llama-3.1-70B: 70.6B"),
    ("Qwen--Qwen3-8B", 8.2 * B, None, False, 0.01, "huggingface.co/Qwen/Qwen3-8B: Number of Parameters 8.2B"),
    ("Qwen--Qwen3-32B", 32.8 * B, None, False, 0.01, "huggingface.co/Qwen/Qwen3-32B: 32.8B"),
    ("Qwen--Qwen3-30B-A3B", 30.5 * B, 3.3 * B, False, 0.02, "huggingface.co/Qwen/Qwen3-30B-A3B: 30.5B total, 3.3B activated"),
    ("Qwen--Qwen3-Coder-30B-A3B-Instruct", 30.5 * B, 3.3 * B, False, 0.02, "huggingface.co/Qwen/Qwen3-Coder-30B-A3B-Instruct: 30.5B, 3.3B activated"),
    ("Qwen--Qwen3-235B-A22B", 235 * B, 22 * B, False, 0.02, "huggingface.co/Qwen/Qwen3-235B-A22B: 235B total, 22B activated"),
    # The card's "3B activated" is the name's rounded label (we count 3.87B with embeddings), so only
    # the total is compared.
    ("Qwen--Qwen3-Next-80B-A3B-Thinking", 80 * B, None, False, 0.01, "huggingface.co/Qwen/Qwen3-Next-80B-A3B-Thinking: 80B in total (MTP excluded)"),
    ("mistralai--Mixtral-8x7B-v0.1", 46.7 * B, 12.9 * B, False, 0.01, "mistral.ai/news/mixtral-of-experts: 46.7B total, 12.9B per token"),
    ("openai--gpt-oss-20b", 20.91 * B, 3.61 * B, True, 0.01, "gpt-oss model card (arXiv 2508.10925) Table 1: 20.91B total, 3.61B active"),
    ("openai--gpt-oss-120b", 116.83 * B, 5.13 * B, True, 0.01, "gpt-oss model card Table 1: 116.83B total, 5.13B active"),
    ("google--gemma-2-9b-it", 9.24 * B, None, False, 0.01, "Gemma 2 report (arXiv 2408.00118) Table 2: 9.24B"),
    ("microsoft--phi-4", 14.7 * B, None, False, 0.01, "huggingface.co/microsoft/phi-4: 14B parameters; report (arXiv 2412.08905): 14.7B"),
    ("nvidia--NVIDIA-Nemotron-3-Nano-30B-A3B-BF16", 31.6 * B, 3.2 * B, True, 0.02, "huggingface.co/nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16: 31.6B total, 3.2B active (3.6B with embeddings)"),
]


def _load(fixtures_dir, name):
    path = os.path.join(fixtures_dir, name)
    if not os.path.exists(os.path.join(path, "config.json")):
        pytest.skip(f"fixture {name} not collected yet")
    return read_model(path)


@pytest.mark.parametrize("name,total,active,active_without_embedding,tol,source", PUBLISHED, ids=[p[0] for p in PUBLISHED])
def test_published_parameter_counts(fixtures_dir, name, total, active, active_without_embedding, tol, source):
    info = _load(fixtures_dir, name)
    main_total = info.params_total - info.params_mtp - (info.spec.vision.params if info.spec.vision else 0)
    assert main_total == pytest.approx(total, rel=tol), source
    if active is not None:
        ours = info.params_active - (info.params_embedding if active_without_embedding else 0)
        assert ours == pytest.approx(active, rel=tol), source


def test_deepseek_v3_main_and_mtp(fixtures_dir):
    # huggingface.co/deepseek-ai/DeepSeek-V3: "685B = 671B main model + 14B MTP module"; 37B activated.
    info = _load(fixtures_dir, "deepseek-ai--DeepSeek-V3")
    assert info.params_total == pytest.approx(685e9, rel=0.01)
    assert info.params_total - info.params_mtp == pytest.approx(671e9, rel=0.01)
    assert info.params_mtp == pytest.approx(14e9, rel=0.05)
    assert info.params_active == pytest.approx(37e9, rel=0.02)


def test_qwen35_397b_a17b(fixtures_dir):
    # huggingface.co/Qwen/Qwen3.5-397B-A17B: 397B total (vision encoder included), 17B activated.
    info = _load(fixtures_dir, "Qwen--Qwen3.5-397B-A17B")
    assert info.params_total - info.params_mtp == pytest.approx(397e9, rel=0.01)
    assert info.params_active == pytest.approx(17e9, rel=0.03)


def test_dense_models_have_no_inactive_params(fixtures_dir):
    info = _load(fixtures_dir, "Qwen--Qwen3-8B")
    assert info.params_active == info.params_total


@pytest.mark.parametrize("name,method,published_bytes,source", [
    ("TheBloke--Llama-2-7B-AWQ", "awq", 3.89e9, "huggingface.co/TheBloke/Llama-2-7B-AWQ: model.safetensors 3.89 GB"),
    ("TheBloke--Llama-2-7B-GPTQ", "gptq", 3.90e9, "huggingface.co/TheBloke/Llama-2-7B-GPTQ main branch: model.safetensors 3.90 GB"),
    ("RedHatAI--Meta-Llama-3.1-8B-Instruct-FP8-dynamic", "compressed-tensors", 9.08e9, "huggingface.co/RedHatAI/Meta-Llama-3.1-8B-Instruct-FP8-dynamic: 9.08 GB"),
])
def test_computed_quantized_bytes_match_published_files(fixtures_dir, name, method, published_bytes, source):
    info = _load(fixtures_dir, name)
    assert info.weights_computed and info.quantization.method == method
    assert info.weight_bytes == pytest.approx(published_bytes, rel=0.02), source


def test_glm45_total(fixtures_dir):
    # huggingface.co/zai-org/GLM-4.5: 355B total parameters (the MTP layer aside).
    info = _load(fixtures_dir, "zai-org--GLM-4.5")
    assert info.params_total - info.params_mtp == pytest.approx(355e9, rel=0.015)
    assert info.spec.mtp_layers == 1 and info.spec.moe.shared_experts == 1


def test_gemma3_27b_defaults_from_transformers(fixtures_dir):
    # Gemma 3 report (arXiv 2503.19786) Table 1: 27B = 417M vision + 1,416M embedding + 25,600M non-embedding.
    info = _load(fixtures_dir, "google--gemma-3-27b-it")
    assert info.spec.vocab_size == 262_208 and info.spec.full_attention_layers == 10
    assert info.params_total == pytest.approx(27.43e9, rel=0.01)
    assert info.spec.vision.params == pytest.approx(417e6, rel=0.03)


def test_gemma4_e4b_per_layer_embeddings_and_towers(fixtures_dir):
    # huggingface.co/google/gemma-4-E4B-it model card, "Gemma 4 family" table: E4B "4.5B effective (8B
    # with embeddings)", vision encoder ~150M, audio encoder ~300M (the bf16 file set is 16 GB).
    # Shapes: transformers modeling_gemma4.py (Gemma4TextModel, Gemma4VisionModel, Gemma4AudioModel).
    from llmdoctor.checkpoint.config_view import ConfigView
    from llmdoctor.checkpoint.hf_params import audio_params, vision_params

    info = _load(fixtures_dir, "google--gemma-4-E4B-it")
    per_layer_table = 262_144 * 42 * 256                 # vocab_size_per_layer_input x layers x 256
    assert info.params_embedding == 262_144 * 2560 + per_layer_table
    assert info.params_total == pytest.approx(8e9, rel=0.01)
    # Before the per-layer embeddings were counted the reader said 4.73B: the table alone is 2.82B.
    assert info.params_total - per_layer_table - info.spec.vision.params == pytest.approx(4.70e9, rel=0.01)
    with open(os.path.join(fixtures_dir, "google--gemma-4-E4B-it", "config.json"), encoding="utf-8") as fh:
        cfg = ConfigView(json.load(fh), "e4b")
    vision, vision_note = vision_params(cfg)
    audio, audio_note = audio_params(cfg)
    assert vision_note is None and audio_note is None
    # "~150M": ours adds the 2 x 10240 x 768 position table (15.7M) and the 768 -> 2560 projector (2.0M).
    assert vision - 2 * 10240 * 768 - 768 * 2560 == pytest.approx(150e6, rel=0.02)
    assert audio == pytest.approx(300e6, rel=0.04)       # incl. the 1536 -> 2560 projector (3.9M)
    assert info.spec.vision.params == vision + audio
    assert info.weights.embedding == 2 * info.params_embedding     # bf16; the table is an embedding
