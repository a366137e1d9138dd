"""Separate drafters read from their own checkpoints when the command names one that is here: vLLM's EAGLE
heads and draft models (weights on the last stage, their layers' KV in the same cache) and llama.cpp's -md
draft model (a context of its own on the target's cells)."""
from __future__ import annotations

import json

import pytest

from llmdoctor.app.cli import main
from llmdoctor.engines import get

TARGET = "fixtures/models/Qwen--Qwen3-8B"
LLAMA = "benchmarks/speed/models/llama31-8b"
EAGLE3 = "benchmarks/vllm_memory/models/eagle3-llama31-8b"
DRAFT = "benchmarks/speed/models/qwen3-1.7b"
GIB = 1 << 30


def _plan(capsys, model, *extra):
    rc = main(["plan", "--gpu", "H200 SXM", "--json", "--", "vllm", "serve", model, "--max-model-len", "16384", *extra])
    assert rc in (0, 1)
    return json.loads(capsys.readouterr().out)["plan"]


def _spec(method, model, n=3):
    return ["--speculative-config", json.dumps({"method": method, "model": model, "num_speculative_tokens": n})]


def test_a_draft_model_adds_its_weights_and_its_own_kv(capsys):
    base = _plan(capsys, TARGET)
    with_draft = _plan(capsys, TARGET, *_spec("draft_model", DRAFT, 4))
    draft = _plan(capsys, DRAFT)
    # weights: the draft's own on top of the target's (one GPU)
    assert with_draft["weights"]["bytes_per_gpu"] - base["weights"]["bytes_per_gpu"] == \
        pytest.approx(draft["weights"]["bytes_per_gpu"], rel=0.01)
    # KV per token: the target's layers plus the draft's 28 layers of its own shape
    assert with_draft["kv_cache"]["bytes_per_token"] == \
        base["kv_cache"]["bytes_per_token"] + draft["kv_cache"]["bytes_per_token"]
    assert any("read from" in a and DRAFT in a for a in with_draft["assumptions"])


def test_an_eagle3_head_read_from_disk_matches_the_measured_load(capsys):
    # vLLM 0.26.0 on the H200 loaded 15.55 GiB for this pair (fixtures/logs/vllm-h200/llama31-8b-eagle3.log)
    p = _plan(capsys, LLAMA, *_spec("eagle3", EAGLE3))
    assert p["weights"]["bytes_per_gpu"] / GIB == pytest.approx(15.55, rel=0.03)


def test_a_draft_that_is_not_here_is_said_not_counted(capsys):
    base = _plan(capsys, TARGET)
    p = _plan(capsys, TARGET, *_spec("draft_model", "/nowhere/draft-model", 4))
    assert p["weights"]["bytes_per_gpu"] == base["weights"]["bytes_per_gpu"]
    assert any("not found here" in a for a in p["assumptions"])


@pytest.mark.parametrize("sc,expected", [
    ({"method": "mtp", "model": "x/y", "num_speculative_tokens": 1}, None),
    ({"method": "ngram", "num_speculative_tokens": 3}, None),
    ({"method": "eagle3", "model": "org/head"}, "org/head"),
    ({"model": "org/small"}, "org/small"),
    ("not a dict", None),
])
def test_which_speculative_configs_load_a_separate_model(sc, expected):
    assert get("vllm").draft_model_of({"speculative_config": sc}) == expected


# llama.cpp: -md runs a draft context with the target's cells, its own -ngld layers and -ctkd/-ctvd types

GGUF = "fixtures/models/gguf/tiny-llama-q4_k_m.gguf"


def _lcpp(capsys, *extra):
    rc = main(["plan", "--gpu", "RTX 4090", "--json", "--", "llama-server", "-m", GGUF, "-c", "8192", *extra])
    assert rc in (0, 1)
    p = json.loads(capsys.readouterr().out)["plan"]
    return p, p["kv_cache"]["details"]["per_device"]["0"]


def test_llamacpp_draft_model_adds_weights_kv_and_compute_on_its_devices(capsys):
    base, base_dev = _lcpp(capsys)
    same, same_dev = _lcpp(capsys, "-md", GGUF)
    q8, q8_dev = _lcpp(capsys, "-md", GGUF, "-ctkd", "q8_0", "-ctvd", "q8_0")
    cpu, cpu_dev = _lcpp(capsys, "-md", GGUF, "-ngld", "0")
    assert same["weights"]["bytes_per_gpu"] == 2 * base["weights"]["bytes_per_gpu"]
    assert same_dev["kv"] == 2 * base_dev["kv"]                 # f16 draft KV over the same 8192 cells
    assert base_dev["kv"] < q8_dev["kv"] < same_dev["kv"]
    assert same_dev["compute"] > base_dev["compute"]
    assert cpu["weights"]["bytes_per_gpu"] == base["weights"]["bytes_per_gpu"]
    assert cpu["weights"]["bytes_total"] == same["weights"]["bytes_total"]


# SGLang (v0.5.16+): the KV cell is scaled by (1 + draft layers / layers) for EAGLE-family drafts

def _sgl(capsys, *extra, version="0.5.23"):
    rc = main(["plan", "--gpu", "H100 SXM5", "--json", "--engine-version", version, "--", "python", "-m",
               "sglang.launch_server", "--model-path", LLAMA, "--context-length", "16384", *extra])
    assert rc in (0, 1)
    return json.loads(capsys.readouterr().out)["plan"]


def test_sglang_eagle_draft_takes_its_kv_share_of_the_pool(capsys):
    base = _sgl(capsys)
    eagle = _sgl(capsys, "--speculative-algorithm", "EAGLE3", "--speculative-draft-model-path", EAGLE3)
    old = _sgl(capsys, "--speculative-algorithm", "EAGLE3", "--speculative-draft-model-path", EAGLE3, version="0.5.12")
    cell = base["kv_cache"]["details"]["cell_size"]
    assert eagle["kv_cache"]["details"]["cell_size"] == pytest.approx(cell * (1 + 1 / 32))
    assert eagle["kv_cache"]["tokens"] < base["kv_cache"]["tokens"]
    assert any("outside mem_fraction_static" in a for a in eagle["assumptions"])
    # before v0.5.16 the draft's pool came from the memory the (smaller) mem_fraction_static left
    assert old["kv_cache"]["details"]["cell_size"] == cell
