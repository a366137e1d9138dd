"""Ollama server logs (logfmt `time=... level=... source=... msg=...`) -> facts. The runner's own
llama.cpp lines in the same log are read by the llama.cpp extractor as well."""
from __future__ import annotations

import re

from llmdoctor.engines.llamacpp import log as llamacpp
from llmdoctor.logparse.records import LogLine
from llmdoctor.logparse.sink import FactSink, for_each_line
from llmdoctor.logparse.units import to_bytes

_PAIR = re.compile(r'([\w.]+)=("(?:[^"\\]|\\.)*"|\S+)')
_VERSION = re.compile(r"\(version ([\w.+-]+)\)")
_SIZE_LIST = re.compile(r"([\d.]+ [KMGT]?i?B)")


def logfmt(text: str) -> dict[str, str]:
    """key=value pairs; quoted values unquoted. Unparseable remainder is ignored."""
    out = {}
    for k, v in _PAIR.findall(text):
        out[k] = v[1:-1].replace('\\"', '"') if v.startswith('"') else v
    return out


def extract(lines: list[LogLine], s: FactSink) -> None:
    def line(ln: LogLine) -> None:
        if "msg=" not in ln.text:
            return
        kv = logfmt(ln.text)
        msg = kv.get("msg", "")
        if msg == "offload" or msg.startswith("offload to"):
            _offload(kv, ln, s)
        elif msg in ("model weights", "kv cache", "compute graph", "total memory") and "size" in kv:
            name = {"model weights": "ollama_weights_bytes", "kv cache": "ollama_kv_bytes",
                    "compute graph": "ollama_graph_bytes", "total memory": "ollama_total_bytes"}[msg]
            s.put_device(name, kv.get("device", "total"), to_bytes(kv["size"], gb_is_gib=False), ln, keep="last")
        elif msg == "vram-based default context":
            if kv.get("default_num_ctx", "").isdigit():
                s.put("default_num_ctx", int(kv["default_num_ctx"]), ln)
            if "total_vram" in kv:
                s.put("total_vram_bytes", to_bytes(kv["total_vram"], gb_is_gib=False), ln)
        elif msg == "gpu memory":
            for key in ("available", "free", "minimum", "overhead"):
                if key in kv:
                    s.put_device(f"gpu_{key}_bytes", kv.get("id", "gpu"), to_bytes(kv[key], gb_is_gib=False), ln)
        elif msg.startswith("updated VRAM"):
            s.put_device("gpu_available_bytes", kv.get("gpu", "gpu"), to_bytes(kv.get("available", ""), gb_is_gib=False), ln)
        elif msg == "starting llama server" and "cmd" in kv:
            _runner_cmd(kv["cmd"], ln, s)
        elif msg == "enabling flash attention":
            s.put("flash_attn", "enabled", ln)
        if m := _VERSION.search(msg):
            s.set_version(m.group(1))

    for_each_line(lines, line)
    llamacpp.extract(lines, s)


def _offload(kv: dict, ln: LogLine, s: FactSink) -> None:
    for key, name in (("layers.model", "layers_total"), ("layers.offload", "layers_offloaded"),
                      ("layers.requested", "layers_requested")):
        if re.fullmatch(r"-?\d+", kv.get(key, "")):
            s.put(name, int(kv[key]), ln, keep="last")
    for key in ("memory.required.full", "memory.required.partial", "memory.required.kv", "memory.weights.total",
                "memory.graph.full", "memory.graph.partial", "memory.gpu_overhead"):
        if key in kv and (b := to_bytes(kv[key], gb_is_gib=False)) is not None:
            s.put("ollama_" + key.replace("memory.", "").replace(".", "_") + "_bytes", b, ln, keep="last")
    if "memory.available" in kv:
        s.put("ollama_available_bytes", [to_bytes(x, gb_is_gib=False) for x in _SIZE_LIST.findall(kv["memory.available"])],
              ln, keep="last")
    if kv.get("layers.split"):
        s.put("layers_split", kv["layers.split"], ln, keep="last")
    if kv.get("library"):
        s.put("gpu_library", kv["library"], ln)
    elif (m := re.match(r"offload to (\w+)", kv.get("msg", ""))):
        s.put("gpu_library", m.group(1), ln)


def _runner_cmd(cmd: str, ln: LogLine, s: FactSink) -> None:
    """The runner command line carries the effective context, layers and parallel slots."""
    parts = cmd.split()
    flags = {"--ctx-size": "ctx_size", "--n-gpu-layers": "n_gpu_layers", "--parallel": "parallel",
             "--batch-size": "batch_size", "--tensor-split": "tensor_split", "--model": "model"}
    for i, p in enumerate(parts):
        if p in flags and i + 1 < len(parts):
            val = parts[i + 1]
            s.args[flags[p]] = int(val) if val.isdigit() else val
        elif p == "--flash-attn":
            s.args["flash_attn"] = True
    if isinstance(s.args.get("model"), str):
        s.set_model(s.args["model"])
    if isinstance(s.args.get("ctx_size"), int):
        s.put("runner_ctx_size", s.args["ctx_size"], ln)
