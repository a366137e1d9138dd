"""vLLM's separate drafters (EAGLE heads, draft models): their weights on the last stage and their layers'
KV in the same cache, read from the drafter's own checkpoint when the command names one that is here."""
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
