"""Where llama.cpp puts the weights: per-device model buffers for -ngl, -ts, -sm, --n-cpu-moe/--cpu-moe, -ot.

Rules from ggml-org/llama.cpp@0c1e57098 `src/llama-model.cpp` (load_tensors / get_layer_buft_list):
- token_embd (the input layer) always stays in a host buffer;
- "layers" 0..n_layer, the last being the output layer; with -ngl N the last N go to GPU
  (i_gpu_start = max(n_layer + 1 - N, 0)); N < 0 means all (n_layer + 1);
- layer il goes to device upper_bound(split_cum, (il - i_gpu_start) / n_gpu) where split_cum is the
  normalized cumulative -ts, or each device's free memory when -ts is not given;
- a tied output (no output.weight) loads a duplicate of token_embd on the output device;
- --cpu-moe / --n-cpu-moe N / -ot patterns move matching tensors to the host (`common/arg.cpp`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

CPU = -1


@dataclass
class WeightSource:
    embedding: int              # token_embd bytes
    output: int                 # output.weight (+ output_norm); a duplicate of token_embd when tied
    per_layer: list[int]        # all tensors of each decoder layer
    per_layer_experts: list[int]
    estimated: bool = False
    tied: bool = False          # output is a duplicate of token_embd
    notes: list[str] = field(default_factory=list)


@dataclass
class Placement:
    layer_device: list[int]     # device of each decoder layer, CPU = -1
    output_device: int
    device_bytes: dict[int, int]        # device -> model buffer bytes (CPU included)
    expert_bytes_on_host: int
    n_gpu_layers: int                   # as llama.cpp counts them (output layer included)
    host_expert_fraction: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def layer_devices(n_layer: int, n_gpu_layers: int, splits: list[float], split_mode: str,
                  main_gpu: int) -> tuple[list[int], int]:
    """Device of each of the n_layer + 1 llama.cpp layers (the last is the output layer)."""
    n_dev = len(splits)
    if n_dev == 0:
        return [CPU] * n_layer, CPU
    ngl = n_layer + 1 if n_gpu_layers < 0 else min(n_gpu_layers, n_layer + 1)
    i_gpu_start = max(n_layer + 1 - ngl, 0)
    if split_mode == "none" or n_dev == 1:
        cum = [0.0] * n_dev
        cum[min(main_gpu, n_dev - 1)] = 1.0
        cum = [sum(cum[: i + 1]) for i in range(n_dev)]
    else:
        total = sum(splits) or 1.0
        acc, cum = 0.0, []
        for s in splits:
            acc += s
            cum.append(acc / total)
    devs = []
    for il in range(n_layer + 1):
        if il < i_gpu_start or ngl == 0:
            devs.append(CPU)
            continue
        frac = (il - i_gpu_start) / ngl
        dev = next((i for i, c in enumerate(cum) if c > frac), n_dev - 1)   # std::upper_bound
        devs.append(dev)
    return devs[:-1], devs[-1]


def cpu_override_patterns(overrides: list[str]) -> list[re.Pattern]:
    """The `-ot REGEX=CPU...` patterns (llama.cpp skips ones that do not compile; so do we)."""
    out = []
    for spec in overrides:
        pattern, _, buft = spec.partition("=")
        if not buft.upper().startswith("CPU"):
            continue
        try:
            out.append(re.compile(pattern))
        except re.error:
            continue
    return out


def expert_host_fraction(n_layer: int, cpu_moe: bool, n_cpu_moe: int, overrides: list[str]) -> list[float]:
    """Share of each layer's routed-expert bytes the flags move to the host."""
    fractions = [0.0] * n_layer
    for il in range(n_layer):
        if cpu_moe or il < n_cpu_moe:
            fractions[il] = 1.0
    for rx in cpu_override_patterns(overrides):
        for il in range(n_layer):
            names = [f"blk.{il}.ffn_{p}_exps.weight" for p in ("up", "down", "gate")]
            hit = sum(1 for n in names if rx.search(n))
            fractions[il] = max(fractions[il], hit / 3)
    return fractions


def dense_on_host(n_layer: int, overrides: list[str]) -> list[bool]:
    """Layers whose attention weights an -ot pattern sends to the host (whole non-expert part moved)."""
    out = [False] * n_layer
    for rx in cpu_override_patterns(overrides):
        for il in range(n_layer):
            if rx.search(f"blk.{il}.attn_q.weight") or rx.search(f"blk.{il}.ffn_up.weight"):
                out[il] = True
    return out


def place(src: WeightSource, n_gpus: int, n_gpu_layers: int, splits: list[float], split_mode: str,
          main_gpu: int, cpu_moe: bool, n_cpu_moe: int, overrides: list[str]) -> Placement:
    n_layer = len(src.per_layer)
    devs, out_dev = layer_devices(n_layer, n_gpu_layers, splits if n_gpus else [], split_mode, main_gpu)
    host_exp = expert_host_fraction(n_layer, cpu_moe, n_cpu_moe, overrides)
    host_dense = dense_on_host(n_layer, overrides)
    dev_bytes: dict[int, int] = {CPU: src.embedding}
    notes: list[str] = []
    experts_on_host = 0
    row = split_mode == "row" and n_gpus > 1
    total_split = sum(splits) or 1.0
    for il, (layer, experts) in enumerate(zip(src.per_layer, src.per_layer_experts)):
        dev = devs[il]
        dense = layer - experts
        moved_exp = int(experts * host_exp[il]) if dev != CPU else 0
        moved_dense = dense if (dev != CPU and host_dense[il]) else 0
        experts_on_host += moved_exp
        dev_bytes[CPU] = dev_bytes.get(CPU, 0) + moved_exp + moved_dense
        on_dev = layer - moved_exp - moved_dense
        if row and dev != CPU:
            # -sm row: matrices split by rows in -ts proportions (norms stay on the main GPU; ignored)
            for g in range(n_gpus):
                dev_bytes[g] = dev_bytes.get(g, 0) + int(on_dev * splits[g] / total_split)
        else:
            dev_bytes[dev] = dev_bytes.get(dev, 0) + on_dev
    # a tied output on the CPU shares token_embd's mapped data: no second copy
    dev_bytes[out_dev] = dev_bytes.get(out_dev, 0) + (src.output - src.embedding if (src.tied and out_dev == CPU) else src.output)
    if row:
        notes.append("-sm row: weight matrices split across GPUs by -ts rows; KV and compute on --main-gpu")
    ngl = n_layer + 1 if n_gpu_layers < 0 else min(n_gpu_layers, n_layer + 1)
    return Placement(devs, out_dev, dev_bytes, experts_on_host, ngl if n_gpus else 0, host_exp, notes)
