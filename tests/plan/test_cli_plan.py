"""`llmdoctor plan` end to end on fixtures (what-if and replayed machines)."""
import json

from llmdoctor.app.cli import main


def test_plan_json_what_if(capsys):
    rc = main(["plan", "fixtures/models/Qwen--Qwen3-8B/config.json", "--engine", "vllm", "--gpu", "RTX 4090",
               "--max-model-len", "32768", "--json"])
    doc = json.loads(capsys.readouterr().out)
    p = doc["plan"]
    assert rc == 0 and p["engine"] == "vllm" and p["fits"] is True
    for key in ("tensor_parallel_size", "pipeline_parallel_size", "dtype", "max_model_len", "max_concurrency",
                "activation_bytes_per_gpu", "gpu_memory_utilization", "speculative", "decode_tokens_per_s",
                "fits_reason", "command", "assumptions"):
        assert key in p
    assert p["kv_cache"]["block_size"] == 16 and p["kv_cache"]["tokens"] > 0 and p["command"][:2] == ["vllm", "serve"]


def test_plan_launch_command_on_replayed_machine(capsys):
    rc = main(["plan", "--machine", "fixtures/machines/rtx2080ti-22gb-x2-wsl.json", "--model-path",
               "fixtures/models/nvidia--Qwen3.6-27B-NVFP4/config.json", "--json", "--",
               "vllm", "serve", "/data/q", "--tensor-parallel-size", "2", "--dtype", "half", "--kv-cache-dtype", "fp8",
               "--max-model-len", "262144", "--mamba-cache-mode", "align",
               "--speculative-config", '{"method":"mtp","num_speculative_tokens":3}', "--weird-flag"])
    doc = json.loads(capsys.readouterr().out)
    assert rc in (0, 1)
    assert doc["plan"]["engine_version"] == "0.21.0" and doc["plan"]["engine_version_source"] == "installed"
    assert doc["plan"]["kv_cache"]["block_size"] == 1600
    assert doc["command"]["unknown_flags"] == ["--weird-flag"]


def test_plan_text_sglang(capsys):
    rc = main(["plan", "fixtures/models/Qwen--Qwen3-30B-A3B/config.json", "--engine", "sglang", "--gpu", "H100 SXM5",
               "--gpus", "2", "--tp", "2"])
    out = capsys.readouterr().out
    assert rc == 0 and "sglang" in out and "KV cache tokens" in out


def test_plan_needs_engine():
    assert main(["plan", "fixtures/models/Qwen--Qwen3-8B/config.json", "--gpu", "A10"]) == 2
