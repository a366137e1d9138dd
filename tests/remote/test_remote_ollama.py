"""`ollama run NAME:TAG` with the tag not in the local store: the manifest and the GGUF blob's header
from the loopback registry (conftest.py), never registry.ollama.ai."""
import json

import pytest

from llmdoctor.errors import InputError
from tests.remote import fakes
from tests.remote.conftest import check_json, read, run

MiB = 1 << 20


def test_ollama_run_reads_the_model_layers_header(env, registry):
    out, doc = check_json(env, "--gpu", "RTX 4090", "--", "ollama", "run", "qwen3:8b")
    model = doc["model"]
    assert (model["path"], model["format"], model["gguf_file_type"]) == ("qwen3:8b", "gguf", "Q4_K_M")
    assert doc["plan"]["engine"] == "ollama" and doc["plan"]["fits"]
    head = len(fakes.qwen3_gguf("Q4_K_M")[0].head)
    blobs = [e for e in registry.log if "/blobs/" in e.path]
    assert all(e.range for e in blobs) and registry.bytes_sent() < head + 2 * MiB + 4096
    assert [e.path for e in registry.log if "/manifests/" in e.path] == ["/v2/library/qwen3/manifests/8b"]
    assert "read from http://127.0.0.1:" in model["notes"][-1]


def test_a_model_argument_and_the_offline_cache(env, registry):
    first = read(env, "ollama:qwen3:8b")
    assert first.path == "qwen3:8b" and first.spec.vocab_size == fakes.VOCAB
    registry.reset()
    offline = read({**env, "LLMDOCTOR_OFFLINE": "1"}, "ollama.com/library/qwen3:8b")
    assert registry.log == [] and offline.weight_bytes == first.weight_bytes
    assert "read from llmdoctor's cache" in offline.notes[-1]
    with pytest.raises(InputError, match="LLMDOCTOR_OFFLINE is set: nothing was requested"):
        read({**env, "LLMDOCTOR_OFFLINE": "1"}, "ollama:qwen3:14b")
    assert registry.log == []


@pytest.mark.parametrize("name, words", [
    ("qwen3:99b", ["qwen3:99b: not found; looked in", "not in the Ollama registry", "(404)"]),
    ("secret/model:latest", ["refused access (401)"]),
])
def test_registry_refusals_are_one_line(env, registry, name, words):
    out = run(env, "check", "--gpu", "RTX 4090", "--", "ollama", "run", name)
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert all(w in out.stderr for w in words), out.stderr


def test_the_local_store_comes_first(env, registry, tmp_path):
    models = tmp_path / "ollama"
    blob = models / "blobs" / ("sha256-" + "b" * 64)
    blob.parent.mkdir(parents=True)
    blob.write_bytes((fakes.ROOT / "fixtures" / "models" / "gguf" / "tiny-llama-q4_k_m.gguf").read_bytes())
    manifest = models / "manifests" / "registry.ollama.ai" / "library" / "qwen3" / "8b"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(json.dumps({"layers": [{"mediaType": "application/vnd.ollama.image.model",
                                                "digest": "sha256:" + "b" * 64}]}))
    out, doc = check_json(env, "--gpu", "RTX 4090", "--", "ollama", "run", "qwen3:8b")
    assert doc["model"]["path"] == str(blob) and registry.log == []


def test_ollama_run_hf_co_goes_to_the_hub(env, hub, registry):
    out, doc = check_json(env, "--gpu", "RTX 4090", "--", "ollama", "run", "hf.co/Qwen/Qwen3-8B-GGUF:Q8_0")
    assert doc["model"]["gguf_file_type"] == "Q8_0" and registry.log == [] and hub.log
