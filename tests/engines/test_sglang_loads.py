"""What SGLang loads beside the checkpoint's weights."""
from llmdoctor.checkpoint import read_model
from llmdoctor.engines.sglang.plan import mla_absorbed_copy_bytes


def test_sglang_keeps_bf16_w_kc_w_vc_beside_kv_b_proj():
    """SGLang 0.5.23 (deepseek_weight_loader.py post_load_weights) dequantizes a block-fp8 kv_b_proj into bf16 w_kc /
    w_vc and keeps kv_b_proj for its MHA prefill: 32 MiB a layer for DeepSeek-V3's attention at TP 1 (128 heads x
    (128 + 128) x 512 x 2 B), 1/8 of it at TP 8; its SGLang plan carries it in the weights."""
    model = read_model("benchmarks/speed/models/dsv3-24l")
    assert mla_absorbed_copy_bytes(model, 1, 1, "0.5.23") == 24 * 32 * 2**20
    assert mla_absorbed_copy_bytes(model, 8, 1, "0.5.23") == 24 * 4 * 2**20
    assert mla_absorbed_copy_bytes(read_model("benchmarks/speed/models/llama31-8b"), 1, 1, "0.5.23") == 0


def test_the_sglang_plan_counts_the_copy_in_its_weights():
    from llmdoctor.engines import make_plan
    from llmdoctor.plan.records import PlanRequest
    from llmdoctor.plan import target_what_if
    model = read_model("benchmarks/speed/models/dsv3-24l")
    plan = make_plan(target_what_if("H200", None, 1), model, PlanRequest(engine="sglang"), verify=False)
    assert plan.weights.bytes_per_gpu - plan.weights.bytes_total == 24 * 32 * 2**20
    assert any("w_kc/w_vc" in n for n in plan.assumptions)
