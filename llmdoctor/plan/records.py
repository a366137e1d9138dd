"""Records the planner produces (`plan.*` in the facts document) and consumes (the launch command).

Bytes are ints; per-GPU figures are per tensor-parallel rank. Everything here is JSON-serializable
with dataclasses.asdict. A Plan and its parts are immutable: a planner builds them once, and a later
step (the recommendation, the re-check of the recommended command) derives a new Plan with
dataclasses.replace. Engine-specific figures are typed records too (VllmKv, SglangMemory, ...), so
the JSON Schema and the rules' checker see every field.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Union


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
    volumes: list[tuple[str, str]] = field(default_factory=list)   # bind mounts: (host path, container path)


@dataclass(frozen=True)
class CommandIssue:
    """What the engine's command-line parser says of one flag (engines/cli_table.py)."""
    kind: str                  # unknown-flag | removed-flag | ambiguous-flag | bad-value | bad-choice |
                               # missing-value | deprecated-flag | lossy-value
    flag: str
    value: Optional[str]
    refuses: bool              # the engine stops at its command line
    message: str               # what the engine prints
    hint: Optional[str]        # "did you mean --x?", or when the flag came or went
    source: str                # where in the engine's source, and the version checked


@dataclass
class LaunchCommand:
    """A user's launch command, parsed. `flags` uses the engine's own option names in snake_case
    (vLLM/SGLang dest names such as tensor_parallel_size; llama.cpp long names such as n_gpu_layers,
    ctx_size, cache_type_k), values converted to int/float/bool where the engine does."""
    engine: str                             # "vllm" | "sglang" | "llamacpp" | "ollama"
    argv: list[str]
    program: Optional[str] = None           # "vllm serve", "python -m sglang.launch_server", "llama-server", ...
    model: Optional[str] = None             # the model path/name the command names
    args: list[str] = field(default_factory=list)            # the arguments after the engine's program
    flags: dict[str, Any] = field(default_factory=dict)
    unknown_flags: list[str] = field(default_factory=list)   # kept and reported, never fatal
    env: dict[str, str] = field(default_factory=dict)        # VAR=value prefixes and docker -e
    docker: Optional[DockerWrapper] = None
    origin: str = "user"                    # "user": the command given; "recommended": llmdoctor's own


@dataclass(frozen=True)
class VllmKv:
    """vLLM's KV cache: blocks and groups (vllm/v1/core/kv_cache_utils.py)."""
    num_blocks: int
    bytes_per_block: int
    groups: list[tuple[str, int]]                # (kind, layers in group) per KV-cache group
    blocks_per_request: int
    request_bytes: int                           # what one max_model_len request needs
    padding_layers: int
    mamba_padding_pct: Optional[float]
    estimated_max_model_len: Optional[int]
    mamba_cache_mode: str


@dataclass(frozen=True)
class SglangKv:
    """SGLang's token pools (mem_cache/memory_pool.py)."""
    cell_size: float
    mamba_slots: Optional[int]
    mamba_pool_bytes: int
    max_running_requests: int
    kv_size_bytes: Optional[int] = None          # MLA: one latent pool
    k_size_bytes: Optional[int] = None
    v_size_bytes: Optional[int] = None
    swa_tokens: Optional[int] = None


@dataclass(frozen=True)
class HostMemory:
    """llama.cpp's host RAM: CPU-resident weights (mapped or read), host KV, compute and output buffers."""
    weights_bytes: int
    resident_weights_bytes: int
    locked_bytes: int
    memlock_limit_bytes: Optional[int]
    kv_bytes: int
    compute_bytes: int
    output_bytes: int
    required_bytes: int


