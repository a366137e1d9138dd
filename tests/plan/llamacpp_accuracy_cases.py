"""llama.cpp / Ollama rows for the shared accuracy table (tests/plan/accuracy_cases.py appends them).

Engine values are what llama.cpp 0c1e57098 logged on an H200 (1 and 2 GPUs) for the tiny GGUF models
in fixtures/models/gguf-plan (fixtures/logs/llamacpp-measured, README there), and the seeds' numbers."""
from __future__ import annotations

from functools import lru_cache

from tests.plan.llamacpp_measured import LOGS, MIB, measured_buffers, plan_for, planned_buffers, read_log

URL = "fixtures/logs/llamacpp-measured/{}.log"


@lru_cache(maxsize=None)
def _run(name: str):
    log = read_log(LOGS / f"{name}.log")
    plan = plan_for(log)
    return log, plan, planned_buffers(plan, log["devices"]), measured_buffers(log)


def _measured(name, key):
    return _run(name)[3][key]


def _planned(name, key):
    return lambda: _run(name)[2][key]


def _cases():
    from tests.plan.accuracy_cases import Case
    rows = [
        ("run-q3-c0", ("KV", "CUDA0"), "KV buffer (MiB), -c 0 = n_ctx_train 40960", 0.1),
        ("run-q3-q8", ("KV", "CUDA0"), "KV buffer (MiB), q8_0 K/V", 0.1),
        ("run-q3-np4", ("KV", "CUDA0"), "KV buffer (MiB), -np 4 non-unified", 0.1),
        ("run-g3-c0", ("KV", "CUDA0"), "KV buffers (MiB), iSWA 32768 + 1024 cells", 0.1),
        ("run-g3-swafull", ("KV", "CUDA0"), "KV buffers (MiB), --swa-full", 0.1),
        ("cpu-kvu-gemma3", ("KV", "CPU"), "KV buffers (MiB), -np 4 -kvu (SWA 2560 cells)", 0.1),
        ("run-h-np2q8", ("RS", "CUDA0"), "recurrent state (MiB), 2 seqs F32", 5.0),
        ("run-h-np2q8", ("KV", "CUDA0"), "KV buffer (MiB), hybrid, q8_0, -np 2", 0.1),
        ("run-q3-c0", ("model", "CUDA0"), "CUDA0 model buffer (MiB)", 2.5),
        ("run-h-ncmoe4", ("model", "CUDA0"), "CUDA0 model buffer (MiB), --n-cpu-moe 4", 2.5),
        ("run-q3-ngl4", ("KV", "CPU"), "CPU KV buffer (MiB), -ngl 4", 0.1),
        ("run-q3-c0", ("compute", "CUDA0"), "CUDA0 compute buffer (MiB), FA, 40960 cells", 5.0),
        ("run-q3-nofa", ("compute", "CUDA0"), "CUDA0 compute buffer (MiB), FA off", 5.0),
        ("run-q3-ub2048", ("compute", "CUDA0"), "CUDA0 compute buffer (MiB), -ub 2048", 5.0),
        ("run-m2-q3-layer", ("compute", "CUDA1"), "CUDA1 compute buffer (MiB), 2 GPUs pipeline", 5.0),
        ("run-m2-q3-layer", ("compute", "CUDA0"), "CUDA0 compute buffer (MiB), 2 GPUs pipeline", 5.0),
        ("run-q3-c0", ("output", "CUDA_Host"), "host output buffer (MiB)", 5.0),
    ]
    out = [Case(f"llamacpp-h200 {name}", URL.format(name), "llamacpp", figure, _measured(name, key),
                _planned(name, key), tol, unit="MiB", inputs="tiny generated GGUF") for name, key, figure, tol in rows]
    out.append(Case("llamacpp-h200 run-m1-q3-fitc", URL.format("run-m1-q3-fitc"), "llamacpp",
                    "--fit reduced n_ctx (-fitt 142500)", 22272, lambda: _run("run-m1-q3-fitc")[1].kv_cache.tokens,
                    2.0, "fit interpolates on its own dry-run measurements"))
    out.append(Case("llamacpp-h200 run-h-ngl5", URL.format("run-h-ngl5"), "llamacpp",
                    "CUDA0 compute buffer (MiB), MoE partial offload", _measured("run-h-ngl5", ("compute", "CUDA0")),
                    _planned("run-h-ngl5", ("compute", "CUDA0")), 5.0,
                    "op-offload copies of CPU-resident weights not modelled", unit="MiB", known_gap=True))
    out += _ollama_11656(Case)
    return out


@lru_cache(maxsize=None)
def _cpu_qwen3_30b_plan():
    """ollama#11656: Qwen3-30B-A3B (the qwen3:30b tag, Q4_K_M) on the CPU, num_ctx 16384, FA off, 1 slot,
    run by Ollama's llama.cpp runner of August 2025."""
    from llmdoctor.facts import Host, Software
    from llmdoctor.engines import make_plan
    from llmdoctor.plan.records import PlanRequest, Target
    from tests.plan.accuracy_cases import model as real_model
    model = real_model("Qwen--Qwen3-30B-A3B")
    target = Target(gpus=[], host=Host(), software=Software(), source="what-if:cpu")
    flags = {"ctx_size": 16384, "parallel": 1, "quant": "Q4_K_M", "flash_attn": "off"}
    return make_plan(target, model, PlanRequest(engine="llamacpp", engine_version="b6100", flags=flags))


def _ollama_11656(Case):
    url = "https://github.com/ollama/ollama/issues/11656"
    host = lambda key: lambda: getattr(_cpu_qwen3_30b_plan().kv_cache.details.host, key) / MIB
    name = "ollama-11656 Qwen3-30B-A3B CPU 16k"
    return [
        Case(name, url, "llamacpp", "CPU KV buffer (MiB), 16384 cells f16", 1536.0,
             lambda: _cpu_qwen3_30b_plan().kv_cache.details.kv_bytes / MIB, 0.1, unit="MiB"),
        Case(name, url, "llamacpp", "CPU_Mapped model buffer (MiB), Q4_K_M sized from config.json", 17754.15,
             lambda: _cpu_qwen3_30b_plan().weights.host_bytes / MIB, 2.5,
             "the file's type is inferred (the tag's default); sizes from llama-quant.cpp's Q4_K_M recipe", unit="MiB"),
        Case(name, url, "llamacpp", "CPU output buffer (MiB)", 0.59, host("output_bytes"), 2.0, unit="MiB"),
        Case(name, url, "llamacpp", "CPU compute buffer (MiB), FA off", 1080.01, host("compute_bytes"), 10.0,
             "CPU-only compute buffers (the KQ scores without flash attention) are not modelled", unit="MiB",
             known_gap=True),
    ]


def llamacpp_cases():
    return _cases()
