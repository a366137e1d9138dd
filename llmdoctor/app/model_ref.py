"""Which model the user names, and where it is read from.

- A model argument (`check`, `plan`, `tui`, `model`): a path; else a Hub repo id `ORG/NAME[@REV]`
  (the HF cache first, then the Hub), `ORG/NAME:QUANT` or `hf.co/ORG/NAME[:QUANT]` (a GGUF repo: the
  llama.cpp cache or the HF cache first, then the Hub; without a quant every quant is weighed,
  app/quant_choice.py), or an Ollama name `ollama:NAME[:TAG]`, `ollama.com/NS/NAME:TAG`,
  `registry.ollama.ai/NS/NAME:TAG` (the local store first, then the registry).
- A launch command: found the way its engine finds it (checkpoint/locate.py), with a container's paths
  and caches mapped back to the host through the command's bind mounts; a repo id, `-hf` reference or
  Ollama tag found nowhere here is read remotely.

Remote reads fetch headers only (checkpoint/remote_hf.py, remote_ollama.py). A name that is nothing
(a missing path, or a text that is no repo id) is an InputError that makes no request.
"""
from __future__ import annotations

import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Callable, Mapping, Optional

from llmdoctor.checkpoint.locate import (
    _HF_ID, NotFound, docker_host_path, headers_only_snapshot, hf_hub_dir, hf_snapshot, llamacpp_hf, locate,
    ollama_blob,
)
from llmdoctor.errors import InputError, UsageError

_QUANT_TAG = re.compile(r"^[\w.-]{1,60}$")
_REV_TAG = re.compile(r"^[\w.\-/]{1,200}$")


@dataclass(frozen=True)
class Source:
    """Where a model is read from."""
    kind: str                               # "path" | "hf" | "hf-gguf" | "ollama"
    ref: str                                # a path, a repo id, an Ollama name
    revision: Optional[str] = None
    quant: Optional[str] = None             # hf-gguf: the quant named (`:Q4_K_M`)
    choose: bool = False                    # a model argument without a quant: a GGUF repo's quants are weighed
    local_miss: Optional[str] = None        # "REF: not found; looked in ..." when local places came first
    env: tuple = ()                         # the launch command's environment (HF_ENDPOINT=... vllm serve ...)


def resolve_arg(text: str, revision: Optional[str], env: Mapping[str, str]) -> Source:
    """The Source of a model argument. A local path always wins."""
    if os.path.lexists(text):
        if revision:
            raise UsageError(f"--revision applies to a Hub repo id; {text} is a local path")
        return Source("path", text)
    t, low = text.strip(), text.strip().lower()
    for prefix in ("ollama://", "ollama:", "https://ollama.com/", "http://ollama.com/", "ollama.com/"):
        if low.startswith(prefix):
            return _ollama_arg(t[len(prefix):], text, env)
    if low.startswith("registry.ollama.ai/"):
        return _ollama_arg(t, text, env)
    gguf = False
    for prefix in ("hf.co/", "huggingface.co/", "https://huggingface.co/", "https://hf.co/"):
        if low.startswith(prefix):
            t, gguf = t[len(prefix):].rstrip("/"), not prefix.startswith("https://")
            parts = t.split("/")
            if not gguf and len(parts) >= 4 and parts[2] == "tree" and "@" not in t:    # a browser URL
                t = f"{parts[0]}/{parts[1]}@{'/'.join(parts[3:])}"
            break
    repo_part, _, at_rev = t.partition("@")
    repo, _, quant = repo_part.partition(":")
    if not _HF_ID.match(repo) or (not gguf and _looks_like_path(text)) or (quant and not _QUANT_TAG.match(quant)):
        raise InputError(f"{text}: no such file, and not a Hub repo id (ORG/NAME[@REV], hf.co/ORG/NAME[:QUANT])")
    rev = _one_revision(revision, at_rev or None, text)
    if gguf or quant:
        if quant and not rev:
            found, _ = llamacpp_hf(f"{repo}:{quant}", env)
            if found:
                return Source("path", found)
        return Source("hf-gguf", repo, rev, quant or None, choose=not quant)
    snap, where = hf_snapshot(repo, rev, env)
    if snap and not headers_only_snapshot(snap):
        return Source("path", snap)
    return Source("hf", repo, rev, choose=True, local_miss=f"{text}: not found; looked in {text}, {where}")


