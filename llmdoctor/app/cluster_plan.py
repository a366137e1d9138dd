"""Plans across nodes: the existing planners on the cluster's GPUs, laid out the way each engine runs
multi-node, and the commands each node runs, in order.

- vLLM on Ray: tensor parallel = GPUs per node, pipeline parallel = nodes (vLLM's own advice); `ray start`
  on every node, then `vllm serve ... --pipeline-parallel-size P --distributed-executor-backend ray` on the head.
- SGLang: tensor parallel over every GPU of every node (its multi-node examples), one
  `sglang.launch_server --nnodes N --node-rank i --dist-init-addr HEAD:PORT` per node.
- llama.cpp: `rpc-server` on the other nodes, `llama-server --rpc ...` on the head; planned as if
  every GPU were the head's (the RPC transport is not modelled, and said so).
- Ollama does not run one model across machines: no multi-node plan.

The planners see one Target holding each GPU node's first G GPUs (G = the fewest any GPU node has),
so memory per GPU is what each rank holds; what crosses the network is not modelled.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Optional

from llmdoctor.cluster.records import Cluster, ClusterLaunch, NodeCommand, NodeFacts
from llmdoctor.cluster.summary import gpu_count

RAY_PORT = 6379
SGLANG_PORT = 20000
RPC_PORT = 50052
MULTI_NODE_ENGINES = ("vllm", "sglang", "llamacpp")


def gpu_nodes(cluster: Cluster) -> list[NodeFacts]:
    return [n for n in cluster.nodes if not n.error and gpu_count(n) > 0]


def head_node(cluster: Cluster) -> Optional[NodeFacts]:
    nodes = [n for n in cluster.nodes if not n.error]
    return next((n for n in nodes if n.label == cluster.head), nodes[0] if nodes else None)


def primary_machine(cluster: Cluster, fallback: Any) -> Any:
    """The machine the single-machine facts describe: the head when it has GPUs, else the first GPU node."""
    head = head_node(cluster)
    if head is not None and gpu_count(head) > 0:
        return head.machine
    nodes = gpu_nodes(cluster)
    return nodes[0].machine if nodes else (head.machine if head is not None else fallback)


def cluster_target(cluster: Cluster):
    from llmdoctor.plan.records import Target
    lay = cluster.layout
    nodes = gpu_nodes(cluster)
    per = lay.min_gpus_per_node
    gpus = [g for n in nodes for g in [x for x in n.machine.gpus if not x.lost][:per]]
    head = primary_machine(cluster, None)
    from llmdoctor.facts import Host, Software
    source = f"cluster: {len(nodes)} node{'s' if len(nodes) != 1 else ''} x {per} GPU{'s' if per != 1 else ''}"
    return Target(gpus=gpus, host=head.host if head is not None else Host(),
                  software=head.software if head is not None else Software(), source=source)


def _address(n: NodeFacts, placeholder: str) -> str:
    return n.address or placeholder


def _ifname(n: NodeFacts) -> Optional[str]:
    """The interface that carries the node's Ray address (what NCCL/Gloo should use between nodes)."""
    if not n.address:
        return None
    return next((i.name for i in n.interfaces if n.address in i.addresses), None)


def _comm_env(n: NodeFacts, cluster: Cluster) -> list[str]:
    """VAR=value prefixes that pin NCCL and Gloo to the node's cluster interface, where not set already
    (or set to a value that selects nothing there)."""
    ifc = _ifname(n)
    broken = {c.variable for c in cluster.env_checks if n.label in c.missing_on}
    out = []
    if ifc:
        for var in ("NCCL_SOCKET_IFNAME", "GLOO_SOCKET_IFNAME"):
            if var not in n.env or var in broken:
                out.append(f"{var}={ifc}")
    return out


