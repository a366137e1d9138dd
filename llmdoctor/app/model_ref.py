"""The model a launch command names, found the way its engine finds it (checkpoint/locate.py), with a
container's paths and caches mapped back to the host through the command's bind mounts."""
from __future__ import annotations

import os
from typing import Mapping, Optional

from llmdoctor.checkpoint.locate import docker_host_path, hf_hub_dir, locate


def command_model(command, user_env: Mapping[str, str]) -> Optional[str]:
    """A path the readers can open for the model `command` names, or None when it names none.
    InputError, saying where it looked, when it names one that is not here."""
    from llmdoctor import engines
    spec = engines.get(command.engine)
    ref, store = command.model, spec.model_store
    if store == "llamacpp-hf":
        if ref:
            store = "path"
        else:
            ref = command.flags.get("hf_repo")
    if not ref:
        return None
    env = {**user_env, **command.env}
    volumes = list(command.docker.volumes) if command.docker else []
    if command.docker:
        env = _container_caches(command, volumes, user_env)
    revision = command.flags.get("revision")
    return locate(str(ref), store, env, revision=str(revision) if revision else None, volumes=volumes).path


def _container_caches(command, volumes, user_env) -> dict:
    """The caches the engine sees inside the container (root's home unless -e says otherwise), as host paths."""
    inside = {"HOME": "/root", **command.docker.env}
    out = dict(user_env)
    hub = docker_host_path(hf_hub_dir(inside), volumes)
    out["HF_HUB_CACHE"] = hub or "/nonexistent-container-cache"
    for var, default in (("OLLAMA_MODELS", "/root/.ollama/models"), ("LLAMA_CACHE", "/root/.cache/llama.cpp")):
        host = docker_host_path(inside.get(var, default), volumes)
        out[var] = host or os.path.join("/nonexistent-container-cache", var)
    return out
