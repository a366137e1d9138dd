"""Where an engine finds the model a launch command names, offline and read-only.

- a path (a directory, a config.json, a GGUF file), mapped back to the host when the command runs in
  a container and the path lies under one of its volumes (`-v HOST:CONTAINER`, `--mount`);
- an HF repo id (vLLM, SGLang, `--revision`) in the HF cache: HF_HUB_CACHE, else HF_HOME/hub, else
  XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub; refs/REV -> snapshots/SHA
  (huggingface_hub's layout);
- llama.cpp's `-hf USER/REPO[:QUANT]` in its cache (LLAMA_CACHE, else XDG_CACHE_HOME/llama.cpp, else
  ~/.cache/llama.cpp: files named USER_REPO_FILE.gguf) or in the HF cache;
- an Ollama NAME[:TAG] in the local store (OLLAMA_MODELS, else ~/.ollama/models): the manifest's
  model layer, a GGUF blob.

Not found: a NotFound (an InputError) that says every place it looked; the app layer may then read
the model remotely (checkpoint/remote_hf.py, remote_ollama.py). A snapshot that holds only what a
remote read fetched (side files, no weights; llmdoctor's listing beside it) does not count as found:
the remote reader reads it from the cache, with its header bytes.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Mapping, Optional

from llmdoctor.errors import InputError

MAX_MANIFEST = 1 << 20
MAX_REF = 4096
_HF_ID = re.compile(r"^[A-Za-z0-9][\w.-]{0,95}/[\w.-]{1,96}$")
_SHA = re.compile(r"^[0-9a-f]{40}$")


REMOTE_DIR = "llmdoctor"          # in an HF cache repo folder: what remote reads keep (remote_hf.py)
WEIGHT_SUFFIXES = (".safetensors", ".gguf", ".bin", ".pt", ".pth")


class NotFound(InputError):
    """The model is in none of the places looked at."""


@dataclass(frozen=True)
class Located:
    path: str                       # what the readers open
    how: str                        # "path" | "docker-volume" | "hf-cache" | "llamacpp-cache" | "ollama-store"
    looked: tuple[str, ...] = ()    # where it looked first


def _home(env: Mapping[str, str]) -> str:
    return env.get("HOME") or os.path.expanduser("~")


def hf_hub_dir(env: Mapping[str, str]) -> str:
    if env.get("HF_HUB_CACHE") or env.get("HUGGINGFACE_HUB_CACHE"):
        return env.get("HF_HUB_CACHE") or env["HUGGINGFACE_HUB_CACHE"]
    if env.get("HF_HOME"):
        return os.path.join(env["HF_HOME"], "hub")
    base = env.get("XDG_CACHE_HOME") or os.path.join(_home(env), ".cache")
    return os.path.join(base, "huggingface", "hub")


def _small_text(path: str, limit: int) -> Optional[str]:
    from llmdoctor.safe_io import read_regular
    try:
        return read_regular(path, limit).decode("utf-8").strip()
    except (InputError, UnicodeDecodeError):
        return None


def hf_snapshot(repo_id: str, revision: Optional[str], env: Mapping[str, str]) -> tuple[Optional[str], str]:
    """(snapshot directory or None, the repo folder looked in)."""
    repo_dir = os.path.join(hf_hub_dir(env), "models--" + repo_id.replace("/", "--"))
    rev = revision or "main"
    sha = rev if _SHA.match(rev) else _small_text(os.path.join(repo_dir, "refs", rev), MAX_REF)
    if not sha or not _SHA.match(sha):
        return None, repo_dir
    snap = os.path.join(repo_dir, "snapshots", sha)
    return (snap if os.path.isdir(snap) else None), repo_dir


def hf_repo_dir(repo_id: str, env: Mapping[str, str]) -> str:
    return os.path.join(hf_hub_dir(env), "models--" + repo_id.replace("/", "--"))


def headers_only_snapshot(snap: str) -> bool:
    """A snapshot a remote read left behind: no weight files, and llmdoctor's listing of its commit."""
    repo_dir = os.path.dirname(os.path.dirname(snap))
    if not os.path.isfile(os.path.join(repo_dir, REMOTE_DIR, f"listing-{os.path.basename(snap)}.json")):
        return False
    try:
        names = os.listdir(snap)[:10000]
    except OSError:
        return False
    return not any(n.endswith(WEIGHT_SUFFIXES) for n in names)


