"""How many operations llama.cpp's decode graph holds: without CUDA graphs (every card below compute capability 7.0,
or GGML_CUDA_DISABLE_GRAPHS) the host launches them one by one, and a step takes at least their launch time.

Counted on ggml-org/llama.cpp@0c1e57098 (its CPU build, GGML_SCHED_DEBUG=2: the graph's nodes that are not views,
reshapes or permutes) for GGUF files of each architecture (benchmarks/speed/make_gguf.py shapes at small widths;
the count does not depend on widths). Per layer:

    llama      19 = attention 12 (norm, q/k/v, 2 ropes, 2 cache writes, flash attention, output, residual) + FFN 7
    qwen3      23 = + q/k norms 4                      gemma3  28 = + q/k norms 4, sandwich norms 4, query scale 1
    qwen3moe   38 = attention 16 + routed experts 22 (router, top-k, gathers, 3 expert mat-muls, weighting)
    qwen35     26 (gated attention: + 3) ; Gated DeltaNet layer 41 = mixer 34 + FFN 7
    qwen35moe  experts with a gated shared expert 30 in place of the FFN's 7
    + 6 per graph (embedding, output norm, output projection)

CUDA fuses some neighbours (norm and scale, rope and cache write, gate/up and their activation), so nodes are not
kernels; the launch time per node (t_node) is fitted on measured runs that way.
"""
from __future__ import annotations

from typing import Any

from llmdoctor.checkpoint.spec import LINEAR, MAMBA, MLP_ONLY
from llmdoctor.engines.llamacpp.arch import llamacpp_arch

PER_GRAPH = 6
ATTENTION = 12
QK_NORM = 4
SANDWICH_NORMS = 4
GATED_ATTENTION = 3
DELTANET_MIXER = 34
FFN, MOE_FFN, MOE_SHARED_FFN = 7, 22, 30

# src/models/*.cpp that normalize q and k per head (attn_q_norm)
QK_NORM_ARCHS = {"afmoe", "apertus", "bailingmoe2", "chameleon", "command-r", "dots1", "exaone-moe", "exaone4",
                 "gemma-embedding", "gemma3", "gemma3n", "gemma4", "glm4moe", "grovemoe", "hunyuan-moe", "laguna",
                 "lfm2", "lfm2moe", "llada-moe", "minimax-m2", "olmo2", "olmoe", "plamo2", "plamo3", "qwen3",
                 "qwen35", "qwen35moe", "qwen3moe", "qwen3next", "qwen3vl", "qwen3vlmoe", "step35"}
# norms after the attention and after the FFN as well as before them (attn_post_norm and ffn_post_norm)
SANDWICH_ARCHS = {"afmoe", "gemma-embedding", "gemma2", "gemma3", "gemma3n", "gemma4", "glm4", "plamo2", "plamo3"}
GATED_ATTENTION_ARCHS = {"qwen35", "qwen35moe", "qwen3next"}      # a sigmoid gate on the attention output
GEMMA_ARCHS = {"gemma2", "gemma3", "gemma3n", "gemma4", "gemma-embedding"}   # the query scaled in a node of its own
COUNTED_ARCHS = {"llama", "qwen3", "qwen3moe", "qwen35", "qwen35moe", "gemma3"}   # counted on files of their own


def decode_graph_nodes(model: Any) -> tuple[int, list[str]]:
    """Nodes of one decode step's graph, and what in the count was not counted on a file of its own."""
    arch = llamacpp_arch(model)
    moe = model.spec.moe
    attention = (ATTENTION + QK_NORM * (arch in QK_NORM_ARCHS) + SANDWICH_NORMS * (arch in SANDWICH_ARCHS)
                 + GATED_ATTENTION * (arch in GATED_ATTENTION_ARCHS) + (arch in GEMMA_ARCHS))
    ffn_moe = MOE_SHARED_FFN if moe and moe.shared_experts else MOE_FFN
    nodes = PER_GRAPH + (arch in GEMMA_ARCHS)          # Gemma scales the input embedding
    for layer in model.spec.layers or []:
        mixer = {MLP_ONLY: 0, LINEAR: DELTANET_MIXER, MAMBA: DELTANET_MIXER}.get(layer.kind, attention)
        nodes += mixer + (ffn_moe if layer.is_moe else FFN)
    uncounted = [] if arch in COUNTED_ARCHS else [f"{arch or 'this architecture'}'s layers assembled from those "
                                                  "counted on Llama, Qwen3, Qwen3-MoE, Qwen3.5 and Gemma 3 files"]
    if any(layer.kind == MAMBA for layer in model.spec.layers or []):
        uncounted.append("a Mamba layer counted as a Gated DeltaNet layer")
    return nodes, uncounted
