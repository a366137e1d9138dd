"""The seeds' llama.cpp claims, planned on their recorded machines with the real model configs."""
from pathlib import Path

import pytest

from llmdoctor.checkpoint import read_model
from llmdoctor.plan import target_from_machine, target_what_if
from llmdoctor.engines.llamacpp.flags import parse_llamacpp_args
from llmdoctor.engines.llamacpp.plan import plan_llamacpp
from llmdoctor.plan.records import PlanRequest
from llmdoctor.probes.replay import load_machine

ROOT = Path(__file__).resolve().parents[2]
MODELS, MACHINES = ROOT / "fixtures" / "models", ROOT / "fixtures" / "machines"
GiB, MiB = 2**30, 2**20


def _plan(target, config, argv, quant, version=None):
    _, flags, unknown = parse_llamacpp_args(argv)
    assert unknown == []
    flags["quant"] = quant
    model = read_model(str(MODELS / config / "config.json"))
    return plan_llamacpp(target, model, PlanRequest(engine="llamacpp", engine_version=version, flags=flags))


def _machine(name):
    return target_from_machine(load_machine(str(MACHINES / name)))


def test_seed004_qwen3_32b_q4_k_m_does_not_fit_16gb():
    plan = _plan(target_what_if("NVIDIA A10", vram_gib=16), "Qwen--Qwen3-32B", [], "Q4_K_M")
    assert 19.5e9 < plan.weights.bytes_total < 20.1e9          # the real file: 19.76 GB, not 13.2
    assert not plan.fits and "does not fit" in plan.fits_reason and "19.8 GB" in plan.fits_reason
    assert plan.weights.details.n_gpu_layers < 65            # --fit would spill layers to the CPU


def test_seed004_a10_has_24gb_and_fits_only_with_a_limited_context():
    plan = _plan(_machine("a10-24gb.json"), "Qwen--Qwen3-32B", [], "Q4_K_M")
    assert plan.gpus[0].total_bytes > 22 * GiB
    assert plan.fits and plan.weights.details.n_gpu_layers == 65
    # 256 KiB of f16 KV per token (64 layers x 8 heads x 128 x 2 x 2 B): --fit cuts 40960 down
    assert plan.kv_cache.bytes_per_token == 64 * 8 * 128 * 2 * 2
    assert 4096 <= plan.kv_cache.tokens < 16384 and plan.kv_cache.tokens % 256 == 0
    assert any("context size reduced from 40960" in a for a in plan.assumptions)
    assert plan.command[:2] == ["llama-server", "-m"] and "-c" in plan.command


SEED000 = ("--parallel 2 --ctx-size 262144 -ctk q8_0 -ctv q8_0 -fa on --no-mmap --mlock -sm layer "
           "-ngl -1").split()


def test_seed000_qwen35_122b_on_two_4080_super_fits_with_older_llamacpp():
    plan = _plan(_machine("rtx4080super-32gb-x2-pcie3.json"), "nvidia--Qwen3.5-122B-A10B-NVFP4", SEED000,
                 "UD-Q2_K_XL", version="b6700")
    assert 40e9 < plan.weights.bytes_total < 44e9               # ~42 GB file
    assert plan.fits, plan.fits_reason
    det = plan.kv_cache.details
    assert (plan.kv_cache.tokens, plan.max_model_len, det.n_stream) == (262144, 131072, 2)
    # 12 full-attention layers x 2 KV heads x 256 x (K+V), q8_0 = 34 bytes per 32 elements
    assert plan.kv_cache.bytes_per_token == 12 * 2 * 2 * 256 * 34 // 32
    assert det.kv_bytes == 262144 * plan.kv_cache.bytes_per_token      # 3264 MiB
    # 36 GDN layers of F32 state: (3 x 12288 + 128 x 128 x 64) x 4 B per sequence, 2 sequences
    assert det.recurrent_state_bytes == 2 * 36 * (3 * 12288 + 128 * 128 * 64) * 4
    assert len(plan.gpus) == 2 and all(g.weights_bytes > 15 * GiB for g in plan.gpus)
    host = det.host
    assert host.resident_weights_bytes == host.weights_bytes > 0    # --no-mmap: token_embd read in
    assert host.locked_bytes > host.memlock_limit_bytes             # ulimit -l 8 MiB
    assert any("failed to mlock" in a for a in plan.assumptions)
    assert plan.max_concurrency == 2


def test_seed000_flags_are_rejected_by_the_newest_llamacpp():
    plan = _plan(_machine("rtx4080super-32gb-x2-pcie3.json"), "nvidia--Qwen3.5-122B-A10B-NVFP4", SEED000,
                 "UD-Q2_K_XL")
    assert not plan.fits and "--load-mode" in plan.fits_reason
    assert "--load-mode" in plan.command and "--no-mmap" not in plan.command


@pytest.mark.parametrize("config,n_ctx_train", [("Qwen--Qwen3-8B", 40960),
                                                ("Qwen--Qwen3-Coder-30B-A3B-Instruct", 262144)])
def test_seed003_jetson_thor_ctx_size_0_is_the_training_context(config, n_ctx_train):
    plan = _plan(_machine("jetson-thor.json"), config, ["--ctx-size", "0"], "Q5_K_M")
    assert plan.fits
    assert plan.kv_cache.tokens == n_ctx_train and plan.max_model_len == n_ctx_train
    assert any("unified memory" in a for a in plan.assumptions)
    assert plan.decode_tokens_per_s is not None


def test_seed003_decode_upper_bounds_are_above_the_measured_speeds():
    # seed 003: 37.4 tok/s (Qwen3-8B Q5_K_M) and 58.7 tok/s (Qwen3-Coder-30B-A3B Q5_K_M) on Thor
    dense = _plan(_machine("jetson-thor.json"), "Qwen--Qwen3-8B", ["-c", "0"], "Q5_K_M")
    moe = _plan(_machine("jetson-thor.json"), "Qwen--Qwen3-Coder-30B-A3B-Instruct", ["-c", "0"], "Q5_K_M")
    # decode_tokens_per_s is the expected figure now (docs/speed.md); the bandwidth bound is speed.decode_upper_bound
    assert 37.4 <= dense.speed.decode_upper_bound <= 2 * 37.4
    assert 58.7 <= moe.speed.decode_upper_bound <= 2.5 * 58.7


def test_quantized_v_without_flash_attention_is_an_error():
    plan = _plan(_machine("a10-24gb.json"), "Qwen--Qwen3-8B", ["-ctv", "q8_0", "-fa", "off", "-c", "8192"], "Q4_K_M")
    assert not plan.fits and "Flash Attention" in plan.fits_reason


def test_moe_that_does_not_fit_gets_an_n_cpu_moe_recommendation():
    plan = _plan(_machine("a10-24gb.json"), "Qwen--Qwen3-Coder-30B-A3B-Instruct", ["-c", "32768"], "Q5_K_M")
    assert not plan.fits
    rec = plan.recommendations["n_cpu_moe"].value
    assert 1 <= rec < 48 and "--n-cpu-moe" in plan.command
