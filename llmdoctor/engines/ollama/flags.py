"""`ollama run/serve` commands and OLLAMA_* environment -> settings the Ollama planner reads.

Environment names and meanings: ollama/ollama `envconfig/config.go`; Modelfile parameters
(num_ctx, num_gpu, num_batch, ...) may be given here as `--num-ctx 8192`, `--num_ctx=8192` or
`num_ctx=8192` (the way `/set parameter` and Modelfiles name them).
"""
from __future__ import annotations

from typing import Any, Optional

_PARAMS = {"num_ctx": int, "num_gpu": int, "num_batch": int, "num_thread": int, "num_predict": int,
           "num_keep": int, "temperature": float, "top_p": float, "top_k": int, "use_mmap": bool}
_RUN_FLAGS = {"--verbose": False, "--insecure": False, "--nowordwrap": False, "--hidethinking": False,
              "--keepalive": True, "--format": True, "--think": True, "--dimensions": True}
_ENV = {
    "OLLAMA_NUM_PARALLEL": ("num_parallel", int),
    "OLLAMA_KV_CACHE_TYPE": ("kv_cache_type", str),
    "OLLAMA_FLASH_ATTENTION": ("flash_attention", "bool"),
    "OLLAMA_CONTEXT_LENGTH": ("context_length", int),
    "OLLAMA_GPU_OVERHEAD": ("gpu_overhead", int),
    "OLLAMA_MAX_LOADED_MODELS": ("max_loaded_models", int),
    "OLLAMA_NEW_ENGINE": ("new_engine", "bool"),
}


def parse_ollama(argv: list[str], env: Optional[dict] = None) -> tuple[Optional[str], dict, list]:
    """Returns (model name, flags, unknown). argv may start with 'ollama'."""
    args = list(argv)
    if args and args[0].endswith("ollama"):
        args = args[1:]
    flags: dict[str, Any] = {}
    unknown: list[str] = []
    model = None
    if args and args[0] in ("run", "serve", "create", "pull", "show"):
        flags["subcommand"] = args.pop(0)
    i = 0
    while i < len(args):
        a = args[i]
        key, value = a, None
        if "=" in a:
            key, value = a.split("=", 1)
        name = key.lstrip("-").replace("-", "_")
        if name in _PARAMS:
            if value is None and i + 1 < len(args):
                value = args[i + 1]
                i += 1
            flags[name] = _convert(_PARAMS[name], value)
        elif key in _RUN_FLAGS:
            if _RUN_FLAGS[key] and value is None and i + 1 < len(args):
                value = args[i + 1]
                i += 1
            flags[key.lstrip("-")] = value if _RUN_FLAGS[key] else True
        elif not a.startswith("-") and model is None and flags.get("subcommand") in ("run", None, "pull", "show"):
            model = a
        else:
            unknown.append(a)
        i += 1
    for var, (name, kind) in _ENV.items():
        if env and env.get(var) not in (None, ""):
            flags[name] = _convert(kind, env[var])
    return model, flags, unknown


def _convert(kind, value):
    if value is None:
        return None
    if kind == "bool" or kind is bool:
        return str(value).strip().lower() in ("1", "true", "yes", "on", "t")
    try:
        return kind(value)
    except (TypeError, ValueError):
        return value