def _ollama_arg(name: str, text: str, env: Mapping[str, str]) -> Source:
    from llmdoctor.checkpoint.remote_ollama import is_hf_name, parse_name
    hf = is_hf_name(name)
    if hf is not None:
        return resolve_arg("hf.co/" + hf, None, env)
    try:
        parse_name(name)
    except ValueError:
        raise InputError(f"{text}: not an Ollama model name ([HOST/][NAMESPACE/]MODEL[:TAG])") from None
    blob, where = ollama_blob(name, env)
    if blob:
        return Source("path", blob)
    return Source("ollama", name, local_miss=f"{text}: not found; looked in {where}")


def _looks_like_path(text: str) -> bool:
    """A missing path is not taken for a repo id: ./x/y, /x/y, ~/x, *.gguf, or x/y where ./x exists."""
    if text.startswith(("/", "./", "../", "~", ".\\")) or text.lower().endswith((".gguf", ".json", ".safetensors")):
        return True
    first = text.split("/", 1)[0]
    return bool(first) and os.path.isdir(first)


def _one_revision(flag: Optional[str], inline: Optional[str], text: str) -> Optional[str]:
    if flag and inline and flag != inline:
        raise UsageError(f"{text} names revision {inline!r} and --revision says {flag!r}")
    rev = flag or inline
    if rev is not None and not _REV_TAG.match(rev):
        raise UsageError(f"revision {rev[:80]!r} is not a branch, tag or commit name")
    return rev


def command_source(command, user_env: Mapping[str, str], revision: Optional[str] = None) -> Optional[Source]:
    """The Source of the model `command` names, or None when it names none. Found the way its engine finds
    it; a repo id, -hf reference or Ollama tag that is nowhere here is read remotely. NotFound (an
    InputError saying where it looked) for a path that is not here."""
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
    env, volumes = _command_env(command, user_env)
    rev = command.flags.get("revision") or revision
    rev = str(rev) if rev else None
    try:
        return Source("path", locate(str(ref), store, env, revision=rev, volumes=volumes).path)
    except NotFound as exc:
        remote = _remote_for(str(ref), store, rev)
        if remote is None or (volumes and docker_host_path(str(ref), volumes) is not None):
            raise
        extra = () if command.docker else tuple(sorted(command.env.items()))
        return replace(remote, local_miss=str(exc), env=extra)


def _command_env(command, user_env: Mapping[str, str]) -> tuple[dict, list]:
    """The environment and bind mounts the engine of `command` resolves model names in."""
    volumes = list(command.docker.volumes) if command.docker else []
    env = _container_caches(command, volumes, user_env) if command.docker else {**user_env, **command.env}
    return env, volumes


def draft_path(command, user_env: Mapping[str, str]) -> Optional[str]:
    """A local path to the separate draft model `command` names (EAGLE heads, draft models), found the
    way its engine finds models; None when it names none or the draft is not here (drafts are never read
    remotely: the plan then assumes the drafter of the target's shape and says so)."""
    from llmdoctor import engines
    spec = engines.get(command.engine)
    ref = spec.draft_model_of(command.flags)
    if not ref:
        return None
    env, volumes = _command_env(command, user_env)
    store = "path" if spec.model_store == "llamacpp-hf" else spec.model_store
    try:
        return locate(str(ref), store, env, volumes=volumes).path
    except NotFound:
        return None


