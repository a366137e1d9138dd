"""Ollama: its settings turned into llama-server's arguments, then llama.cpp's arithmetic."""
from pathlib import Path

from llmdoctor.checkpoint import read_model
from llmdoctor.plan import target_from_machine, target_what_if
from llmdoctor.engines.ollama.flags import parse_ollama
from llmdoctor.engines.ollama.plan import default_num_ctx, plan_ollama
from llmdoctor.plan.records import PlanRequest
from llmdoctor.probes.replay import load_machine

ROOT = Path(__file__).resolve().parents[2]
GiB = 2**30


def _plan(machine, config, argv, env, quant="Q4_K_M", version=None):
    _, flags, unknown = parse_ollama(argv, env)
    assert unknown == []
    flags["quant"] = quant
    target = machine if not isinstance(machine, str) else \
        target_from_machine(load_machine(str(ROOT / "fixtures" / "machines" / machine)))
    model = read_model(str(ROOT / "fixtures" / "models" / config / "config.json"))
    return plan_ollama(target, model, PlanRequest(engine="ollama", engine_version=version, flags=flags))


def test_parse_run_command_env_and_modelfile_parameters():
    model, flags, unknown = parse_ollama(
        ["ollama", "run", "qwen3:32b", "--verbose", "--num-ctx", "8192", "num_gpu=40", "--num_batch=256"],
        {"OLLAMA_NUM_PARALLEL": "2", "OLLAMA_KV_CACHE_TYPE": "q8_0", "OLLAMA_FLASH_ATTENTION": "1",
         "OLLAMA_CONTEXT_LENGTH": "16384", "OLLAMA_GPU_OVERHEAD": "1073741824"})
    assert model == "qwen3:32b" and unknown == []
    assert flags["num_ctx"] == 8192 and flags["num_gpu"] == 40 and flags["num_batch"] == 256
    assert flags["num_parallel"] == 2 and flags["kv_cache_type"] == "q8_0" and flags["flash_attention"] is True
    assert flags["context_length"] == 16384 and flags["gpu_overhead"] == GiB


def test_default_context_by_version_and_vram_tier():
    one_4090 = target_what_if("NVIDIA GeForce RTX 4090").gpus
    assert default_num_ctx("0.6.5", one_4090, 0)[0] == 2048
    assert default_num_ctx("0.12.0", one_4090, 0)[0] == 4096
    assert default_num_ctx("0.15.5", one_4090, 0)[0] == 32768            # 24 GiB >= 23 GiB
    assert default_num_ctx("0.15.5", one_4090 * 2, 0)[0] == 262144       # 48 GiB >= 47 GiB
    assert default_num_ctx("0.15.5", one_4090, 2 * GiB)[0] == 4096       # OLLAMA_GPU_OVERHEAD counts


def test_a10_gets_the_4096_tier_because_it_reports_22_5_gib():
    plan = _plan("a10-24gb.json", "meta-llama--Llama-3.1-8B", ["ollama", "run", "llama3.1:8b"], {})
    assert plan.engine == "ollama" and plan.max_model_len == 4096 and plan.kv_cache.tokens == 4096
    assert plan.settings["num_batch"] == 512 and plan.fits


def test_parallel_slots_are_separate_streams_of_num_ctx():
    plan = _plan("rtx4090-x2-no-p2p.json", "Qwen--Qwen3-32B", ["ollama", "serve"],
                 {"OLLAMA_NUM_PARALLEL": "2", "OLLAMA_KV_CACHE_TYPE": "q8_0", "OLLAMA_FLASH_ATTENTION": "1"})
    det = plan.kv_cache.details
    # 48 GiB -> tier 262144, clipped to Qwen3-32B's 40960; -c 40960 x 2, -np 2, no -kvu
    assert plan.max_model_len == 40960 and det.n_stream == 2 and not det.kv_unified
    assert plan.kv_cache.tokens == 81920 and plan.max_concurrency == 2
    assert plan.kv_cache.dtype == "q8_0"
    assert det.kv_bytes == 81920 * 64 * 8 * 128 * 2 * 34 // 32
    llama = plan.settings["llama_server_argv"]
    assert llama[llama.index("-c") + 1] == "81920" and "-kvu" not in llama
    assert plan.settings["num_batch"] == 2048 or plan.settings["num_batch"] == 1024
    assert "OLLAMA_KV_CACHE_TYPE=q8_0" in plan.command


def test_qwen35_family_is_forced_to_one_slot_and_too_big_for_an_a10():
    plan = _plan("a10-24gb.json", "nvidia--Qwen3.5-122B-A10B-NVFP4", ["ollama", "serve"],
                 {"OLLAMA_NUM_PARALLEL": "4"}, quant="UD-Q2_K_XL")
    assert plan.max_concurrency == 1 and any("one slot" in a for a in plan.assumptions)
    assert not plan.fits and "does not fit" in plan.fits_reason


def test_flash_attention_off_on_old_cuda_gpus_keeps_batch_512():
    target = target_what_if("Tesla P100")
    target.gpus[0].cc_major, target.gpus[0].cc_minor = 5, 2     # FA unsupported below CC 6.0
    plan = _plan(target, "meta-llama--Llama-3.1-8B", ["ollama", "run", "x", "num_ctx=16384"], {})
    assert plan.settings["flash_attention"] == "off" and plan.settings["num_batch"] == 512