def _layout_flags(engine: str, spec, request, lay, user_command: bool) -> tuple[int, int]:
    """Set the engine's TP/PP flags for the cluster unless the user gave them (or gave a whole command,
    which is planned as it stands); returns (tp, pp)."""
    tp_flag, pp_flag = spec.options.get("tp"), spec.options.get("pp")
    user_tp = request.flags.get(tp_flag) if tp_flag else None
    user_pp = request.flags.get(pp_flag) if pp_flag else None
    if user_command:
        return int(user_tp or 1), int(user_pp or 1)
    if engine == "vllm":
        tp, pp = user_tp or lay.min_gpus_per_node or 1, user_pp or max(lay.gpu_nodes, 1)
    elif engine == "sglang":
        pp = user_pp or 1
        tp = user_tp or max(lay.usable_gpus // pp, 1)
    else:
        return 1, 1
    if tp_flag:
        request.flags[tp_flag] = int(tp)
    if pp_flag:
        request.flags[pp_flag] = int(pp)
    return int(tp), int(pp)


def _insert_after(argv: list[str], flag: str, extra: list[str]) -> list[str]:
    if flag in argv and argv.index(flag) + 1 < len(argv):
        i = argv.index(flag) + 2
        return argv[:i] + extra + argv[i:]
    return argv + extra


def plan_cluster(intent, inputs, cluster: Cluster, prefer_recommended: bool = True) -> list:
    """One plan per engine across the cluster (the first is the one the report leads with); each
    engine's node commands go to `cluster.launches`."""
    if inputs.model is None:
        return []
    from llmdoctor import engines
    from llmdoctor.app.pipeline import engines_for, request_for
    from llmdoctor.engines import make_plan
    cluster.launches = []
    target = cluster_target(cluster)
    plans = []
    for engine in engines_for(intent, inputs):
        spec = engines.get(engine)
        request = request_for(engine, intent, inputs)
        if engine not in MULTI_NODE_ENGINES:
            cluster.notes.append(f"{spec.label} runs a model on one machine only: no multi-node plan for it")
            continue
        user_command = inputs.command is not None and inputs.command.engine == engine
        tp, pp = _layout_flags(engine, spec, request, cluster.layout, user_command)
        if engine == "vllm":
            plan = make_plan(target, inputs.model, request, verify=False)
            plan, fits = _vllm_command(plan, target, inputs.model, request, user_command, make_plan,
                                       prefer_recommended)
        else:
            plan = make_plan(target, inputs.model, request, verify=not user_command)
            if prefer_recommended and not user_command:
                from llmdoctor.app.pipeline import _recommended_plan
                plan = _recommended_plan(plan, target, inputs.model, request, make_plan)
            check = plan.details.command_check
            fits = check.fits if check is not None and check.fits is not None else plan.fits
        if user_command:
            plan = dataclasses.replace(plan, command=list(inputs.command.argv))
        plan = dataclasses.replace(plan, assumptions=[
            f"multi-node: {cluster.layout.gpu_nodes} node(s) x {cluster.layout.min_gpus_per_node} GPU(s); memory "
            "per GPU is planned, the traffic between nodes is not"] + plan.assumptions)
        cluster.launches.append(_launch(engine, spec.label, plan, cluster, tp, pp, fits))
        plans.append(plan)
        if not user_command and engine in ("vllm", "sglang") and cluster.layout.gpu_nodes > 1:
            _fits_one_node(engine, spec, intent, inputs, cluster, make_plan)
    if not intent.engines and inputs.command is None:
        plans.sort(key=lambda p: not p.fits)
        order = [p.engine for p in plans]
        cluster.launches.sort(key=lambda lau: order.index(lau.engine) if lau.engine in order else 99)
    return plans


def _fits_one_node(engine: str, spec, intent, inputs, cluster: Cluster, make_plan) -> None:
    """Say so when one node's GPUs hold the model: replicas per node beat one model across nodes."""
    from llmdoctor.app.pipeline import request_for
    from llmdoctor.plan.records import Target
    per = cluster.layout.min_gpus_per_node
    first = gpu_nodes(cluster)[0]
    target = Target(gpus=[g for g in first.machine.gpus if not g.lost][:per], host=first.machine.host,
                    software=first.machine.software, source=f"one node: {per} GPU(s)")
    request = request_for(engine, intent, inputs)
    if spec.options.get("tp"):
        request.flags[spec.options["tp"]] = per
    if spec.options.get("pp"):
        request.flags[spec.options["pp"]] = 1
    if make_plan(target, inputs.model, request, verify=False).fits:
        cluster.notes.append(f"{spec.label}: the model fits on one node (tensor parallel {per}); a replica per "
                             f"node serves more than one copy spread over {cluster.layout.gpu_nodes} nodes")


def _gcs_port(cluster: Cluster) -> int:
    """The probed cluster's GCS port (a host:port address), else Ray's default."""
    addr = cluster.source[len("ray:"):] if cluster.source.startswith("ray:") else ""
    port = addr.rpartition(":")[2]
    return int(port) if not addr.startswith("ray://") and port.isdigit() else RAY_PORT


def _vllm_command(plan, target, model, request, user_command: bool, make_plan, prefer_recommended: bool):
    """vLLM's recommended command, with the pipeline stage count and the Ray backend, planned again
    (vLLM's own command builder leaves --pipeline-parallel-size out). With `prefer_recommended`, a plan
    that does not fit with vLLM's defaults is replaced by the plan of that command when it fits."""
    from llmdoctor.engines.command import parse_command
    from llmdoctor.plan.records import PlanRequest
    if user_command or not plan.command:
        return plan, plan.fits
    argv = list(plan.command)
    extra = []
    if plan.pipeline_parallel_size > 1 and "--pipeline-parallel-size" not in argv:
        extra += ["--pipeline-parallel-size", str(plan.pipeline_parallel_size)]
    if "--distributed-executor-backend" not in argv:
        extra += ["--distributed-executor-backend", "ray"]
    argv = _insert_after(argv, "--tensor-parallel-size", extra)
    parsed = parse_command(argv)
    again = make_plan(target, model, PlanRequest(engine=plan.engine, engine_version=plan.engine_version,
                                                 flags={**{k: v for k, v in request.flags.items()
                                                           if k in ("quant", "concurrency")}, **parsed.flags},
                                                 command=parsed), verify=False)
    if prefer_recommended and not plan.fits and again.fits:
        return dataclasses.replace(again, command=argv, recommendations=plan.recommendations, assumptions=[
            f"planned with the recommended settings; with vLLM's defaults it would not fit: {plan.fits_reason}"]
            + again.assumptions), True
    return dataclasses.replace(plan, command=argv), again.fits


def _launch(engine: str, label: str, plan, cluster: Cluster, tp: int, pp: int, fits: Optional[bool]) -> ClusterLaunch:
    nodes = gpu_nodes(cluster) or [n for n in cluster.nodes if not n.error]
    head = head_node(cluster)
    if head is not None and head in nodes:
        nodes = [head] + [n for n in nodes if n is not head]
    head_ip = _address(head, "<head-ip>") if head is not None else "<head-ip>"
    probed_ray = cluster.source.startswith("ray:")
    lau = ClusterLaunch(engine=engine, layout="", tensor_parallel_size=tp, pipeline_parallel_size=pp,
                        nodes=len(nodes), fits=fits)
    argv = list(plan.command)
    port = _gcs_port(cluster)
    if engine == "vllm":
        lau.layout = f"TP {plan.tensor_parallel_size} x PP {plan.pipeline_parallel_size} ({label} on Ray)"
        note = "already running (probed through it)" if probed_ray else None
        if head is not None and head not in nodes:
            lau.steps.append(NodeCommand(head.label, "head", _comm_env(head, cluster) + ["ray", "start", "--head", f"--port={port}"], note))
        for i, n in enumerate(nodes):
            role = "head" if n is head or (head is None and i == 0) else "worker"
            start = ["ray", "start", "--head", f"--port={port}"] if role == "head" else \
                ["ray", "start", f"--address={head_ip}:{port}"]
            env = _comm_env(n, cluster) + ([f"VLLM_HOST_IP={n.address}"] if n.address and "VLLM_HOST_IP" not in n.env else [])
            lau.steps.append(NodeCommand(n.label, role, env + start, note))
        lau.steps.append(NodeCommand(head.label if head is not None else "head", "head", argv,
                                     "then, on the head only: vLLM places its workers through Ray"))
        lau.not_modelled = ["pipeline bubbles and the activations sent between stages",
                            "Ray's own memory on each node"]
    elif engine == "sglang":
        lau.layout = f"TP {plan.tensor_parallel_size} x PP {plan.pipeline_parallel_size} over {len(nodes)} nodes ({label})"
        for i, n in enumerate(nodes):
            extra = ["--nnodes", str(len(nodes)), "--node-rank", str(i), "--dist-init-addr", f"{head_ip}:{SGLANG_PORT}"]
            lau.steps.append(NodeCommand(n.label, "head" if i == 0 else "worker", _comm_env(n, cluster) + argv + extra,
                                         "serves the API" if i == 0 else None))
        lau.not_modelled = ["the all-reduce traffic of tensor parallel between nodes (wants InfiniBand/RoCE)"]
    else:
        workers = nodes[1:]
        lau.layout = f"layer split over {len(nodes)} node(s) ({label} over RPC)"
        for n in workers:
            lau.steps.append(NodeCommand(n.label, "worker", ["rpc-server", "--host", "0.0.0.0", "--port", str(RPC_PORT)],
                                         "llama.cpp built with -DGGML_RPC=ON; the port is unauthenticated: private network only"))
        rpc = ",".join(f"{_address(n, '<node-ip>')}:{RPC_PORT}" for n in workers)
        lau.steps.append(NodeCommand(nodes[0].label if nodes else "head", "head",
                                     argv + (["--rpc", rpc] if rpc else []), None))
        lau.not_modelled = ["RPC: planned as if every node's GPUs were the head's; the weights sent to each "
                            "rpc-server at start-up, its buffers and the per-token network traffic are not modelled"]
    return lau

