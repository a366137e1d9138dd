"""One end-to-end test per seed (shared/seeds/): the seed's hardware as a recorded machine, a real
model config like the seed's, the seed's own launch command parsed by the real command parser, the
real planner where it can plan that case, and the rules. Each test names the codes the seed must
raise and the codes it must not. Where a part is hand-written it says so (HAND-WRITTEN) and why.

docs/seeds.md holds the same table for people.
"""
from __future__ import annotations

import copy
import json
import shlex
from dataclasses import asdict
from pathlib import Path

import pytest

from llmdoctor.checkpoint import read_model
from llmdoctor.checkpoint.chat_template import template_record
from llmdoctor.diagnose import run_rules
from llmdoctor.engines.command import parse_command
from llmdoctor.plan.records import KvCachePlan, Plan, WeightsPlan
from llmdoctor.report import Report

from . import facts as F

TEMPLATES = Path(__file__).parent / "fixtures" / "templates"


def diagnose(machine_name: str, model, argv: str, plan: Plan | None = None, machine_patch=None,
             env: dict | None = None, options: dict | None = None) -> tuple[set[str], list]:
    machine = copy.deepcopy(F.machine(machine_name))
    if machine_patch:
        machine_patch(machine)
    command = parse_command(shlex.split(argv), env)
    if plan is None:                       # the real planner
        from llmdoctor.app.pipeline import Inputs, Intent, make_plans
        plans = make_plans(Intent(launch=shlex.split(argv), options=options or {}), Inputs(machine, model, command))
        plan = plans[0] if plans else None
    report = Report(machine=machine, model=model, plan=plan, command=asdict(command))
    findings = run_rules(report.document(), model=model)
    return {f.code for f in findings}, findings


def hand_plan(engine: str, **kw) -> Plan:
    """A plan with only the figures a seed's log states; the rest neutral."""
    kv = KvCachePlan(dtype=kw.pop("kv_dtype", "auto"), bytes_per_token=kw.pop("kv_bytes_per_token", 0),
                     block_size=None, available_bytes_per_gpu=kw.pop("kv_available", 0), tokens=kw.pop("kv_tokens", 0))
    w = WeightsPlan(bytes_per_gpu=kw.pop("weights_per_gpu"), bytes_total=kw.pop("weights_total"),
                    host_bytes=kw.pop("host_bytes", 0))
    base = dict(engine=engine, engine_version=None, engine_version_source="flag", target="probed", num_gpus=1,
                tensor_parallel_size=1, pipeline_parallel_size=1, dtype="bfloat16", kv_cache=kv, max_model_len=0,
                max_concurrency=1.0, weights=w, activation_bytes_per_gpu=0, gpu_memory_utilization=None,
                speculative=None, decode_tokens_per_s=None, prefill_tokens_per_s=None, fits=True,
                fits_reason="hand-written from the seed's log", command=[])
    base.update(kw)
    return Plan(**base)


# ---------------------------------------------------------------- seed 000
# 2x RTX 4080 SUPER 32 GB on PCIe 3.0, llama.cpp in Docker, Qwen3.5-122B-A10B UD-Q2_K_XL GGUF (~42 GB),
# OpenClaw sends role "developer": "Jinja Exception: Unexpected message role."
SEED000_CMD = ("docker run -d --name llama-qwen --gpus all -v /srv/models:/models -p 18434:8000 "
               "ghcr.io/ggml-org/llama.cpp:server-cuda -m /models/Qwen3.5-122B-A10B-UD-Q2_K_XL.gguf "
               "--host 0.0.0.0 --port 8000 --n-gpu-layers -1 --parallel 2 --ctx-size 262144 --flash-attn on "
               "--batch-size 4096 --ubatch-size 2048 --cont-batching --no-mmap --mlock --split-mode layer "
               "--cache-type-k q8_0 --cache-type-v q8_0 --jinja")
# (the seed passes --gpus '"device=1,2"' because its server has 5 GPUs; the recording has the 2 used)


def seed000_model(template: str):
    # The real Qwen3.5-122B-A10B config (architecture, heads, experts) stands in for the 42 GB GGUF; the
    # planner sizes it as UD-Q2_K_XL from the file name in the command. HAND-WRITTEN: the template is the
    # seed's own text (the "original" is the seed's edited template with 'developer' removed).
    m = copy.deepcopy(F.model("nvidia--Qwen3.5-122B-A10B-NVFP4"))
    m.quantization = None
    m.chat_template = template_record((TEMPLATES / template).read_text(encoding="utf-8"), "tokenizer.chat_template")
    return m


