"""Run every probe against a Source and assemble the Machine facts."""
from __future__ import annotations

from llmdoctor.facts import Machine
from llmdoctor.probes.base import run_probe
from llmdoctor.probes.cpu import probe_cpu
from llmdoctor.probes.host import probe_host
from llmdoctor.probes.nvidia import probe_nvidia
from llmdoctor.probes.software import probe_software, probe_toolchain
from llmdoctor.probes.source import Source
from llmdoctor.probes.sysfs_gpus import probe_sysfs_gpus, probe_unified_memory


def probe_machine(src: Source | None = None, path: str | None = None) -> Machine:
    """Probe the machine (live by default); each probe is isolated and reports its status."""
    src = src or Source()
    machine = Machine(source=src.description)
    steps = [
        ("nvidia", lambda: probe_nvidia(src, machine)),
        ("other_gpus", lambda: probe_sysfs_gpus(src, machine)),
        ("host", lambda: probe_host(src, machine, path)),
        ("unified_memory", lambda: probe_unified_memory(src, machine)),
        ("cpu", lambda: probe_cpu(src, machine)),
        ("software", lambda: probe_software(src, machine)),
        ("toolchain", lambda: probe_toolchain(src, machine)),
    ]
    for name, fn in steps:
        run_probe(name, fn, machine.probes)
    return machine
