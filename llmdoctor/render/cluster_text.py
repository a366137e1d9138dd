"""Rich rendering of a cluster: its nodes, what differs between them, the fabric, the NCCL/Gloo
variables, the model path, and each engine's per-node commands. Reads the Cluster record only."""
from __future__ import annotations

import re
import shlex
from collections import Counter

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from llmdoctor.render.units import show


_PLAIN = re.compile(r"[\w@%+=:,./<>-]+")


def shell_line(argv: list[str]) -> str:
    """The argv as one shell line; `<head-ip>`-style placeholders stay readable (the user replaces them)."""
    return " ".join(a if _PLAIN.fullmatch(a) else shlex.quote(a) for a in argv)


def _gpus(node) -> str:
    gpus = [g for g in node.machine.gpus if not g.lost]
    if not gpus:
        return "none"
    names = Counter(g.name or "GPU" for g in gpus)
    return ", ".join(f"{n} x {name}" for name, n in names.items())


def _rdma(node) -> str:
    if not node.probed:
        return "not probed"
    ports = [(d, p) for d in node.ib_devices for p in d.ports]
    if not ports:
        return "none"
    active = [(d, p) for d, p in ports if p.state == "ACTIVE"]
    if not active:
        return f"[yellow]{len(ports)} port(s), none active[/yellow]"
    rates = Counter(f"{p.rate_gbps:g} Gb/s" if p.rate_gbps else "?" for _, p in active)
    layers = sorted({p.link_layer for _, p in active if p.link_layer})
    layer = "/".join("RoCE" if x == "Ethernet" else x for x in layers) or "RDMA"
    return f"{len(active)} x {', '.join(rates)} {layer}" + (f" ({len(ports) - len(active)} down)" if len(ports) > len(active) else "")


def _model(node) -> str:
    m = node.model
    if m is None:
        return "-"
    if not m.exists:
        return "[red]missing[/red]"
    return f"{show(m.files)} files ({m.digest[:8] if m.digest else '?'})"


def _columns(n) -> dict[str, str]:
    sw = n.machine.software
    pk = sw.packages or {}
    return {"address": n.address, "GPUs": _gpus(n), "driver": sw.driver_version, "torch": sw.torch_version,
            "vLLM": pk.get("vllm"), "SGLang": pk.get("sglang"),
            "NCCL": pk.get("nvidia-nccl-cu12") or pk.get("nvidia-nccl-cu13"), "Python": sw.python_version,
            "RDMA": _rdma(n) if n.probed else None, "model": _model(n) if n.model is not None else None}


SOFTWARE = ("driver", "torch", "vLLM", "SGLang", "NCCL", "Python")


def common_software(cluster) -> dict[str, str]:
    """Versions every answering node shares (printed once instead of a column each)."""
    rows = [_columns(n) for n in cluster.nodes if not n.error]
    out = {}
    for c in SOFTWARE:
        values = {r[c] for r in rows}
        if len(rows) > 1 and len(values) == 1 and None not in values:
            out[c] = values.pop()
    return out


def nodes_table(cluster) -> Table:
    """One row a node; a column only where some node has a value (a what-if cluster shows its GPUs),
    and no column for a version every node shares."""
    table = Table(title=f"Cluster: {cluster.node_count} node(s), {escape(cluster.source)}", title_justify="left")
    rows = [(n, _columns(n)) for n in cluster.nodes]
    same = common_software(cluster)
    names = [c for c in _columns(cluster.nodes[0]) if c not in same
             and any(r[c] is not None for n, r in rows if not n.error)] if cluster.nodes else []
    table.add_column("node")
    for c in names:
        table.add_column(c)
    for n, r in rows:
        name = escape(n.label) + (" (head)" if n.label == cluster.head else "")
        if n.error:
            table.add_row(name, *[f"[red]{escape(n.error)}[/red]" if i == 0 else "" for i in range(len(names))])
            continue
        table.add_row(name, *[(r[c] if c in ("RDMA", "model") and r[c] is not None else escape(show(r[c])))
                              for c in names])
    return table


def render_cluster(cluster, console: Console, commands: bool = True) -> None:
    console.print(nodes_table(cluster))
    same = common_software(cluster)
    if same:
        console.print(escape("Same on every node: " + ", ".join(f"{k} {v}" for k, v in same.items())))
    lay = cluster.layout
    line = (f"GPUs: {lay.gpus_total} on {lay.gpu_nodes} node(s) ({', '.join(str(c) for c in lay.gpus_per_node)} per node)"
            + (f"; a TP x PP layout uses {lay.usable_gpus}, {lay.idle_gpus} idle" if lay.idle_gpus else ""))
    if lay.ray_gpus_total is not None:
        line += f"; Ray counts {lay.ray_gpus_total:g}"
    console.print(escape(line))
    for s in cluster.skew:
        console.print(f"[yellow]differs[/yellow] {escape(s.label)}: {escape(s.summary)}")
    if cluster.fabric is not None and cluster.node_count > 1:
        f = cluster.fabric
        if f.rdma_nodes:
            console.print(escape(f"RDMA: active on {', '.join(f.rdma_nodes)}"
                                 + (f"; none on {', '.join(f.no_rdma_nodes)}" if f.no_rdma_nodes else "")
                                 + (f" ({f.rate_summary})" if f.rate_summary else "")))
        else:
            console.print("RDMA: none active on any node (NCCL will use TCP sockets between nodes)")
        for d in f.down_ports:
            console.print(f"[yellow]down[/yellow] {escape(d)}")
    for c in cluster.env_checks:
        if c.set_on:
            text = f"{c.variable}: " + "; ".join(f"{k}={v}" for k, v in c.values.items())
            if c.unset_on:
                text += f"; unset on {', '.join(c.unset_on)}"
            console.print(escape(text))
        if c.missing_on:
            console.print(f"[red]selects nothing[/red] {escape(c.variable)} on {escape(c.missing_detail)}")
    if cluster.model_check is not None:
        m = cluster.model_check
        state = "[red]missing on " + escape(", ".join(m.missing_on)) + "[/red]" if m.missing_on else \
            ("[red]differs between nodes[/red]" if m.differs else "[green]same files on every node[/green]")
        console.print(f"model path {escape(m.path)}: {state} ({escape(m.summary)})")
    for f in cluster.failed_nodes:
        console.print(f"[red]not probed[/red] {escape(f)}")
    if commands:
        for lau in cluster.launches:
            render_launch(lau, console)
    for note in cluster.notes:
        console.print(Text(note, style="dim"))


def render_launch(lau, console: Console) -> None:
    fits = "" if lau.fits is None else (" — fits" if lau.fits else " — [red]does not fit[/red]")
    console.print(Text.from_markup(f"[bold]Multi-node launch, {escape(lau.engine)}[/bold]: {escape(lau.layout)}{fits}"))
    for i, step in enumerate(lau.steps, 1):
        note = f"  [dim]# {escape(step.note)}[/dim]" if step.note else ""
        console.print(Text.from_markup(f"{i}. on {escape(step.node)} ({step.role}):{note}"))
        console.out("   " + shell_line(step.argv), highlight=False)
    for n in lau.not_modelled:
        console.print(Text("not modelled: " + n, style="dim"))