@dataclass(frozen=True)
class LlamacppKv:
    """llama.cpp's cells, caches and buffers per device (src/llama-kv-cache.cpp, llama-context.cpp)."""
    n_ctx: int
    n_ctx_seq: int
    n_seq_max: int
    n_stream: int
    kv_unified: bool
    swa_cells: Optional[int]                     # per stream; None without SWA layers
    rs_rows: int
    k_bytes: int
    v_bytes: int
    kv_bytes: int
    recurrent_state_bytes: int
    per_device: dict[str, dict[str, int]]        # device ("0", "1", "-1" = CPU) -> buffer -> bytes
    host: HostMemory
    compute_terms: dict[str, Any]
    estimated: list[str]                         # figures llama.cpp measures at run time, estimated here


@dataclass(frozen=True)
class KvCachePlan:
    dtype: str                              # "bf16", "fp16", "fp8_e4m3", "q8_0", ...
    bytes_per_token: int                    # per GPU rank, summed over layers keeping per-token KV
    block_size: Optional[int]               # vLLM block / SGLang page / None for llama.cpp
    available_bytes_per_gpu: int            # memory given to KV (and recurrent state) per rank
    tokens: int                             # tokens of context the pool holds, as the engine reports
    state_bytes_per_sequence: int = 0       # fixed per-sequence state (mamba/linear), per rank
    details: Union[VllmKv, SglangKv, LlamacppKv, None] = None    # the engine's own figures


@dataclass(frozen=True)
class WeightBreakdown:
    """Weights by part on the whole model, as vLLM and SGLang load them (plan/weights.py)."""
    embedding: int
    lm_head: int
    layers: int
    vision: int
    mtp: int
    other: int
    rope_cache_per_rank: int
    dtype_scale: float


@dataclass(frozen=True)
class GgufPlacement:
    """Where llama.cpp puts a GGUF's tensors (llama-model.cpp load_tensors)."""
    per_device: dict[str, int]                   # device ("-1" = CPU) -> bytes
    n_gpu_layers: int
    output_device: int
    experts_on_host: int
    estimated: bool                              # sizes from config.json and a quant type, no GGUF read


@dataclass(frozen=True)
class WeightsPlan:
    bytes_per_gpu: int                      # what the engine loads on the busiest GPU
    bytes_total: int
    host_bytes: int = 0                     # weights left on the CPU (llama.cpp embeddings, offloaded experts)
    offloaded_bytes: int = 0                # the part of host_bytes that is computed on the CPU (layers,
                                            # experts): not the input embeddings llama.cpp always keeps there
    details: Union[WeightBreakdown, GgufPlacement, None] = None


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class SpeedEstimate:
    """Expected speed with a low-high range (plan/speed_model.py; docs/speed.md). tok/s unless named."""
    decode_tokens_per_s: Optional[float] = None     # one stream at `context` (= Plan.decode_tokens_per_s)
    decode_low: Optional[float] = None
    decode_high: Optional[float] = None
    decode_upper_bound: Optional[float] = None      # bandwidth roofline: bytes read per token / peak bandwidth
    context: int = 0                                # tokens of context per sequence the decode figures are for
    max_context: int = 0                            # the longest context a sequence may reach in this plan
    decode_at_max_tokens_per_s: Optional[float] = None   # one stream at max_context (KV reads grow with it)
    decode_at_max_low: Optional[float] = None
    decode_at_max_high: Optional[float] = None
    concurrency: int = 1                            # sequences the plan lets run at once at that context
    aggregate_tokens_per_s: Optional[float] = None  # all sequences together at `concurrency`
    aggregate_low: Optional[float] = None
    aggregate_high: Optional[float] = None
    prompt_tokens: int = 0                          # prompt the prefill figures are for
    prefill_tokens_per_s: Optional[float] = None
    prefill_low: Optional[float] = None
    prefill_high: Optional[float] = None
    ttft_s: Optional[float] = None                  # time to first token of that prompt (one request, idle engine)
    ttft_low_s: Optional[float] = None
    ttft_high_s: Optional[float] = None
    kernel_path: str = ""                           # engine, CUDA graphs/eager, weight format, MoE, TP, memory class
    calibration: str = ""                           # what the constants were fitted on
    assumptions: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SpeculativePlan:
    method: str                             # "mtp" | "eagle" | "ngram" | "draft_model"
    num_speculative_tokens: int
    extra_bytes_per_gpu: int = 0
    reason: Optional[str] = None


