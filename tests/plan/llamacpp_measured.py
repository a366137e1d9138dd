"""Read the buffer sizes llama.cpp logged (fixtures/logs/llamacpp-measured) and plan the same runs."""
from __future__ import annotations

import copy
import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOGS = ROOT / "fixtures" / "logs" / "llamacpp-measured"
MODELS = ROOT / "fixtures" / "models" / "gguf-plan"
MACHINE = ROOT / "fixtures" / "machines" / "h200-141gb-device.json"
MIB = 1024 * 1024
_BUF = re.compile(r"(\w+):\s+(\S+)\s+(model|KV|RS|compute|output) buffer size =\s+([\d.]+) MiB")


def read_log(path: Path) -> dict:
    """{'argv': [...], 'model': name, 'n_ctx': int, 'n_ctx_seq': int, 'buffers': {(kind, dev): MiB}}"""
    text = path.read_text()
    head = text.splitlines()[0]                       # "### name: model flags..."
    argv = shlex.split(head.split(":", 1)[1])
    out = {"model": argv[0], "argv": argv[1:], "buffers": {}}
    for m in _BUF.finditer(text):
        key = (m.group(3), m.group(2))
        out["buffers"][key] = out["buffers"].get(key, 0.0) + float(m.group(4))
    out["free_mib"] = [int(x) for x in re.findall(r"using device CUDA\d+ .* - (\d+) MiB free", text)]
    out["devices"] = re.findall(r"using device (CUDA\d+) ", text)
    for name in ("n_ctx", "n_ctx_seq"):
        m = re.search(rf"llama_context: {name}\s+= (\d+)", text)
        out[name] = int(m.group(1)) if m else None
    return out


def plan_for(log: dict):
    from llmdoctor.checkpoint import read_model
    from llmdoctor.plan import target_from_machine
    from llmdoctor.engines.llamacpp.flags import parse_llamacpp_args
    from llmdoctor.engines.llamacpp.plan import plan_llamacpp
    from llmdoctor.plan.records import LaunchCommand, PlanRequest
    from llmdoctor.probes.replay import load_machine

    _, flags, unknown = parse_llamacpp_args(log["argv"])
    model = read_model(str(MODELS / log["model"]))
    machine = load_machine(str(MACHINE))
    gpu = machine.gpus[0]
    gpus = []
    for i, free in enumerate(log["free_mib"] if log["devices"] else []):   # CPU-only logs: no GPU           # the GPUs (and free memory) llama.cpp saw
        g = copy.deepcopy(gpu)
        g.index, g.memory_free_bytes = i, free * MIB
        gpus.append(g)
    machine.gpus = gpus
    cmd = LaunchCommand(engine="llamacpp", argv=["llama-completion"] + log["argv"], program="llama-completion",
                        model=str(MODELS / log["model"]), flags=flags, unknown_flags=unknown)
    req = PlanRequest(engine="llamacpp", flags=flags, command=cmd)
    return plan_llamacpp(target_from_machine(machine), model, req)


def planned_buffers(plan, devices: list[str]) -> dict:
    """The same keys as read_log's buffers, from a plan (bytes -> MiB); devices: CUDA names in order."""
    det = plan.kv_cache.details
    host = "CUDA_Host" if devices else "CPU"          # pinned host buffers when a CUDA device exists
    out: dict = {}
    for dev, parts in det.per_device.items():
        name = devices[int(dev)] if dev != "-1" else "CPU"
        if parts["model"]:
            out[("model", name)] = parts["model"] / MIB
        if parts["kv"]:
            out[("KV", name)] = parts["kv"] / MIB
        if parts["state"]:
            out[("RS", name)] = parts["state"] / MIB
        if parts["compute"]:
            out[("compute", name if dev != "-1" else host)] = parts["compute"] / MIB
    out[("output", host)] = det.host.output_bytes / MIB
    return out


def measured_buffers(log: dict) -> dict:
    """Logged buffers with host model buffers (CPU_Mapped / CUDA_Host model) folded under 'CPU'."""
    out: dict = {}
    for (kind, dev), mib in log["buffers"].items():
        if kind == "model" and not dev.startswith("CUDA") or dev == "CUDA_Host" and kind == "model":
            dev = "CPU"
        out[(kind, dev)] = out.get((kind, dev), 0.0) + mib
    return out
