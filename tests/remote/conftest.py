"""Fixtures: the loopback Hub and registry (started once, logs cleared per test) and an environment that
points llmdoctor at them, with empty caches of the test's own and no token."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.remote import fakes
from tests.remote.servers import HubServer, RegistryServer

ROOT = fakes.ROOT
SHA_MAIN = fakes.commit("Qwen/Qwen3-8B main")
SHA_OLD = fakes.commit("Qwen/Qwen3-8B old")
SHA_GGUF = fakes.commit("Qwen/Qwen3-8B-GGUF main")
TOKEN = "hf_test_token"


@pytest.fixture(scope="session")
def hub_server():
    server = HubServer().start()
    files = fakes.qwen3_safetensors_files()
    old = {k: v for k, v in files.items() if k != "generation_config.json"}
    server.add("Qwen/Qwen3-8B", fakes.FakeRepo(files, SHA_MAIN, refs={"main": SHA_MAIN, "v1.0": SHA_MAIN,
                                                                      "v0.9": SHA_OLD}, older={SHA_OLD: old}))
    server.add("Qwen/Qwen3-8B-GGUF", fakes.FakeRepo(fakes.qwen3_gguf_repo_files(), SHA_GGUF, refs={"main": SHA_GGUF}))
    server.add("acme/private-8b", fakes.FakeRepo(files, fakes.commit("private"), refs={"main": fakes.commit("private")},
                                                 private=True, token=TOKEN))
    server.add("acme/gated-8b", fakes.FakeRepo(files, fakes.commit("gated"), refs={"main": fakes.commit("gated")},
                                               gated=True, token=TOKEN))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def registry_server():
    server = RegistryServer().start()
    model = fakes.qwen3_gguf("Q4_K_M")[0]
    server.add("library", "qwen3", "8b", [
        ("application/vnd.ollama.image.model", model),
        ("application/vnd.ollama.image.template", fakes.small(b"{{- range .Messages }}{{ .Content }}{{ end }}" * 20)),
        ("application/vnd.ollama.image.license", fakes.small(b"Apache License 2.0\n" * 500)),
        ("application/vnd.ollama.image.params", fakes.small(b'{"repeat_penalty":1,"stop":["<|im_start|>"]}'))])
    server.private.add("secret")
    yield server
    server.stop()


@pytest.fixture
def hub(hub_server):
    hub_server.reset()
    yield hub_server
    hub_server.reset()


@pytest.fixture
def registry(registry_server):
    registry_server.reset()
    yield registry_server
    registry_server.reset()


@pytest.fixture
def env(tmp_path, hub_server, registry_server):
    """What llmdoctor sees: the loopback services, caches under tmp_path, no token, not offline."""
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("HF_", "HUGGING", "TRANSFORMERS_", "LLMDOCTOR_", "OLLAMA_", "LLAMA_"))
            and k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    for name in ("home", "hf", "cache", "ollama", "llama"):
        (tmp_path / name).mkdir()
    return {**base, "HOME": str(tmp_path / "home"), "HF_HOME": str(tmp_path / "hf"),
            "HF_HUB_CACHE": str(tmp_path / "hf" / "hub"), "XDG_CACHE_HOME": str(tmp_path / "cache"),
            "OLLAMA_MODELS": str(tmp_path / "ollama"), "LLAMA_CACHE": str(tmp_path / "llama"),
            "HF_ENDPOINT": hub_server.url, "LLMDOCTOR_OLLAMA_REGISTRY": registry_server.url,
            "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost", "HF_HUB_DISABLE_TELEMETRY": "1",
            "LLMDOCTOR_HTTP_TIMEOUT": "10"}


def run(env: dict, *args, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "llmdoctor", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env=env)


def check_json(env: dict, *args) -> tuple[subprocess.CompletedProcess, dict]:
    out = run(env, "check", "--json", *args)
    assert out.returncode in (0, 1), out.stderr
    return out, json.loads(out.stdout)


@pytest.fixture(autouse=True)
def _hub_constants(monkeypatch):
    """In-process reads take their settings from the `env` mapping, but huggingface_hub reads some from the
    process environment at import: its user-agent telemetry would ask its import-time endpoint (the real
    Hub) for an agent registry (off, as HF_HUB_DISABLE_TELEMETRY=1 in the subprocesses), and another test
    module sets HF_HUB_OFFLINE=1 before it is imported (the tests here say when they mean offline)."""
    try:
        from huggingface_hub import constants
    except ImportError:
        return
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_TELEMETRY", True)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)


def read(env: dict, text: str, revision: str | None = None):
    """read_source(resolve_arg(...)) in this process, as `llmdoctor model` does."""
    from llmdoctor.app.model_ref import read_source, resolve_arg
    return read_source(resolve_arg(text, revision, env), env)


def ranges(server, name: str) -> list[tuple[int, int]]:
    """The byte ranges [start, end) asked of files whose path holds `name` (before the redirect to the CDN)."""
    out = []
    for e in server.log:
        if e.range and name in e.path and not e.path.startswith("/cdn/"):
            a, _, b = e.range[len("bytes="):].partition("-")
            out.append((int(a), int(b) + 1))
    return out