def ollama_blob(ref: str, env: Mapping[str, str]) -> tuple[Optional[str], str]:
    """(the GGUF blob of NAME[:TAG] or None, the manifest path looked at)."""
    models = env.get("OLLAMA_MODELS") or os.path.join(_home(env), ".ollama", "models")
    name, _, tag = ref.partition(":")
    parts = name.split("/")
    if len(parts) == 1:
        parts = ["registry.ollama.ai", "library", parts[0]]
    elif len(parts) == 2:
        parts = ["registry.ollama.ai", *parts]
    if any(p in ("", ".", "..") for p in parts) or "/" in tag or tag in (".", ".."):
        return None, models
    manifest = os.path.join(models, "manifests", *parts, tag or "latest")
    text = _small_text(manifest, MAX_MANIFEST)
    if text is None:
        return None, manifest
    try:
        layers = json.loads(text).get("layers", [])
    except (ValueError, AttributeError):
        raise InputError(f"{manifest}: not an Ollama manifest (JSON with layers)") from None
    for layer in layers if isinstance(layers, list) else []:
        if isinstance(layer, dict) and layer.get("mediaType") == "application/vnd.ollama.image.model":
            digest = str(layer.get("digest", ""))
            if re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
                blob = os.path.join(models, "blobs", digest.replace(":", "-"))
                return (blob if os.path.isfile(blob) else None), manifest
    return None, manifest


def llamacpp_hf(ref: str, env: Mapping[str, str]) -> tuple[Optional[str], list[str]]:
    """A `-hf USER/REPO[:QUANT]` GGUF in llama.cpp's cache or the HF cache."""
    repo, _, quant = ref.partition(":")
    looked = []
    cache = env.get("LLAMA_CACHE") or os.path.join(env.get("XDG_CACHE_HOME") or os.path.join(_home(env), ".cache"),
                                                   "llama.cpp")
    looked.append(cache)
    prefix = repo.replace("/", "_") + "_"
    candidates = []
    try:
        candidates = [os.path.join(cache, n) for n in sorted(os.listdir(cache))[:10000]
                      if n.startswith(prefix) and n.endswith(".gguf")]
    except OSError:
        pass
    snap, repo_dir = hf_snapshot(repo, None, env)
    looked.append(repo_dir)
    if snap:
        try:
            candidates += [os.path.join(snap, n) for n in sorted(os.listdir(snap))[:10000] if n.endswith(".gguf")]
        except OSError:
            pass
    want = quant.lower() or "q4_k_m"                   # llama.cpp's default quant for -hf
    match = [c for c in candidates if want in os.path.basename(c).lower()]
    first = [c for c in match if "-of-" not in c or "-00001-of-" in c]
    return (first or match or [None])[0], looked


def docker_host_path(path: str, volumes: list[tuple[str, str]]) -> Optional[str]:
    """The host path behind a container path, through the longest matching bind mount."""
    best = None
    for host, target in volumes:
        t = target.rstrip("/") or "/"
        if path == t or path.startswith(t.rstrip("/") + "/"):
            if best is None or len(t) > len(best[1]):
                best = (host, t)
    if best is None:
        return None
    rest = path[len(best[1]):].lstrip("/")
    return os.path.join(best[0], rest) if rest else best[0]


def locate(ref: str, store: str, env: Mapping[str, str], revision: Optional[str] = None,
           volumes: Optional[list[tuple[str, str]]] = None) -> Located:
    """Find what `ref` names for an engine whose store is "hf" (vLLM, SGLang), "llamacpp-hf" (a -hf
    reference) or "ollama"."""
    looked: list[str] = []
    if volumes:
        host = docker_host_path(ref, volumes)
        if host is not None:
            if os.path.exists(host):
                return Located(host, "docker-volume")
            looked.append(f"{host} (the host side of {ref})")
    if store != "ollama" and os.path.exists(ref):
        return Located(ref, "path")
    looked.append(ref)
    if store == "hf" and _HF_ID.match(ref):
        snap, where = hf_snapshot(ref, revision, env)
        if snap and not headers_only_snapshot(snap):
            return Located(snap, "hf-cache")
        looked.append(where)
    elif store == "llamacpp-hf":
        found, where = llamacpp_hf(ref, env)
        if found:
            return Located(found, "llamacpp-cache")
        looked += where
    elif store == "ollama":
        blob, where = ollama_blob(ref, env)
        if blob:
            return Located(blob, "ollama-store")
        looked.append(where)
    raise NotFound(f"{ref}: not found; looked in " + ", ".join(dict.fromkeys(looked)))