def test_seed000_developer_role_template():
    codes, findings = diagnose("rtx4080super-32gb-x2-pcie3", seed000_model("seed000-original-system-only.jinja"),
                               SEED000_CMD)
    assert {"LD401", "LD604", "LD308"} <= codes     # developer role, PCIe 3.0 slot, --mlock vs memlock 8 MiB
    assert not codes & {"LD705", "LD302", "LD611", "LD601", "LD307", "LD506", "LD402"}
    ld401 = next(f for f in findings if f.code == "LD401")
    assert "Unexpected message role." in ld401.message


def test_seed000_edited_template_fixes_it(tmp_path):
    edited = tmp_path / "edited_chat_template.jinja"
    edited.write_text((TEMPLATES / "seed000-edited-developer.jinja").read_text(encoding="utf-8"), encoding="utf-8")
    codes, _ = diagnose("rtx4080super-32gb-x2-pcie3", seed000_model("seed000-original-system-only.jinja"),
                        SEED000_CMD + f" --chat-template-file {edited}")
    assert "LD401" not in codes and "LD402" not in codes


# ---------------------------------------------------------------- seed 001
# 2x Intel Arc B580, vLLM XPU v0.19.x in Docker Compose (ipc: host, privileged, /dev/dri), Gemma-4-E4B-it,
# FP8 weights + FP8 KV, TP 2. The compose file is written as the equivalent docker run.
SEED001_CMD = ("docker run --ipc=host --privileged --network host --device /dev/dri:/dev/dri "
               "--device /dev/dri/by-path:/dev/dri/by-path -e VLLM_LOGGING_LEVEL=INFO -e CCL_ATL_TRANSPORT=ofi "
               "-e CCL_ZE_IPI=0 -e ZE_AFFINITY_MASK=0,1 -e ONECCL_P2P_DISABLE=1 -e FI_PROVIDER=tcp -e FI_TCP_IFACE=lo "
               "hub.yiqisoft.cn/vllm/vllm-xpu:v0.19.1 vllm serve /models/gemma-4-E4B-it "
               "--served-model-name google/gemma-4-E4B-it --tensor-parallel-size 2 --enforce-eager "
               "--attention-backend TRITON_ATTN --gpu-memory-utilization 0.8 --tool-call-parser gemma4 "
               "--enable-auto-tool-choice --quantization fp8 --kv-cache-dtype fp8 --disable-custom-all-reduce")
# HAND-WRITTEN plan: exactly what vLLM logged in the seed (6.29 GiB loaded per rank, 1.14 GiB KV, 49,344
# tokens, 2.15x at 131,072). The model is the real Gemma 4 (26B-A4B) config standing in for E4B (same family
# and chat format; no E4B config is in fixtures/models).
SEED001_PLAN = dict(tensor_parallel_size=2, num_gpus=2, weights_per_gpu=int(6.29 * 2**30),
                    weights_total=int(12.58 * 2**30), kv_available=int(1.14 * 2**30), kv_tokens=49344,
                    max_model_len=131072, max_concurrency=2.15, gpu_memory_utilization=0.8, kv_dtype="fp8_e4m3")


def test_seed001_arc_b580_docker():
    codes, findings = diagnose("arc-b580-x2", F.model("google--gemma-4-26B-A4B"), SEED001_CMD,
                               hand_plan("vllm", **SEED001_PLAN))
    assert "LD609" in codes                      # oneCCL on Arc over PCIe: the env knobs that matter
    # ipc: host, /dev/dri passed, Python 3.12, parser matches gemma4, no NVIDIA-only FP8 rules on XPU
    assert not codes & {"LD502", "LD503", "LD506", "LD504", "LD701", "LD702", "LD206", "LD207", "LD610",
                        "LD301", "LD303", "LD304", "LD309"}
    msg = next(f for f in findings if f.code == "LD609")
    assert "CCL_ZE_CACHE_OPEN_IPC_HANDLES=0" in msg.fix and "ONECCL_P2P_DISABLE" in msg.fix


def test_seed001_without_ipc_host_needs_shared_memory():
    codes, _ = diagnose("arc-b580-x2", F.model("google--gemma-4-26B-A4B"),
                        SEED001_CMD.replace("--ipc=host ", ""), hand_plan("vllm", **SEED001_PLAN))
    assert "LD502" in codes                      # Docker's 64 MB /dev/shm with TP 2


