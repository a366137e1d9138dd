"""llama.cpp command-line flags (llama-server, llama-cli, llama-completion, llama-bench-like tools).

Option names, short forms and defaults follow llama.cpp `common/arg.cpp` and `common/common.h` at
ggml-org/llama.cpp@0c1e57098 (vendored in llama-cpp-python 0.3.36); version notes say where older
builds differ. Flags are returned under the long option name in snake_case (`--n-gpu-layers` ->
n_gpu_layers); values are converted the way llama.cpp converts them.
"""
from __future__ import annotations

import math
import re
from typing import Any, Optional

# long name -> (aliases, kind). kind: "int" | "float" | "str" | "bool" (no value) | "list" (comma list)
# | "neg" (no value, sets the named flag False) | "tri" (on/off/auto word).
_SPEC: dict[str, tuple[tuple[str, ...], str]] = {
    "model": (("-m", "--model"), "str"),
    "hf_repo": (("-hf", "-hfr", "--hf-repo"), "str"),
    "ctx_size": (("-c", "--ctx-size"), "int"),
    "n_predict": (("-n", "--predict", "--n-predict"), "int"),
    "batch_size": (("-b", "--batch-size"), "int"),
    "ubatch_size": (("-ub", "--ubatch-size"), "int"),
    "parallel": (("-np", "--parallel"), "int"),
    "kv_unified": (("-kvu", "--kv-unified"), "bool"),
    "kv_unified_per_slot": (("--kv-unified-per-slot",), "int"),
    "swa_full": (("--swa-full",), "bool"),
    "flash_attn": (("-fa", "--flash-attn"), "tri"),
    "backend_sampling": (("-bs", "--backend-sampling"), "bool"),     # sampling on the GPU (speed record notes it)
    "cache_type_k": (("-ctk", "--cache-type-k"), "str"),
    "cache_type_v": (("-ctv", "--cache-type-v"), "str"),
    "n_gpu_layers": (("-ngl", "--gpu-layers", "--n-gpu-layers"), "ngl"),
    "split_mode": (("-sm", "--split-mode"), "str"),
    "tensor_split": (("-ts", "--tensor-split"), "list"),
    "main_gpu": (("-mg", "--main-gpu"), "int"),
    "override_tensor": (("-ot", "--override-tensor"), "append"),
    "cpu_moe": (("-cmoe", "--cpu-moe"), "bool"),
    "n_cpu_moe": (("-ncmoe", "--n-cpu-moe"), "int"),
    "n_cpu_ffn": (("-ncffn", "--n-cpu-ffn"), "int"),
    "no_kv_offload": (("-nkvo", "--no-kv-offload"), "bool"),
    "no_op_offload": (("--no-op-offload",), "bool"),
    # Memory mapping: booleans until PR #20834 (b10114 deprecates them); 0c1e57098 knows only --load-mode.
    "no_mmap": (("--no-mmap",), "bool"),
    "mmap": (("--mmap",), "bool"),
    "mlock": (("--mlock",), "bool"),
    "load_mode": (("-lm", "--load-mode"), "str"),
    "direct_io": (("-dio", "--direct-io"), "bool"),
    "fit": (("-fit", "--fit"), "tri"),
    "fit_target": (("-fitt", "--fit-target"), "list"),
    "fit_ctx": (("-fitc", "--fit-ctx"), "int"),
    "device": (("-dev", "--device"), "str"),
    "jinja": (("--jinja",), "bool"),
    "no_jinja": (("--no-jinja",), "bool"),
    "chat_template": (("--chat-template",), "str"),
    "chat_template_file": (("--chat-template-file",), "str"),
    "reasoning_budget": (("--reasoning-budget",), "int"),
    "reasoning_format": (("--reasoning-format",), "str"),
    "model_draft": (("-md", "--model-draft", "--spec-draft-model"), "str"),
    "n_gpu_layers_draft": (("-ngld", "--gpu-layers-draft", "--n-gpu-layers-draft", "--spec-draft-ngl"), "ngl"),
    "draft_max": (("--draft-max", "--draft", "--draft-n", "--spec-draft-n-max"), "int"),
    "cache_type_k_draft": (("-ctkd", "--cache-type-k-draft", "--spec-draft-type-k"), "str"),
    "cache_type_v_draft": (("-ctvd", "--cache-type-v-draft", "--spec-draft-type-v"), "str"),
    "mmproj": (("-mm", "--mmproj"), "str"),
    "no_mmproj_offload": (("--no-mmproj-offload",), "bool"),
    "threads": (("-t", "--threads"), "int"),
    "host": (("--host",), "str"),
    "port": (("--port",), "int"),
    "alias": (("-a", "--alias"), "str"),
    "rope_scaling": (("--rope-scaling",), "str"),
    "rope_scale": (("--rope-scale",), "float"),
    "yarn_orig_ctx": (("--yarn-orig-ctx",), "int"),
    "log_verbosity": (("-lv", "--verbosity", "--log-verbosity"), "int"),
    "embedding": (("--embedding", "--embeddings"), "bool"),
    "cont_batching": (("-cb", "--cont-batching"), "bool"),
    "cache_reuse": (("--cache-reuse",), "int"),
    "cache_ram": (("-cram", "--cache-ram"), "int"),
    "ctx_checkpoints": (("-ctxcp", "--ctx-checkpoints", "--swa-checkpoints"), "int"),
    "numa": (("--numa",), "str"),
    "keep": (("--keep",), "int"),
    "temp": (("--temp",), "float"),
    "top_p": (("--top-p",), "float"),
    "top_k": (("--top-k",), "int"),
    "min_p": (("--min-p",), "float"),
    "seed": (("-s", "--seed"), "int"),
    "prompt": (("-p", "--prompt"), "str"),
    "no_warmup": (("--no-warmup",), "bool"),
    "no_cnv": (("-no-cnv", "--no-conversation"), "bool"),
}
# Negative forms that reset a boolean (llama.cpp pairs them: -kvu/-no-kvu, -kvo/-nkvo, ...).
_NEGATIVE: dict[str, tuple[str, Any]] = {
    "-no-kvu": ("kv_unified", False), "--no-kv-unified": ("kv_unified", False),
    "-kvo": ("no_kv_offload", False), "--kv-offload": ("no_kv_offload", False),
    "-nocb": ("cont_batching", False), "--no-cont-batching": ("cont_batching", False),
}
_ALIASES: dict[str, str] = {a: name for name, (aliases, _) in _SPEC.items() for a in aliases}

