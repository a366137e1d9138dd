"""Records the planner produces (`plan.*` in the facts document) and consumes (the launch command).

Bytes are ints; per-GPU figures are per tensor-parallel rank. Everything here is JSON-serializable
with dataclasses.asdict.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional


@dataclass
class DockerWrapper:
    """What a `docker run ... IMAGE [engine args]` wrapper says (the rules need these)."""
    image: Optional[str] = None
    gpus: Optional[str] = None              # --gpus value as given ("all", '"device=1,2"')
    shm_size_bytes: Optional[int] = None    # --shm-size
    ipc: Optional[str] = None               # --ipc (e.g. "host")
    runtime: Optional[str] = None           # --runtime (e.g. "nvidia")
    privileged: bool = False
    env: dict[str, str] = field(default_factory=dict)
    devices: list[str] = field(default_factory=list)


@dataclass
class LaunchCommand:
    """A user's launch command, parsed. `flags` uses the engine's own option names in snake_case
    (vLLM/SGLang dest names such as tensor_parallel_size; llama.cpp long names such as n_gpu_layers,
    ctx_size, cache_type_k), values converted to int/float/bool where the engine does."""
    engine: str                             # "vllm" | "sglang" | "llamacpp" | "ollama"
    argv: list[str]
    program: Optional[str] = None           # "vllm serve", "python -m sglang.launch_server", "llama-server", ...
    model: Optional[str] = None             # the model path/name the command names
    flags: dict[str, Any] = field(default_factory=dict)
    unknown_flags: list[str] = field(default_factory=list)   # kept and reported, never fatal
    env: dict[str, str] = field(default_factory=dict)        # VAR=value prefixes and docker -e
    docker: Optional[DockerWrapper] = None
    origin: str = "user"                    # "user": the command given; "recommended": llmdoctor's own


@dataclass
class KvCachePlan:
    dtype: str                              # "bf16", "fp16", "fp8_e4m3", "q8_0", ...
    bytes_per_token: int                    # per GPU rank, summed over layers keeping per-token KV
    block_size: Optional[int]               # vLLM block / SGLang page / None for llama.cpp
    available_bytes_per_gpu: int            # memory given to KV (and recurrent state) per rank
    tokens: int                             # tokens of context the pool holds, as the engine reports
    state_bytes_per_sequence: int = 0       # fixed per-sequence state (mamba/linear), per rank
    details: dict[str, Any] = field(default_factory=dict)    # engine-specific figures (groups, cells, ...)


@dataclass
class WeightsPlan:
    bytes_per_gpu: int                      # what the engine loads on the busiest GPU
    bytes_total: int
    host_bytes: int = 0                     # weights left on the CPU (llama.cpp embeddings, offloaded experts)
    offloaded_bytes: int = 0                # the part of host_bytes that is computed on the CPU (layers,
                                            # experts): not the input embeddings llama.cpp always keeps there
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class GpuMemory:
    """One GPU's memory as the plan spends it (the TUI's memory bar reads this)."""
    index: int
    total_bytes: int
    weights_bytes: int = 0
    kv_cache_bytes: int = 0
    activation_bytes: int = 0
    cuda_graph_bytes: int = 0
    runtime_overhead_bytes: int = 0         # CUDA context, NCCL, non-torch buffers, compute buffers
    other_processes_bytes: int = 0
    free_bytes: int = 0                     # left unused (may be negative when it does not fit)


@dataclass
class SpeculativePlan:
    method: str                             # "mtp" | "eagle" | "ngram" | "draft_model"
    num_speculative_tokens: int
    extra_bytes_per_gpu: int = 0
    reason: Optional[str] = None


@dataclass
class Plan:
    engine: str
    engine_version: Optional[str]
    engine_version_source: str              # "installed" | "command" | "assumed-newest" | "flag"
    target: str                             # "probed" | "replay:<file>" | "what-if:<gpu>"
    num_gpus: int
    tensor_parallel_size: int
    pipeline_parallel_size: int
    dtype: str
    kv_cache: KvCachePlan
    max_model_len: int
    max_concurrency: float                  # as the engine prints it (requests of max_model_len)
    weights: WeightsPlan
    activation_bytes_per_gpu: int
    gpu_memory_utilization: Optional[float] # vLLM gmu / SGLang mem_fraction_static / None
    speculative: Optional[SpeculativePlan]
    decode_tokens_per_s: Optional[float]    # upper bound, one stream
    prefill_tokens_per_s: Optional[float]   # upper bound
    fits: bool
    fits_reason: str
    command: list[str]                      # the recommended launch command, argv
    assumptions: list[str] = field(default_factory=list)
    gpus: list[GpuMemory] = field(default_factory=list)
    recommendations: dict[str, Any] = field(default_factory=dict)   # flag -> recommended value, with why
    settings: dict[str, Any] = field(default_factory=dict)          # every effective engine setting used
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class PlanRequest:
    """What the user intends: an engine, its version, and the engine flags (normalized names as in
    LaunchCommand.flags). Flags absent here take the engine's own defaults for that version."""
    engine: str
    engine_version: Optional[str] = None
    flags: dict[str, Any] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    command: Optional[LaunchCommand] = None


@dataclass
class Target:
    """The hardware a plan is for: the GPUs the engine will see, and the host."""
    gpus: list[Any]                          # facts.Gpu, after CUDA_VISIBLE_DEVICES / docker --gpus
    host: Any                                # facts.Host
    software: Any                            # facts.Software
    source: str                              # "probed" | "replay:<file>" | "what-if:<gpu>"
