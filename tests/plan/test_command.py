"""Launch-command parsing: the seeds' commands and docker wrappers."""
import shlex

import pytest

from llmdoctor.errors import UsageError
from llmdoctor.engines.command import image_version, parse_command

SEED002 = ("vllm serve /data/qwen/Qwen3.6-27B-AWQ-INT4 --host 0.0.0.0 --port 8000 --served-model-name Qwen3.6-27B-AWQ-INT4 "
           "--tensor-parallel-size 2 --dtype half --max-model-len 262144 --max-num-seqs 1 --max-num-batched-tokens 8192 "
           "--kv-cache-dtype fp8 --disable-custom-all-reduce --enable-prefix-caching --mamba-cache-mode align "
           "--enable-flashinfer-autotune --additional-config '{\"caovan\":true,\"caovan_mode\":\"auto\"}' "
           "--reasoning-parser qwen3 --enable-auto-tool-choice --tool-call-parser qwen3_coder")


def test_seed002_vllm_command():
    cmd = parse_command(shlex.split(SEED002))
    assert cmd.engine == "vllm" and cmd.model == "/data/qwen/Qwen3.6-27B-AWQ-INT4"
    f = cmd.flags
    assert f["tensor_parallel_size"] == 2 and f["max_model_len"] == 262144 and f["kv_cache_dtype"] == "fp8"
    assert f["mamba_cache_mode"] == "align" and f["enable_prefix_caching"] is True
    assert f["served_model_name"] == ["Qwen3.6-27B-AWQ-INT4"] and f["additional_config"]["caovan"] is True
    assert cmd.unknown_flags == []


def test_equals_form_negation_unknown_and_env_prefix():
    cmd = parse_command(shlex.split("CUDA_VISIBLE_DEVICES=1,0 vllm serve m --gpu-memory-utilization=0.85 "
                                    "--no-enable-prefix-caching --max-model-len 128K --frobnicate 3"))
    assert cmd.env == {"CUDA_VISIBLE_DEVICES": "1,0"}
    assert cmd.flags["gpu_memory_utilization"] == 0.85
    assert cmd.flags["enable_prefix_caching"] is False
    assert cmd.flags["max_model_len"] == 128 * 1024
    assert cmd.unknown_flags == ["--frobnicate", "3"]


def test_docker_vllm_image_entrypoint():
    cmd = parse_command(shlex.split("docker run --runtime nvidia --gpus '\"device=0,1\"' --ipc=host --shm-size 16g "
                                    "-e HF_TOKEN=x -p 8000:8000 vllm/vllm-openai:v0.11.0 --model Qwen/Qwen3-8B -tp 2"))
    assert cmd.engine == "vllm" and cmd.model == "Qwen/Qwen3-8B" and cmd.flags["tensor_parallel_size"] == 2
    assert cmd.docker.gpus == '"device=0,1"' and cmd.docker.ipc == "host" and cmd.docker.shm_size_bytes == 16 << 30
    assert cmd.env["HF_TOKEN"] == "x" and image_version(cmd) == "0.11.0"


def test_docker_sglang_python_module_and_bash_c():
    cmd = parse_command(shlex.split("docker run --gpus all lmsysorg/sglang:latest python3 -m sglang.launch_server "
                                    "--model-path Qwen/Qwen3-8B --tp 2 --mem-fraction-static 0.8 --context-length 32768"))
    assert cmd.engine == "sglang" and cmd.flags == {"model_path": "Qwen/Qwen3-8B", "tp_size": 2,
                                                    "mem_fraction_static": 0.8, "context_length": 32768}
    cmd = parse_command(shlex.split("docker run --entrypoint bash vllm/vllm-openai:latest -c "
                                    "\"pip install x && VLLM_USE_V1=1 vllm serve m --max-num-seqs 4\""))
    assert cmd.engine == "vllm" and cmd.flags["max_num_seqs"] == 4


def test_api_server_module_and_speculative_json():
    cmd = parse_command(["python", "-m", "vllm.entrypoints.openai.api_server", "--model", "m",
                         "--speculative-config", '{"method":"mtp","num_speculative_tokens":3}'])
    assert cmd.model == "m" and cmd.flags["speculative_config"]["num_speculative_tokens"] == 3


def test_llamacpp_is_delegated():
    cmd = parse_command(shlex.split("llama-server -m x.gguf -ngl 99 -c 8192"))
    assert cmd.engine == "llamacpp" and cmd.model == "x.gguf"


def test_no_engine_is_a_usage_error():
    with pytest.raises(UsageError):
        parse_command(["echo", "hello"])