def _remote_for(ref: str, store: str, revision: Optional[str]) -> Optional[Source]:
    """What an engine would pull for a reference it does not find locally."""
    repo, _, quant = ref.partition(":")
    if store == "hf" and _HF_ID.match(repo) and not _looks_like_path(ref) and (not quant or _QUANT_TAG.match(quant)):
        return Source("hf-gguf", repo, revision, quant) if quant else Source("hf", repo, revision)
    if store == "llamacpp-hf" and _HF_ID.match(repo) and (not quant or _QUANT_TAG.match(quant)):
        return Source("hf-gguf", repo, None, quant or None)
    if store == "ollama":
        from llmdoctor.checkpoint.remote_ollama import is_hf_name, parse_name
        hf = is_hf_name(ref)
        if hf is not None:
            repo, _, tag = hf.partition(":")
            if _HF_ID.match(repo) and (not tag or _QUANT_TAG.match(tag)):
                return Source("hf-gguf", repo, None, tag if tag and tag.lower() != "latest" else None)
            return None
        try:
            parse_name(ref)
        except ValueError:
            return None
        return Source("ollama", ref)
    return None


def command_model(command, user_env: Mapping[str, str]) -> Optional[str]:
    """A path the readers can open for the model `command` names (a remote model: its reference), or None."""
    source = command_source(command, user_env)
    return source.ref if source else None


def probe_path(source: Optional[Source], env: Mapping[str, str]) -> Optional[str]:
    """The path whose filesystem the machine probe reports: the model's, or where a download would go."""
    if source is None:
        return None
    if source.kind == "path":
        return source.ref
    from llmdoctor.checkpoint.remote_ollama import local_store
    where = local_store(env) if source.kind == "ollama" else hf_hub_dir(env)
    while where and not os.path.isdir(where) and os.path.dirname(where) != where:
        where = os.path.dirname(where)
    return where or None


def read_source(source: Source, user_env: Mapping[str, str], choose: Optional[Callable] = None):
    """The ModelInfo of `source`. `choose(hub, repo, quants)` picks a quant when the source asks for it."""
    if source.kind == "path":
        from llmdoctor.checkpoint import read_model
        return read_model(source.ref)
    env = {**user_env, **dict(source.env)}
    with _remote(source, env) as wire:
        if source.kind == "ollama":
            from llmdoctor.checkpoint.remote_ollama import read_ollama_remote
            return read_ollama_remote(source.ref, env, wire)
        return _read_hf(source, env, wire, choose)


@contextmanager
def _remote(source: Source, env: Mapping[str, str]):
    from llmdoctor.checkpoint.remote_http import RemoteError, Wire
    label = source.ref + (f":{source.quant}" if source.quant else "") + (f"@{source.revision}" if source.revision else "")
    wire = Wire(label, env)
    try:
        yield wire
    except RemoteError as exc:
        if exc.missing and source.local_miss:
            reason = exc.reason if exc.subject == source.ref else str(exc)
            raise InputError(f"{source.local_miss}; {reason}") from None
        raise
    finally:
        wire.close()


def _read_hf(source: Source, env: Mapping[str, str], wire, choose: Optional[Callable]):
    from llmdoctor.checkpoint import remote_hf as rh
    hub = rh.Hub(env, wire)
    repo = hub.repo(source.ref, source.revision)
    notes: list[str] = []
    if source.kind == "hf" and rh.kind_of(repo) == "safetensors":
        info = rh.read_safetensors_repo(hub, repo)
    else:
        quants = rh.gguf_quants(repo)
        if not quants:
            raise rh.RemoteError(repo.repo_id, f"no GGUF files at commit {repo.sha[:12]}", missing=True)
        if source.quant:
            info = rh.read_gguf_quant(hub, repo, rh.pick_quant(repo, quants, source.quant))
        elif source.choose and choose is not None:
            info = choose(hub, repo, quants)
        else:
            quant, why = rh.default_quant(repo, quants)
            info = rh.read_gguf_quant(hub, repo, quant)
            notes.append(why)
            if len(quants) > 1:
                notes.append("GGUF quants in the repo: " + ", ".join(
                    f"{q.label} {q.total_bytes / 2**30:.2f} GiB" for q in sorted(quants, key=lambda q: q.total_bytes)))
    info.notes = notes + list(info.notes) + [rh.provenance(hub, repo)]
    return info


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
