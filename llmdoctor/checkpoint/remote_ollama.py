"""An Ollama model (`ollama run NAME:TAG`) that is not in the local store, read from its registry.

Ollama's registry speaks the OCI distribution API: the tag's manifest
(`GET /v2/NAMESPACE/MODEL/manifests/TAG`, a small JSON) names the model layer
(`application/vnd.ollama.image.model`, a GGUF blob) by digest and size; the blob
(`GET /v2/NAMESPACE/MODEL/blobs/sha256:...`, redirected to a CDN) is read by range requests, only the
bytes before its tensor data, into the GGUF reader's own parser. NAME is `[HOST/][NAMESPACE/]MODEL`
(`library` and registry.ollama.ai by default; LLMDOCTOR_OLLAMA_REGISTRY points the default registry
elsewhere, e.g. a mirror or a test server). Nothing is written to Ollama's store: the manifest and the
header bytes are kept in llmdoctor's cache ($XDG_CACHE_HOME/llmdoctor/remote/ollama), so a run with
LLMDOCTOR_OFFLINE=1 (or HF_HUB_OFFLINE=1: the HTTP client is huggingface_hub's) reads them without a
request.
"""
from __future__ import annotations

import os
import re
from typing import Mapping, Optional

from llmdoctor.checkpoint.remote_http import RemoteError, RemotePrefix, Wire, clean, read_cached, write_atomic

