"""GGUF sizes estimated from an HF config (a quant named, no file) against published files.

llama.cpp's quantizer gives a tied model's token_embd the output tensor's type (llama-quant.cpp,
`!qs.has_output` branch) and writes no output.weight; an untied model's token_embd keeps the base type.
"""
import os

import pytest

from llmdoctor.checkpoint import read_model
from llmdoctor.engines.llamacpp.quant_sizes import estimate_from_config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LLAMA_1B = os.path.join(ROOT, "benchmarks", "speed", "models", "llama32-1b")      # tied
LLAMA_8B = os.path.join(ROOT, "benchmarks", "speed", "models", "llama31-8b")      # untied

# https://huggingface.co/bartowski/Llama-3.2-1B-Instruct-GGUF (llama.cpp b3821), file sizes in GB
PUBLISHED_1B = {"Q4_K_M": 0.81, "Q4_K_S": 0.78, "Q5_K_M": 0.91, "Q5_K_S": 0.89, "Q6_K": 1.02, "Q8_0": 1.32,
                "F16": 2.48}
TARGET = 0.03      # set before comparing


@pytest.mark.parametrize("quant", sorted(PUBLISHED_1B))
def test_tied_model_file_size_matches_published(quant):
    est = estimate_from_config(read_model(LLAMA_1B), quant)
    assert abs(est.total / 1e9 / PUBLISHED_1B[quant] - 1) <= TARGET


def test_tied_token_embd_takes_the_output_type_and_is_stored_once():
    model = read_model(LLAMA_1B)
    est = estimate_from_config(model, "Q4_K_M")
    params = model.spec.vocab_size * model.spec.hidden_size
    assert est.tied
    assert est.embedding == int(params * 6.5625 / 8)              # Q6_K, not Q4_K
    assert est.output == est.embedding                            # loaded again as the output
    assert est.total == est.embedding + sum(est.per_layer)


def test_untied_token_embd_keeps_the_base_type():
    model = read_model(LLAMA_8B)
    est = estimate_from_config(model, "Q4_K_M")
    params = model.spec.vocab_size * model.spec.hidden_size
    assert not est.tied
    assert est.embedding == int(params * 4.5 / 8)                 # Q4_K
    assert est.output == int(params * 6.5625 / 8)                 # Q6_K
    assert est.total == est.embedding + est.output + sum(est.per_layer)


def test_a_plan_from_a_config_says_its_sizes_are_estimated():
    from llmdoctor.engines import make_plan
    from llmdoctor.plan import target_what_if
    from llmdoctor.plan.records import PlanRequest
    plan = make_plan(target_what_if("H200", None, 1), read_model(LLAMA_1B),
                     PlanRequest(engine="llamacpp", flags={"quant": "Q4_K_M"}), verify=False)
    assert any(a.startswith("GGUF size estimated from the config for Q4_K_M") for a in plan.assumptions)


GEMMA_1B = os.path.join(ROOT, "fixtures", "models", "google--gemma-3-1b-it")


def test_rows_that_do_not_fill_a_k_quant_block_fall_back_as_the_quantizer_does():
    """Gemma-3-1B's 1152-wide rows are 4.5 Q4_K blocks: llama-quantize writes them Q5_0 (and the Q6_K output /
    tied token_embd Q8_0; tensor_type_fallback). ggml-org/gemma-3-1b-it-GGUF's Q4_K_M is 806 MB (as listed by a
    public app's model table, github search); Q4_K everywhere would say 667 MB."""
    from llmdoctor.engines.llamacpp.quant_sizes import type_for_rows
    assert type_for_rows("Q4_K", 1152) == "Q5_0" and type_for_rows("Q6_K", 1152) == "Q8_0"
    assert type_for_rows("Q4_K", 4096) == "Q4_K" and type_for_rows("Q4_0", 1152) == "Q4_0"
    assert type_for_rows("Q4_0", 1000) == "F16"                 # no 32-element block fits either
    est = estimate_from_config(read_model(GEMMA_1B), "Q4_K_M")
    assert abs(est.total / 1e6 / 806 - 1) <= TARGET
    assert any("Q4_K -> Q5_0 (1152-wide rows)" in n for n in est.notes)
    assert not any("fall back" in n for n in estimate_from_config(read_model(LLAMA_8B), "Q4_K_M").notes)


def test_an_mxfp4_moe_file_keeps_its_experts_mxfp4_and_the_rest_q8_0():
    """LLAMA_FTYPE_MOSTLY_MXFP4_MOE (llama-quant.cpp): routed experts MXFP4, every other tensor and the output Q8_0.
    llama-bench prints gpt-oss-20b's MXFP4 file as 11.27 GiB (ggml-org/llama.cpp benches/dgx-spark.md and other
    public tables); asked for 'MXFP4', the Q4_K_M recipe (the old default) would put its 2880-wide rows at Q5_0."""
    est = estimate_from_config(read_model(os.path.join(ROOT, "fixtures", "models", "openai--gpt-oss-20b")), "MXFP4")
    assert abs(est.total / 2**30 / 11.27 - 1) <= TARGET
