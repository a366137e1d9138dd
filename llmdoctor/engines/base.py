"""The one interface every engine package implements (see engines/__init__.py for the registry).

An engine package `llmdoctor/engines/NAME/` defines `ENGINE = Engine(...)` in its `__init__.py`.
The heavy parts (planner, flag parser, log extractor) are reached through the callables, which
import their modules only when called, so listing the engines stays cheap.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional

ArgsParser = Callable[[list, dict], tuple]            # (argv after the program, env) -> (model, flags, unknown)


@dataclass(frozen=True)
class Program:
    """How a command line names this engine: argv[0]'s base name, the words that must follow it,
    and the label the report shows (`vllm serve`). `module`: a `python -m` module prefix instead."""
    names: tuple[str, ...] = ()
    then: tuple[str, ...] = ()
    module: Optional[str] = None


@dataclass(frozen=True)
class Engine:
    name: str                                          # "vllm": the key in JSON, flags and rules
    label: str                                         # "vLLM": what people read
    order: int                                         # report order among equals
    formats: tuple[str, ...]                           # model formats it serves ("hf", "gguf", ...)
    package: str                                       # installed-version key in facts.Software.packages
    context_flag: str                                  # its flag for the context length
    options: Mapping[str, str]                         # llmdoctor option (tp, max_model_len, ...) -> its flag
    plan: Callable[[Any, Any, Any], Any]               # (Target, ModelInfo, PlanRequest) -> Plan
    parse_args: ArgsParser
    extract_log: Callable[[list, Any], None]           # (cleaned log lines, FactSink)
    log_marker: re.Pattern                             # strings only this engine's logs carry
    log_process_prefix: bool = False                   # its logs tag lines "(Process pid=N)"
    log_embeds: tuple[str, ...] = ()                   # engines whose lines its logs carry: any hit of its own wins
    programs: tuple[Program, ...] = ()
    images: tuple[tuple[re.Pattern, tuple[str, ...]], ...] = ()   # container image -> its entrypoint argv
    runs_gguf: bool = False                            # llama.cpp's runtime (llama.cpp, Ollama)
    model_store: str = "hf"                            # where a model name resolves: "hf" | "llamacpp-hf" | "ollama"
    log_fact_flags: tuple[str, ...] = ()               # log facts that stand for flags when not echoed
    log_flag_names: Mapping[str, str] = field(default_factory=dict)   # log fact name -> its flag
    binaries: tuple[str, ...] = ()                     # programs whose --version names the installed version
    context_of: Callable[[dict, dict], Optional[int]] = lambda flags, env: None   # (flags, env) -> context per request
    kv_dtype_of: Callable[[dict, dict], Optional[str]] = lambda flags, env: None  # (flags, env) -> KV cache type
    log_figures: Callable[[dict, Any], list] = lambda facts, plan: []   # (log facts, Plan) -> [(figure, unit, planned, logged)]
    check_config: Callable[[dict, Optional[str], dict], list] = lambda flags, version, env: []
    flag_value_ok: Callable[[str, Any], bool] = lambda name, value: True   # could the engine have started with it?
    draft_model_of: Callable[[dict], Optional[str]] = lambda flags: None   # (flags) -> a separate draft model it loads
    # (flags, version, env) -> CommandIssues: what its config validation refuses after parsing

    def match(self, argv: list[str]) -> Optional[tuple[int, str]]:
        """(index where this engine's arguments start, program label) when argv runs this engine."""
        import os
        if not argv:
            return None
        prog = os.path.basename(argv[0]).removesuffix(".exe")
        for p in self.programs:
            if p.module:
                if re.fullmatch(r"python[0-9.]*", prog) and len(argv) > 2 and argv[1] == "-m" \
                        and (argv[2] == p.module or argv[2].startswith(p.module + ".")):
                    return 3, f"python -m {argv[2]}"
                continue
            if prog in p.names and tuple(argv[1:1 + len(p.then)]) == p.then:
                return 1 + len(p.then), " ".join((prog,) + p.then)
        return None


def lazy(module: str, name: str) -> Callable:
    """A callable that imports `module` and calls its `name` when first used, so listing the engines
    imports none of their planners, parsers or log extractors."""
    def call(*args, **kwargs):
        import importlib
        return getattr(importlib.import_module(module), name)(*args, **kwargs)
    call.__name__ = name
    return call
