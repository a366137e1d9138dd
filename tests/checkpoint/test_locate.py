"""Model references found the way each engine finds them, offline: HF cache, llama.cpp cache,
Ollama store, docker bind mounts; and a clear list of places when nothing is there."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from llmdoctor.checkpoint.locate import docker_host_path, hf_snapshot, locate
from llmdoctor.errors import InputError

ROOT = Path(__file__).resolve().parent.parent.parent
FIXTURES = ROOT / "fixtures"

SHA = "a" * 40
QWEN3_8B = FIXTURES / "models" / "Qwen--Qwen3-8B"


def hf_cache(root, repo="Qwen/Qwen3-8B", ref="main", sha=SHA):
    repo_dir = root / ("models--" + repo.replace("/", "--"))
    snap = repo_dir / "snapshots" / sha
    snap.mkdir(parents=True)
    shutil.copy(QWEN3_8B / "config.json", snap / "config.json")
    (repo_dir / "refs").mkdir()
    (repo_dir / "refs" / ref).write_text(sha)
    return snap


def test_hf_repo_id_through_refs_and_revision(tmp_path):
    snap = hf_cache(tmp_path / "hub")
    env = {"HF_HUB_CACHE": str(tmp_path / "hub")}
    assert locate("Qwen/Qwen3-8B", "hf", env).path == str(snap)
    assert locate("Qwen/Qwen3-8B", "hf", env, revision=SHA).how == "hf-cache"
    with pytest.raises(InputError, match="models--Qwen--Qwen3-8B"):
        locate("Qwen/Qwen3-8B", "hf", env, revision="v2")
    # HF_HOME/hub, then XDG_CACHE_HOME/huggingface/hub, then ~/.cache/huggingface/hub
    home = tmp_path / "home"
    hf_cache(home / ".cache" / "huggingface" / "hub")
    assert hf_snapshot("Qwen/Qwen3-8B", None, {"HOME": str(home)})[0] is not None
    assert hf_snapshot("Qwen/Qwen3-8B", None, {"HF_HOME": str(home / ".cache" / "huggingface")})[0] is not None


def test_not_found_says_where_it_looked(tmp_path):
    with pytest.raises(InputError) as exc:
        locate("Qwen/Qwen3-8B", "hf", {"HF_HUB_CACHE": str(tmp_path)})
    assert str(tmp_path) in str(exc.value) and "Qwen/Qwen3-8B" in str(exc.value)


def test_ollama_name_tag_through_the_manifest(tmp_path):
    models = tmp_path / "models"
    blob = models / "blobs" / ("sha256-" + "b" * 64)
    blob.parent.mkdir(parents=True)
    shutil.copy(FIXTURES / "models" / "gguf" / "tiny-llama-q4_k_m.gguf", blob)
    manifest = models / "manifests" / "registry.ollama.ai" / "library" / "llama3.1" / "8b"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(json.dumps({"layers": [
        {"mediaType": "application/vnd.ollama.image.template", "digest": "sha256:" + "c" * 64},
        {"mediaType": "application/vnd.ollama.image.model", "digest": "sha256:" + "b" * 64}]}))
    assert locate("llama3.1:8b", "ollama", {"OLLAMA_MODELS": str(models)}).path == str(blob)
    with pytest.raises(InputError, match="latest"):
        locate("llama3.1", "ollama", {"OLLAMA_MODELS": str(models)})
    with pytest.raises(InputError):
        locate("../../etc:passwd", "ollama", {"OLLAMA_MODELS": str(models)})


def test_llamacpp_hf_reference_in_its_cache(tmp_path):
    cache = tmp_path / "llama.cpp"
    cache.mkdir()
    gguf = cache / "unsloth_Qwen3-8B-GGUF_Qwen3-8B-Q4_K_M.gguf"
    shutil.copy(FIXTURES / "models" / "gguf" / "tiny-llama-q4_k_m.gguf", gguf)
    (cache / "unsloth_Qwen3-8B-GGUF_Qwen3-8B-Q8_0.gguf").write_bytes(b"x")
    env = {"LLAMA_CACHE": str(cache), "HF_HUB_CACHE": str(tmp_path / "none")}
    assert locate("unsloth/Qwen3-8B-GGUF", "llamacpp-hf", env).path == str(gguf)          # Q4_K_M by default
    assert locate("unsloth/Qwen3-8B-GGUF:q8_0", "llamacpp-hf", env).path.endswith("Q8_0.gguf")


def test_docker_paths_map_to_the_host():
    vols = [("/srv/models", "/models"), ("/srv/models/q", "/models/q")]
    assert docker_host_path("/models/q/config.json", vols) == "/srv/models/q/config.json"
    assert docker_host_path("/models/other", vols) == "/srv/models/other"
    assert docker_host_path("/elsewhere", vols) is None


def _check(*args, env=None):
    return subprocess.run([sys.executable, "-m", "llmdoctor", "check", "--json", "--gpu", "RTX 4090", *args],
                          capture_output=True, text=True, timeout=120, cwd=ROOT, env={**os.environ, **(env or {})})


def test_check_finds_a_repo_id_in_the_hf_cache(tmp_path):
    hf_cache(tmp_path / "hub")
    out = _check("--", "vllm", "serve", "Qwen/Qwen3-8B", env={"HF_HUB_CACHE": str(tmp_path / "hub")})
    assert out.returncode in (0, 1), out.stderr
    assert json.loads(out.stdout)["model"]["architecture"] == "Qwen3ForCausalLM"
    missing = _check("--", "vllm", "serve", "Qwen/Qwen3-9B", env={"HF_HUB_CACHE": str(tmp_path / "hub"),
                                                                    "HF_HUB_OFFLINE": "1"})   # no request in tests
    assert missing.returncode == 2 and "looked in" in missing.stderr and len(missing.stderr.splitlines()) == 1


def test_check_maps_a_docker_volume_back_to_the_host(tmp_path):
    shutil.copytree(QWEN3_8B, tmp_path / "q")
    out = _check("--", "docker", "run", "--gpus", "all", "-v", f"{tmp_path}/q:/models/q", "vllm/vllm-openai:v0.26.0",
                 "--model", "/models/q")
    assert out.returncode in (0, 1), out.stderr
    doc = json.loads(out.stdout)
    assert doc["model"]["path"] == f"{tmp_path}/q" and doc["plan"]["engine_version"] == "0.26.0"
    assert doc["command"]["docker"]["volumes"] == [[f"{tmp_path}/q", "/models/q"]]