DEFAULT_REGISTRY = "https://registry.ollama.ai"
DEFAULT_HOST = "registry.ollama.ai"
MANIFEST_TYPES = "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json"
MODEL_LAYER = "application/vnd.ollama.image.model"
MAX_MANIFEST = 1 << 20
MAX_GGUF_HEADER = 96 << 20
_PART = re.compile(r"^[A-Za-z0-9][\w.-]{0,79}$")
_HOST = re.compile(r"^[A-Za-z0-9][\w.-]{0,252}(:\d{1,5})?$")
_TAG = re.compile(r"^\w[\w.-]{0,79}$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


def parse_name(ref: str) -> tuple[str, str, str, str]:
    """(host, namespace, model, tag) of `[HOST/][NAMESPACE/]MODEL[:TAG]`; ValueError when it is not one."""
    name, tag = ref, "latest"
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = ref[: len(ref) - len(last)] + last.split(":", 1)[0], last.split(":", 1)[1]
    parts = name.split("/")
    if len(parts) == 1:
        parts = [DEFAULT_HOST, "library", parts[0]]
    elif len(parts) == 2:
        parts = [DEFAULT_HOST, *parts]
    if len(parts) != 3 or not _HOST.match(parts[0]) or not all(_PART.match(p) for p in parts[1:]) \
            or not _TAG.match(tag):
        raise ValueError(ref)
    host = DEFAULT_HOST if parts[0] in ("ollama.com", "www.ollama.com") else parts[0]
    return host, parts[1], parts[2], tag


def display_name(host: str, namespace: str, model: str, tag: str) -> str:
    if host == DEFAULT_HOST:
        return f"{model}:{tag}" if namespace == "library" else f"{namespace}/{model}:{tag}"
    return f"{host}/{namespace}/{model}:{tag}"


def registry_url(host: str, env: Mapping[str, str]) -> str:
    if host == DEFAULT_HOST:
        return (env.get("LLMDOCTOR_OLLAMA_REGISTRY") or DEFAULT_REGISTRY).rstrip("/")
    return f"https://{host}"


def cache_dir(env: Mapping[str, str]) -> str:
    base = env.get("XDG_CACHE_HOME") or os.path.join(env.get("HOME") or os.path.expanduser("~"), ".cache")
    return os.path.join(base, "llmdoctor", "remote", "ollama")


def read_ollama_remote(ref: str, env: Mapping[str, str], wire: Wire):
    """The ModelInfo of an Ollama tag from its registry (headers only)."""
    from llmdoctor.checkpoint.bounded_io import decode_json
    from llmdoctor.checkpoint.remote_hf import range_body
    from llmdoctor.checkpoint.remote_read import Shadow, parse_gguf_prefix
    try:
        host, namespace, model, tag = parse_name(ref)
    except ValueError:
        raise RemoteError(clean(ref, 80), "not an Ollama model name ([HOST/][NAMESPACE/]MODEL[:TAG])") from None
    subject = display_name(host, namespace, model, tag)
    base = registry_url(host, env)
    from llmdoctor.checkpoint.remote_hf import offline_var
    offline = offline_var(env)
    cache = cache_dir(env)
    manifest_path = os.path.join(cache, "manifests", host.replace(":", "_"), namespace, model, tag)
    from llmdoctor import __version__
    headers = {"User-Agent": f"llmdoctor/{__version__}"}
    if offline:
        raw = read_cached(manifest_path, MAX_MANIFEST)
        if raw is None:
            raise RemoteError(subject, f"not in Ollama's store nor in llmdoctor's cache, and {offline} is set: "
                                       "nothing was requested", missing=True)
        wire.from_cache(len(raw))
    else:
        wire.note("fetching the manifest")
        reply = wire.get(f"{base}/v2/{namespace}/{model}/manifests/{tag}", headers, limit=MAX_MANIFEST, what=subject,
                         accept=MANIFEST_TYPES)
        if reply.status != 200:
            raise _error(reply.status, subject, base)
        raw = reply.body
    manifest = decode_json(raw, f"{subject}: manifest from {base}")
    digest, size = _model_layer(manifest, subject)
    if not offline:
        write_atomic(manifest_path, raw)
    head_path = os.path.join(cache, "blobs", digest.replace(":", "-"))
    cached = read_cached(head_path, MAX_GGUF_HEADER) or b""
    wire.from_cache(len(cached))
    blob_url = f"{base}/v2/{namespace}/{model}/blobs/{digest}"

    def fetch(start: int, stop: int) -> bytes:
        if offline:
            raise RemoteError(subject, f"the model's header is not in llmdoctor's cache, and {offline} is set: "
                                       "nothing was requested", missing=True)
        r = wire.get(blob_url, headers, limit=stop - start, what=subject, byte_range=(start, stop))
        body = range_body(r, start, stop, size, subject)
        if body is None:
            raise _error(r.status, subject, base)
        return body

    wire.note("reading the GGUF header")
    prefix = RemotePrefix(fetch, size, f"{subject} ({digest[:19]})", cap=MAX_GGUF_HEADER, cached=cached)
    header = parse_gguf_prefix(prefix, f"{subject} ({digest[:19]})")
    data = bytes(prefix.buf[:header.data_offset])
    if len(prefix.buf) > prefix.from_cache:          # all that was fetched: the parser reads ahead
        write_atomic(head_path, bytes(prefix.buf))
    with Shadow(subject) as shadow:
        info = shadow.read(shadow.header_only("model.gguf", data, size))
    where = "llmdoctor's cache" if not wire.requests else base
    info.notes.append(f"read from {where} without the weights: {subject}, layer {digest[:19]}…; {wire.summary()}")
    return info


def _model_layer(manifest, subject: str) -> tuple[str, int]:
    layers = manifest.get("layers") if isinstance(manifest, dict) else None
    if not isinstance(layers, list) or len(layers) > 1000:
        raise RemoteError(subject, "the registry's manifest has no layers")
    for layer in layers:
        if isinstance(layer, dict) and layer.get("mediaType") == MODEL_LAYER:
            digest, size = layer.get("digest"), layer.get("size")
            if not isinstance(digest, str) or not _DIGEST.match(digest):
                raise RemoteError(subject, "the manifest's model layer has no sha256 digest")
            if not isinstance(size, int) or isinstance(size, bool) or not 0 < size <= 1 << 50:
                raise RemoteError(subject, "the manifest's model layer has no size")
            return digest, size
    raise RemoteError(subject, "the manifest has no model layer (a cloud-only model?)")


def _error(status: int, subject: str, base: str) -> RemoteError:
    if status == 404:
        return RemoteError(subject, f"not in the Ollama registry at {base} (404)", missing=True)
    if status in (401, 403):
        return RemoteError(subject, f"the registry at {base} refused access ({status}): a private model?", missing=True)
    if status == 429:
        return RemoteError(subject, f"rate-limited by {base} (429); try again later")
    return RemoteError(subject, f"{base} answered HTTP {status}")


def local_store(env: Mapping[str, str]) -> str:
    return env.get("OLLAMA_MODELS") or os.path.join(env.get("HOME") or os.path.expanduser("~"), ".ollama", "models")


def is_hf_name(ref: str) -> Optional[str]:
    """`hf.co/ORG/NAME[:TAG]` (Ollama pulls these from the Hub): the part after the host, else None."""
    for prefix in ("hf.co/", "huggingface.co/"):
        if ref.lower().startswith(prefix):
            return ref[len(prefix):]
    return None