# Defaults of llama-server at 0c1e57098 (`common/common.h` + server's per-example overrides in
# `common/arg.cpp`: n_parallel = -1 = auto -> 4 slots with kv_unified, tools/server/server.cpp).
DEFAULTS: dict[str, Any] = {
    "ctx_size": 0,                 # 0 = the model's n_ctx_train
    "batch_size": 2048,
    "ubatch_size": 512,
    "parallel": -1,                # server: auto (4 slots, unified KV); other tools: 1
    "kv_unified": False,
    "swa_full": False,             # the library default is true; the CLI tools pass false
    "flash_attn": "auto",
    "cache_type_k": "f16",
    "cache_type_v": "f16",
    "n_gpu_layers": -1,            # -1 auto (fit decides), -2 all
    "split_mode": "layer",
    "main_gpu": 0,
    "fit": True,
    "fit_target_mib": 1024,
    "fit_ctx": 4096,
    "load_mode": "auto",           # mmap unless a device cannot use it
    "no_kv_offload": False,
}

# Build number at which the llama-server defaults changed (facts from llama.cpp PRs; see notes).
BUILD_LOAD_MODE = 10114            # PR #20834 (in b10114, ed7adbfef): --no-mmap/--mlock -> --load-mode


def parse_llamacpp_args(argv: list[str], env: Optional[dict] = None) -> tuple[Optional[str], dict, list]:
    """Parse llama.cpp arguments (without the program name). Returns (model path, flags, unknown).

    Unknown flags are kept verbatim (with a following value when it does not look like a flag)."""
    flags: dict[str, Any] = {}
    unknown: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        value: Optional[str] = None
        if arg.startswith("--") and "=" in arg:
            arg, value = arg.split("=", 1)
        if arg in _NEGATIVE:
            name, val = _NEGATIVE[arg]
            flags[name] = val
            i += 1
            continue
        name = _ALIASES.get(arg)
        if name is None:
            unknown.append(argv[i])
            if value is None and i + 1 < len(argv) and not _looks_like_flag(argv[i + 1]):
                unknown.append(argv[i + 1])
                i += 1
            i += 1
            continue
        kind = _SPEC[name][1]
        if kind == "bool":
            flags[name] = True
            i += 1
            continue
        if kind == "tri" and value is None and (i + 1 >= len(argv) or _looks_like_flag(argv[i + 1])):
            flags[name] = "on"                     # old builds: -fa with no value meant "on"
            i += 1
            continue
        if value is None:
            if i + 1 >= len(argv):
                unknown.append(arg)                # a flag missing its value: report, do not guess
                break
            value = argv[i + 1]
            i += 1
        i += 1
        try:
            flags[name] = _convert(name, kind, value, flags)
        except ValueError:                         # llama.cpp stops here; the command-line check says so
            unknown.append(f"{arg}={value}")
    model = flags.get("model")
    return model, flags, unknown


