"""What changed between Ollama versions, as the planner models it: one row per behaviour.

Read from ollama/ollama at v0.6.5, v0.6.7, v0.9.0, v0.12.11, v0.15.5, v0.30.0 and fb3076099
(knowledge/engine-memory.md §4; engines/ollama/startup_checks.md).
"""
from __future__ import annotations

from typing import Optional

from llmdoctor.plan.common import Change, has_change

CHANGES: dict[str, Change] = {
    "num_ctx_4096": Change(
        "0.6.7", "default num_ctx 4096 (2048 before)",
        "envconfig/config.go · ContextLength default (2048 at v0.6.5, 4096 at v0.6.7 - v0.12.11)"),
    "num_ctx_by_vram": Change(
        "0.15.5", "default num_ctx by total VRAM: >= 47 GiB 262144, >= 23 GiB 32768, else 4096",
        "server/routes.go · Serve, defaultNumCtx; envconfig.ContextLength default 0 (commit 0334ffa62, v0.15.5)"),
    "llama_server_runner": Change(
        "0.30.0", "every GGUF model runs in an upstream llama-server process",
        "llm/llama_server.go · startLlamaServer (commit 9db4bdbad, in v0.30.0)"),
}


def has(name: str, version: Optional[str]) -> bool:
    """Whether Ollama `version` has the behaviour CHANGES[name]."""
    return has_change(CHANGES, name, version)