# ---------------------------------------------------------------- seed 002
# 2x RTX 2080 Ti 22 GB (SM 7.5) under WSL2, vLLM 0.21.0 + a plugin whose GDN kernel is JIT-built with
# nvcc 13.3, Qwen3.6-27B AWQ-INT4 (compressed-tensors W4A16), 8.9 GiB RAM: build error, then shm_broadcast hang.
SEED002_CMD = ("vllm serve /data/qwen/Qwen3.6-27B-AWQ-INT4 --host 0.0.0.0 --port 8000 "
               "--served-model-name Qwen3.6-27B-AWQ-INT4 --tensor-parallel-size 2 --dtype half "
               "--max-model-len 262144 --max-num-seqs 1 --max-num-batched-tokens 8192 --kv-cache-dtype fp8 "
               "--disable-custom-all-reduce --enable-prefix-caching --mamba-cache-mode align "
               "--enable-flashinfer-autotune --reasoning-parser qwen3 --enable-auto-tool-choice "
               "--tool-call-parser qwen3_coder")
# What the plugin launcher (caovan-vllm-serve) injects before exec'ing `vllm serve`, from its own log line:
# "automem=inject gpu_memory_utilization=0.868 ... speculative_config=auto MTP=4".
SEED002_INJECTED = ' --gpu-memory-utilization 0.868 --speculative-config \'{"method":"mtp","num_speculative_tokens":4}\''


@pytest.fixture
def seed002_model(tmp_path):
    """The real Qwen3.5-27B config (Qwen3.6-27B's architecture, Qwen3_5ForConditionalGeneration) plus the
    compressed-tensors W4A16 quantization_config the seed's log shows (CompressedTensorsWNA16), read by the
    real reader. HAND-WRITTEN: only the quantization_config block."""
    config = json.loads((F.MODELS / "Qwen--Qwen3.5-27B" / "config.json").read_text())
    config["quantization_config"] = {
        "quant_method": "compressed-tensors", "format": "pack-quantized", "quantization_status": "compressed",
        "ignore": ["lm_head"], "config_groups": {"group_0": {"targets": ["Linear"], "weights": {
            "num_bits": 4, "type": "int", "symmetric": True, "group_size": 128, "strategy": "group", "dynamic": False}}}}
    d = tmp_path / "Qwen3.6-27B-AWQ-INT4"
    d.mkdir()
    (d / "config.json").write_text(json.dumps(config))
    return read_model(str(d))


def test_seed002_2080ti_wsl(seed002_model):
    codes, findings = diagnose("rtx2080ti-22gb-x2-wsl", seed002_model, SEED002_CMD + SEED002_INJECTED)
    must = {"LD204",        # "Cannot use FA version 2" is harmless on SM 7.5
            "LD110",        # nvcc 13.3 rejects template code: the plugin's build error; fix: CUDA 13.0 in the env
            "LD108",        # nvcc 13.3 vs torch cu130
            "LD306",        # host RAM 8.9 GiB below the checkpoint: slow load / shm_broadcast hang
            "LD501",        # WSL2
            "LD207",        # FP8 KV on SM 7.5 depends on backend/version
            "LD404"}        # MTP 4 on a hybrid GDN model with PIECEWISE graphs: illegal memory access
    assert must <= codes, must - codes
    assert not codes & {"LD201",   # --dtype half given
                        "LD601",   # --disable-custom-all-reduce given
                        "LD606",   # 24 heads / 4 KV heads split by 2
                        "LD701", "LD702", "LD703", "LD704",   # parsers match Qwen3.6
                        "LD209", "LD210",                     # Marlin on SM 7.5 with vLLM 0.21
                        "LD205", "LD505"}
    fa = next(f for f in findings if f.code == "LD204")
    assert fa.severity == "info" and "harmless" in fa.title
    jit = next(f for f in findings if f.code == "LD110")
    assert "cuda-toolkit=13.0" in jit.fix and "13.3" in jit.message


def test_seed002_with_bfloat16_on_turing(seed002_model):
    codes, _ = diagnose("rtx2080ti-22gb-x2-wsl", seed002_model,
                        SEED002_CMD.replace("--dtype half ", "--dtype bfloat16 ") + SEED002_INJECTED)
    assert "LD201" in codes
    # --dtype auto: the planner resolves it as current vLLM does (float16 on SM 7.5), so no error
    codes, _ = diagnose("rtx2080ti-22gb-x2-wsl", seed002_model,
                        SEED002_CMD.replace("--dtype half ", "") + SEED002_INJECTED)
    assert "LD201" not in codes


def test_seed002_fixed_toolchain(seed002_model):
    """After the fix from the seed's comments: a CUDA 13.0 toolkit inside the conda env."""
    def fix(machine):
        from llmdoctor.facts import Nvcc
        machine.software.nvcc.insert(0, Nvcc(path="/home/u/miniconda3/envs/caovan-vllm/bin/nvcc", version="13.0", max_gcc=15))
        machine.software.env["CUDA_HOME"] = "/home/u/miniconda3/envs/caovan-vllm"
    codes, _ = diagnose("rtx2080ti-22gb-x2-wsl", seed002_model, SEED002_CMD + SEED002_INJECTED, machine_patch=fix)
    assert not codes & {"LD110", "LD108", "LD107"}


