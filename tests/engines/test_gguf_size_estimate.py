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