def _looks_like_flag(token: str) -> bool:
    return token.startswith("-") and not re.fullmatch(r"-\d+(\.\d+)?", token)


def _stoi(value: str) -> int:
    """std::stoi: leading blanks, then the longest integer prefix; none is an error, as in llama.cpp."""
    m = re.match(r"\s*([+-]?\d+)", value)
    if not m:
        raise ValueError(f"stoi: {value!r}")
    n = int(m.group(1))
    if not -2**31 <= n < 2**31:
        raise ValueError(f"stoi: {value!r} out of range")
    return n


def _stof(value: str) -> float:
    """std::stof: the longest float prefix; a non-finite result is refused here (no engine uses one)."""
    m = re.match(r"\s*([+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?))", value)
    if not m:
        raise ValueError(f"stof: {value!r}")
    x = float(m.group(1))
    if not math.isfinite(x):
        raise ValueError(f"stof: {value!r} out of range")
    return x


def _convert(name: str, kind: str, value: str, flags: dict) -> Any:
    if name in ("cache_type_k", "cache_type_v"):
        from llmdoctor.engines.llamacpp.memory import KV_TYPES
        if value.lower() not in KV_TYPES:        # llama.cpp refuses it ("unsupported cache type")
            raise ValueError(f"cache type {value!r}")
        return value.lower()
    if kind == "int":
        return _stoi(value)
    if kind == "float":
        return _stof(value)
    if kind == "ngl":                               # 'auto' = -1, 'all' = -2 (common/arg.cpp)
        if value in ("auto", "all"):
            return {"auto": -1, "all": -2}[value]
        return _stoi(value)
    if kind == "tri":
        low = value.lower()
        if low in ("on", "1", "true", "enabled", "yes"):
            return "on"
        if low in ("off", "0", "false", "disabled", "no"):
            return "off"
        return "auto" if low == "auto" else value
    if kind == "list":
        return [_stof(x) for x in re.split(r"[,/]+", value)[:64] if x]
    if kind == "append":
        return list(flags.get(name, [])) + [p for p in value.split(",") if p]
    return value




def build_number(version: Optional[str]) -> Optional[int]:
    """llama.cpp versions are build numbers ("b6123", "version: 6123 (abc1234)", "6123")."""
    if not version:
        return None
    m = re.search(r"(?:^|[^0-9a-f])b?(\d{3,6})(?:\b|$)", version)
    return int(m.group(1)) if m else None


def effective(flags: dict, program: str = "llama-server") -> dict:
    """Every setting the planner needs, the user's flags over the tool's defaults."""
    eff = dict(DEFAULTS)
    if program != "llama-server":
        eff["parallel"] = 1
    eff.update({k: v for k, v in flags.items() if v is not None})
    # -ngl given as a word we could not parse stays at the default
    if eff.get("n_gpu_layers") is None:
        eff["n_gpu_layers"] = -1
    eff["fit"] = eff.get("fit") not in ("off", False)
    eff["flash_attn"] = str(eff.get("flash_attn", "auto"))
    eff["cache_type_k"] = str(eff["cache_type_k"]).lower()
    eff["cache_type_v"] = str(eff["cache_type_v"]).lower()
    eff["load_mode"] = _load_mode(flags)
    return eff


def _load_mode(flags: dict) -> str:
    """Map the old booleans onto --load-mode values (what PR #20834's compatibility did)."""
    if flags.get("load_mode"):
        return str(flags["load_mode"])
    no_mmap, mlock = bool(flags.get("no_mmap")), bool(flags.get("mlock"))
    if no_mmap and mlock:
        return "mlock-no-mmap"                      # old builds: read into a host buffer, then lock it
    if no_mmap:
        return "none"
    if mlock:
        return "mmap+mlock"
    return "auto"
