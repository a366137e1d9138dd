"""llama.cpp's decode-graph size, checked against the node counts its CPU build printed for real GGUF files
(fixtures/logs/speed/llamacpp/graph-nodes-0c1e57098.txt, benchmarks/speed/count_nodes.py)."""
import os
import re

import pytest

from llmdoctor.checkpoint import read_model
from llmdoctor.engines.llamacpp.graph import decode_graph_nodes

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COUNTS = os.path.join(ROOT, "fixtures", "logs", "speed", "llamacpp", "graph-nodes-0c1e57098.txt")

# the GGUF shapes counted -> a config of that model here (the same layers and layer kinds)
MODELS = {"llama-1b": "benchmarks/speed/models/llama32-1b", "llama-8b": "benchmarks/speed/models/llama31-8b",
          "qwen3-0.6b": "benchmarks/speed/models/qwen3-0.6b", "qwen3-8b": "benchmarks/speed/models/qwen3-8b",
          "qwen3moe-30b-a3b": "benchmarks/speed/models/qwen3-30b-a3b",
          "qwen35-0.8b": "benchmarks/speed/models/qwen35-0.8b", "qwen35-27b": "fixtures/models/Qwen--Qwen3.5-27B",
          "qwen35moe-35b-a3b": "fixtures/models/Qwen--Qwen3.5-35B-A3B",
          "gemma3-1b": "fixtures/models/google--gemma-3-1b-it", "gemma3-27b": "fixtures/models/google--gemma-3-27b-it"}


def _counted() -> dict[str, int]:
    out = {}
    for line in open(COUNTS):
        m = re.match(r"(\S+) \(total nodes \d+\): (\d+) ", line)
        if m:
            out[m.group(1)] = int(m.group(2))
    return out


@pytest.mark.parametrize("shape", sorted(MODELS))
def test_node_count_matches_llamacpp(shape):
    nodes, uncounted = decode_graph_nodes(read_model(os.path.join(ROOT, MODELS[shape])))
    assert abs(nodes - _counted()[shape]) <= 1, (nodes, _counted()[shape])
    assert uncounted == []


def test_an_architecture_not_counted_says_so():
    nodes, uncounted = decode_graph_nodes(read_model(os.path.join(ROOT, "benchmarks/speed/models/dsv2-lite")))
    assert nodes > 27 * 19 and any("deepseek2" in u for u in uncounted)


def test_mamba_layers_are_named_as_a_stand_in():
    model = read_model(os.path.join(ROOT, "fixtures/models/nvidia--NVIDIA-Nemotron-3-Nano-30B-A3B-BF16"))
    _, uncounted = decode_graph_nodes(model)
    assert any("Mamba" in u for u in uncounted)
