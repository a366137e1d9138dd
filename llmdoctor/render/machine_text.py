"""Rich rendering of the machine facts (`llmdoctor probe`)."""
from __future__ import annotations

from rich.console import Console, Group
from rich.markup import escape
from rich.table import Table

from llmdoctor.facts import Machine
from llmdoctor.render.units import gbps, gib, show

STATUS_STYLE = {"ok": "green", "unavailable": "yellow", "error": "red"}


def _pcie(g) -> str:
    p = g.pcie
    if p.gen_current is None and p.width_current is None:
        return "unknown"
    text = f"Gen{show(p.gen_current, '?')} x{show(p.width_current, '?')}"
    if (p.gen_max and p.gen_current and p.gen_current < p.gen_max) or \
       (p.width_max and p.width_current and p.width_current < p.width_max):
        text += f" (max Gen{show(p.gen_max, '?')} x{show(p.width_max, '?')})"
    return text


def _nvlink(g) -> str:
    n = g.nvlink
    if n.supported is None:
        return "unknown"
    if not n.supported or not n.active_links:
        return "none"
    return f"{n.active_links} links, v{show(n.version, '?')}"


def gpu_table(machine: Machine) -> Table:
    table = Table(title="GPUs", title_justify="left", expand=False)
    for col in ("#", "name", "CC", "memory (free / total)", "bandwidth", "PCIe", "NVLink", "notes"):
        table.add_column(col)
    for g in machine.gpus:
        notes = []
        if g.lost:
            notes.append("[red]GPU lost[/red]")
        if g.unified_memory:
            notes.append("unified memory")
        if g.mig_enabled:
            notes.append("MIG on")
        if g.processes:
            notes.append(f"{len(g.processes)} process(es) using {gib(g.processes_memory_bytes)}")
        if g.display_active:
            notes.append("drives a display")
        table.add_row(str(g.index), escape(show(g.name)), show(g.compute_capability),
                      f"{gib(g.memory_free_bytes)} / {gib(g.memory_total_bytes)}",
                      gbps(g.memory_bandwidth_bytes_per_s), _pcie(g), _nvlink(g), ", ".join(notes))
    return table


def facts_table(machine: Machine) -> Table:
    h, c, s = machine.host, machine.cpu, machine.software
    table = Table(title="Host and software", title_justify="left", show_header=False)
    table.add_column("fact")
    table.add_column("value")
    rows = [
        ("OS", f"{show(h.distro or h.os)} (kernel {show(h.kernel)}, {show(h.arch)})"),
        ("environment", ", ".join(x for x in ["WSL2" if h.wsl else "", h.container or ""] if x) or "bare metal / VM"),
        ("RAM available / total", f"{gib(h.ram_available_bytes)} / {gib(h.ram_total_bytes)}"),
        ("cgroup memory limit", gib(h.cgroup_memory_limit_bytes) if h.cgroup_memory_limit_bytes else "none"),
        ("/dev/shm free / total", f"{gib(h.shm_free_bytes)} / {gib(h.shm_total_bytes)}"),
        ("swap", gib(h.swap_total_bytes)),
        ("memlock limit", "unlimited" if h.memlock_unlimited else gib(h.memlock_limit_bytes)),
        ("NUMA nodes", show(h.numa_nodes)),
        ("CPU", f"{show(c.model)} ({show(c.cores)} cores, {show(c.threads)} threads)"),
        ("CPU flags", " ".join(c.flags) or "none of note"),
        ("NVIDIA driver", f"{show(s.driver_version)} (CUDA {show(s.cuda_driver_version)})"),
        ("Python", show(s.python_version)),
        ("nvcc", "; ".join(f"{n.version or '?'} at {n.path} (gcc <= {show(n.max_gcc, '?')})" for n in s.nvcc) or "none found"),
        ("gcc", show(s.gcc_version, "not found")),
        ("torch", f"{s.torch_version} (CUDA {show(s.torch_cuda)})" if s.torch_version else "not installed"),
        ("engines", ", ".join(f"{k} {v}" for k, v in s.packages.items() if k != "torch") or "none installed"),
        ("binaries", ", ".join(f"{b.name} {show(b.version, '?')}" for b in s.binaries) or "none on PATH"),
    ]
    if h.path:
        rows.append(("model path fs", f"{show(h.path_fs_type)}, {gib(h.path_free_bytes)} free"))
    for k, v in rows:
        table.add_row(k, escape(v))
    return table


def probes_table(machine: Machine) -> Table:
    table = Table(title="Probes", title_justify="left")
    for col in ("probe", "status", "ms", "reason"):
        table.add_column(col)
    for p in machine.probes:
        style = STATUS_STYLE.get(p.status, "")
        table.add_row(p.name, f"[{style}]{p.status}[/{style}]", f"{p.elapsed_ms:.0f}", escape(p.reason or ""))
    return table


def render_machine(machine: Machine, console: Console) -> None:
    parts = []
    nvidia = next((p for p in machine.probes if p.name == "nvidia"), None)
    if machine.gpus:
        parts.append(gpu_table(machine))
    else:
        why = f" ({escape(nvidia.reason)})" if nvidia and nvidia.reason else ""
        parts.append(f"[bold yellow]No GPU found[/bold yellow]{why}. Plans can still be made for a GPU you name with --gpu.")
    parts += [facts_table(machine), probes_table(machine)]
    if machine.source != "live":
        parts.insert(0, f"[dim]machine: {escape(machine.source)}{' — ' + escape(machine.description) if machine.description else ''}[/dim]")
    console.print(Group(*parts))