@dataclass(frozen=True)
class Recommendation:
    value: Any
    why: str


@dataclass(frozen=True)
class CommandCheck:
    """The recommended command, planned once more exactly as printed (engines/verify.py)."""
    fits: Optional[bool]                    # None: the command could not be read back
    why: str
    kv_tokens: Optional[int] = None
    max_model_len: Optional[int] = None
    max_concurrency: Optional[float] = None


@dataclass(frozen=True)
class EngineDefaults:
    """How the engine's own defaults fared, when the plan shows the recommended settings instead."""
    fits: bool
    why: str


@dataclass(frozen=True, kw_only=True)
class PlanDetails:
    command_check: Optional[CommandCheck] = None
    engine_defaults: Optional[EngineDefaults] = None


@dataclass(frozen=True, kw_only=True)
class VllmMemory(PlanDetails):
    """vLLM's budget (vllm/v1/worker/gpu_worker.py determine_available_memory)."""
    requested_bytes_per_gpu: int
    non_torch_bytes: int
    cudagraph_bytes: int
    max_num_batched_tokens: int
    num_reqs_profiled: int
    max_model_len_for_concurrency: Optional[int]
    requested_memory_formula: str
    graphs_after_kv: bool = False           # CUDA graphs captured after the KV cache, from the (1 - gmu) headroom


@dataclass(frozen=True, kw_only=True)
class SglangMemory(PlanDetails):
    """SGLang's static pool split (model_runner.py profile_max_num_token)."""
    pre_model_load_bytes: int
    rest_bytes: int
    non_static_bytes: int


@dataclass(frozen=True, kw_only=True)
class LlamacppFit(PlanDetails):
    """llama.cpp: settings it refuses, and what --fit did (common/fit.cpp)."""
    errors: list[str] = field(default_factory=list)
    fit: list[str] = field(default_factory=list)


@dataclass(frozen=True)
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
    decode_tokens_per_s: Optional[float]    # expected, one stream (speed.decode_*; the roofline: speed.decode_upper_bound)
    prefill_tokens_per_s: Optional[float]   # expected (speed.prefill_*)
    fits: bool
    fits_reason: str
    command: list[str]                      # the recommended launch command, argv
    context_limit: Optional[int] = None     # the longest context the engine accepts for this model
    assumptions: list[str] = field(default_factory=list)
    gpus: list[GpuMemory] = field(default_factory=list)
    recommendations: dict[str, Recommendation] = field(default_factory=dict)   # flag -> value, with why
    settings: dict[str, Any] = field(default_factory=dict)          # every effective engine setting used
    details: Union[VllmMemory, SglangMemory, LlamacppFit, PlanDetails] = field(default_factory=PlanDetails)
    speed: Optional[SpeedEstimate] = None   # expected decode/prefill speed with its range (docs/speed.md)


@dataclass
class PlanRequest:
    """What the user intends: an engine, its version, and the engine flags (normalized names as in
    LaunchCommand.flags). Flags absent here take the engine's own defaults for that version."""
    engine: str
    engine_version: Optional[str] = None
    flags: dict[str, Any] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    command: Optional[LaunchCommand] = None
    draft: Any = None                       # checkpoint.spec.ModelInfo of a separate draft model, when read


@dataclass
class Target:
    """The hardware a plan is for: the GPUs the engine will see, and the host."""
    gpus: list[Any]                          # facts.Gpu, after CUDA_VISIBLE_DEVICES / docker --gpus
    host: Any                                # facts.Host
    software: Any                            # facts.Software
    source: str                              # "probed" | "replay:<file>" | "what-if:<gpu>"