# ---------------------------------------------------------------- seed 003
# Jetson AGX Thor (unified memory), NVIDIA's vLLM container, Qwen3-Coder-30B-A3B-Instruct-FP8:
# "CUDA error: an illegal memory access was encountered", fixed with --enforce-eager.
SEED003_VLLM = ("vllm serve /models/Qwen/Qwen3-Coder-30B-A3B-Instruct-FP8 --served-model-name qwen3 "
                "--max-model-len 65536")


def seed003_model():
    # The real Qwen3-Coder-30B-A3B-Instruct config; HAND-WRITTEN: its FP8 quantization spec and size,
    # taken from the real Qwen3-30B-A3B-FP8 config (same architecture and FP8 recipe).
    m = copy.deepcopy(F.model("Qwen--Qwen3-Coder-30B-A3B-Instruct"))
    fp8 = F.model("Qwen--Qwen3-30B-A3B-FP8")
    m.quantization, m.weight_bytes = copy.deepcopy(fp8.quantization), fp8.weight_bytes
    return m


def test_seed003_jetson_thor_fp8_moe():
    codes, _ = diagnose("jetson-thor", seed003_model(), SEED003_VLLM)
    assert {"LD213", "LD313"} <= codes           # FP8 MoE + CUDA graphs on Thor; unified-memory budget
    assert not codes & {"LD206", "LD208", "LD305", "LD701"}   # Thor has FP8; unified memory skips LD305


def test_seed003_enforce_eager_fixes_it():
    codes, _ = diagnose("jetson-thor", seed003_model(), SEED003_VLLM + " --enforce-eager")
    assert "LD213" not in codes


def test_seed003_llamacpp_ctx_size_0():
    # llama-server --ctx-size 0 with the Q5_K_M GGUF: the full 262144-token training context.
    # HAND-WRITTEN plan: weights of the ~21.7 GB GGUF fit Thor's memory.
    m = copy.deepcopy(F.model("Qwen--Qwen3-Coder-30B-A3B-Instruct"))
    m.format = "gguf"
    plan = hand_plan("llamacpp", weights_per_gpu=21_700_000_000, weights_total=21_700_000_000, max_model_len=262144)
    codes, _ = diagnose("jetson-thor", m, "llama-server --model /models/unsloth/Qwen3-Coder-30B-A3B-Instruct-GGUF/"
                        "Qwen3-Coder-30B-A3B-Instruct-Q5_K_M.gguf --alias qwen3 --host 0.0.0.0 --port 8000 --ctx-size 0", plan)
    assert "LD310" in codes
    assert not codes & {"LD213", "LD313", "LD705"}


# ---------------------------------------------------------------- seed 004
# One A10 (the seed says 16 GB; it has 24 GB), driver 525.105.17 kept "for stability", Ollama with
# Qwen3-32B Q4_K_M (the seed says 13 GB; the file is about 19.8 GB), Modelfile num_ctx 8192.
SEED004_CMD = "ollama run qwen3-32b-local"


# The seed's Modelfile: FROM /models/Qwen3-32B-Q4_K_M.gguf, PARAMETER num_ctx 8192. The real Qwen3-32B
# config stands in for the GGUF, sized by the real planner as Q4_K_M.
SEED004_OPTIONS = {"max_model_len": 8192, "quant": "Q4_K_M"}


def test_seed004_a10_ollama():
    codes, findings = diagnose("a10-24gb", F.model("Qwen--Qwen3-32B"), SEED004_CMD, options=SEED004_OPTIONS)
    assert {"LD113", "LD311"} <= codes           # driver 525 < 550: silent CPU fallback; 8k context truncates
    assert not codes & {"LD302", "LD301"}        # on the real 24 GB A10 the 19.8 GB file fits
    assert "550" in next(f for f in findings if f.code == "LD113").message


def test_seed004_claimed_16gb_a10_does_not_hold_the_model():
    # The seed's claim: "Qwen3-32B Q4_K_M needs 13 GB, fits a 16 GB A10". The real file is ~19.8 GB (18.4 GiB):
    # on 16 GiB part of it stays on the CPU.
    def shrink(machine):
        machine.gpus[0].memory_total_bytes = 16 * 2**30
        machine.gpus[0].memory_free_bytes = 16 * 2**30 - 400 * 2**20
    codes, findings = diagnose("a10-24gb", F.model("Qwen--Qwen3-32B"), SEED004_CMD, machine_patch=shrink,
                               options=SEED004_OPTIONS)
    assert "LD302" in codes
    assert "of the 18.4 GiB of weights" in next(f for f in findings if f.code == "LD302").message
