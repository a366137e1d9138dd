"""What vLLM's profile run holds above the weights, and which model runner it runs on: the forward pass's
peak activation and the dummy sampler's (vllm/v1/worker/gpu_worker.py determine_available_memory;
gpu_model_runner.py and gpu/model_runner.py profile_run)."""
from __future__ import annotations

from typing import Optional

from llmdoctor.checkpoint.spec import ModelInfo
from llmdoctor.engines.vllm.versions import has
from llmdoctor.plan.common import GIB

# vllm/config/vllm.py (v0.23.0 / v0.26.0): architectures model runner V2 takes by default
V2_ARCHS_0_23 = {"LlamaForCausalLM", "MistralForCausalLM", "Qwen3ForCausalLM"}
V2_MOE_ARCHS = {"DeepseekV2ForCausalLM", "GraniteMoeForCausalLM", "Qwen2MoeForCausalLM", "LongcatFlashNgramForCausalLM"}
V2_SPEC_METHODS = {None, "eagle", "eagle3", "mtp", "dflash", "dspark"}


def uses_v2_runner(model: ModelInfo, version: str, env: dict, spec_method: Optional[str]) -> bool:
    """Whether vLLM runs the model on model runner V2 (vllm/v1/worker/gpu/model_runner.py), as
    VllmConfig.use_v2_model_runner decides: VLLM_USE_V2_MODEL_RUNNER if set, else by model; a speculative
    method V2 lacks (ngram, draft models) keeps V1."""
    forced = env.get("VLLM_USE_V2_MODEL_RUNNER")
    if forced is not None:
        return forced.strip().lower() in ("1", "true")
    spec = model.spec
    moe, arch = spec.moe is not None, model.architecture or ""
    if spec_method not in V2_SPEC_METHODS:
        return False
    if has("v2_runner_default_all", version):
        return True
    if has("v2_runner_default_dense", version):
        return not spec.linear_attention_layers and (not moe or arch in V2_MOE_ARCHS)
    if has("v2_runner_default_some", version):
        return arch in V2_ARCHS_0_23 and not moe and model.quantization is None
    return False


def sampler_bytes(version: str, num_reqs: int, v2: bool = False) -> tuple[int, bool]:
    """Bytes per logit the profile run's sampler holds at its peak, and whether it is counted after the
    forward pass (max) rather than on top of it (sum).
    V0: 8 B. V1 before the Triton top-k/top-p kernel: 36 B, fitted on gpt-oss-120b (issue 23278; fp32
    logits, probs, sorted values and int64 indices). From v0.18 with 8 or more requests, read from the
    source: bf16 logits (2, held by the caller) + fp32 copy (4) + probs (4) + exponential noise (4), the
    top-k/top-p mask applied in place (vllm/v1/sample/ops/topk_topp_triton.py) = 14 B; FlashInfer's
    top-k-first path (the default from v0.2x) holds the same: fp32 logits, masked logits, probs.
    Model runner V2: 2 B, the logits in the model dtype; its dummy sampler skips top-k/top-p and samples in
    place (vllm/v1/worker/gpu/model_runner.py _dummy_sampler_run, gpu/sample/sampler.py, gumbel.py). From
    v0.33 a second pass with warm-up parameters adds their fp32 copy and fp32 logprobs: 10 B (read from the
    source, not measured)."""
    if v2:
        return (10 if has("v2_sampler_warmup_pass", version) else 2), True
    if not has("v1_engine", version):
        return 8, False
    if has("sampler_triton_topk", version) and num_reqs >= 8:
        return 14, True
    return 36, False


def activation_bytes(model: ModelInfo, tokens: int, num_reqs: int, tp: int, act_bytes: int, version: str,
                v2: bool = False) -> tuple[int, str]:
    """Peak torch memory of the profile run above the weights.
    Layer term: tokens * dtype * (3 * FFN width per rank + 2 * hidden), the MLP's gate/up output and
    activation dominating (fitted on vLLM issue 10517: Llama-3.1-8B, 2.07 and 2.99 GiB at 20k/29k tokens).
    Sampler term (the profile run samples num_reqs dummy requests with top-k and top-p set;
    vllm/v1/worker/gpu_model_runner.py _dummy_sampler_run): see sampler_bytes."""
    spec = model.spec
    hidden = spec.hidden_size
    moe = spec.moe
    if moe and moe.expert_intermediate_size:
        width = moe.experts_per_token * moe.expert_intermediate_size + moe.shared_experts * moe.expert_intermediate_size
    else:
        width = spec.intermediate_size or 4 * hidden
    layer = tokens * act_bytes * (3 * width // tp + 2 * hidden)
    per_elem, after_forward = sampler_bytes(version, num_reqs, v2)
    sampler = num_reqs * spec.vocab_size * per_elem
    if after_forward:
        # the forward's intermediates are freed before the sampler runs; its hidden states stay
        peak = max(layer, sampler + tokens * hidden * act_bytes)
        how = "the larger of"
    else:
        peak = layer + sampler
        how = "the sum of"
    why = (f"peak activation = {how} {tokens} tokens x {act_bytes} B x (3 x {width // tp} + 2 x {hidden}) and "
           f"{num_reqs} requests x {spec.vocab_size} vocab x {per_elem} B (sampler) = "
           f"{peak / GIB:.2f} GiB (modelled; vLLM measures it in its profile run)")
    return peak, why
