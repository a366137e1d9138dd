"""Probe every alive node of a Ray cluster: one Ray task pinned to each node (no SSH, no agent of
our own), each running `node.probe_node`, assembled into one Cluster.

Ray is imported here only, and only when a Ray address is given; without it the caller gets a usage
error that says how to install it. llmdoctor's own package is shipped to the nodes with the task
(Ray's runtime_env py_modules), so the nodes need Ray and the engine's environment, not llmdoctor,
and every node runs the same probe code. The tasks ask for no CPU and no GPU, so they run beside
a serving engine, and each gets `timeout_s` to answer; a node that does not is reported, not waited for.
"""
from __future__ import annotations

import logging
import os
import socket
from typing import Any, Optional

from llmdoctor.cluster.records import Cluster, NodeFacts
from llmdoctor.errors import InputError, UsageError

DEFAULT_TIMEOUT_S = 120.0
CONNECT_CHECK_S = 5.0
INSTALL_HINT = ("install it with: pip install 'llmdoctor-preflight[cluster]' (the same Ray and Python "
                "versions as the cluster's; or run llmdoctor from the cluster's own environment)")
RAY_RESOURCES = ("CPU", "GPU", "memory", "object_store_memory")


def import_ray():
    try:
        import ray
    except ImportError:
        raise UsageError(f"--ray-address needs Ray in llmdoctor's environment; {INSTALL_HINT}") from None
    return ray


def _reachable(address: str) -> None:
    """Fail in seconds, not minutes, when nothing listens at a host:port address (ray.init retries)."""
    target = address[len("ray://"):] if address.startswith("ray://") else address
    host, sep, port = target.rpartition(":")
    if not sep or not port.isdigit() or not host:
        return                                  # "auto" or a form Ray resolves itself
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_CHECK_S):
            pass
    except OSError as exc:
        raise InputError(f"cannot reach the Ray cluster at {address}: {exc.strerror or exc} "
                         "(the head's GCS address, host:6379, or a Ray Client address ray://host:10001)") from None


def _node_task(model_path: Optional[str]) -> dict:
    """Runs on the node (a Ray task)."""
    import ray
    drop = ()
    if os.environ.get("CUDA_VISIBLE_DEVICES") == "" and not ray.get_gpu_ids():
        drop = ("CUDA_VISIBLE_DEVICES",)      # Ray's own setting for a task without GPUs
    from llmdoctor.cluster.node import probe_node
    return probe_node(model_path, drop_env=drop)


def probe_cluster(address: str, model_path: Optional[str] = None, timeout_s: float = DEFAULT_TIMEOUT_S,
                  ship_code: bool = True) -> Cluster:
    """Connect to the cluster at `address` ("auto": RAY_ADDRESS, then the local cluster), probe every
    alive node, disconnect. `model_path` is looked at on every node (give it absolute)."""
    ray = import_ray()
    if not address or address == "local":
        raise UsageError("--ray-address needs a running cluster's address (host:6379, ray://host:10001 or auto); "
                         "llmdoctor never starts a Ray instance of its own")
    _reachable(address)
    runtime_env = None
    if ship_code:
        import llmdoctor
        runtime_env = {"py_modules": [os.path.dirname(os.path.abspath(llmdoctor.__file__))],
                       "excludes": ["__pycache__", "*.pyc"]}
    connected_here = not ray.is_initialized()
    try:
        if connected_here:
            ray.init(address=address, logging_level=logging.ERROR, log_to_driver=False,
                     namespace="llmdoctor", runtime_env=runtime_env)
    except Exception as exc:         # ConnectionError, version mismatch (RuntimeError), bad address (ValueError)
        text = str(exc).strip().splitlines()
        raise InputError(f"cannot connect to the Ray cluster at {address}: {text[0] if text else type(exc).__name__}"
                         + (" — run llmdoctor with the cluster's Ray and Python versions" if "mismatch" in str(exc).lower() else "")) from None
    try:
        return _probe_nodes(ray, address, model_path, timeout_s, runtime_env if not connected_here else None)
    finally:
        if connected_here:
            ray.shutdown()


def _probe_nodes(ray, address: str, model_path: Optional[str], timeout_s: float, runtime_env) -> Cluster:
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
    alive = [n for n in ray.nodes() if n.get("Alive")]
    task = ray.remote(num_cpus=0, num_gpus=0, max_retries=0)(_node_task)
    refs = {}
    for n in alive:
        opts: dict[str, Any] = {"scheduling_strategy": NodeAffinitySchedulingStrategy(node_id=n["NodeID"], soft=False),
                                "name": "llmdoctor-probe"}
        if runtime_env:
            opts["runtime_env"] = runtime_env
        refs[n["NodeID"]] = task.options(**opts).remote(model_path)
    pending = ray.wait(list(refs.values()), num_returns=len(refs), timeout=timeout_s)[1] if refs else []
    pending_ids = {r.hex() for r in pending}
    cluster = Cluster(source=f"ray:{address}", ray_version=getattr(ray, "__version__", None), model_path=model_path)
    from llmdoctor.facts import Machine, from_dict
    for n in alive:
        ref = refs[n["NodeID"]]
        resources = {k: float(v) for k, v in (n.get("Resources") or {}).items() if k in RAY_RESOURCES}
        address_ = n.get("NodeManagerAddress")
        is_head = "node:__internal_head__" in (n.get("Resources") or {})
        node = NodeFacts(label=n.get("NodeManagerHostname") or address_ or n["NodeID"][:8],
                         machine=Machine(source="ray"), address=address_, node_id=n["NodeID"],
                         is_head=is_head, ray_resources=resources)
        if ref.hex() in pending_ids:
            node.error = f"no answer within {timeout_s:g} s"
            try:
                ray.cancel(ref, force=True)
            except Exception:            # already finished or lost: nothing left to stop
                pass
        else:
            try:
                got = from_dict(NodeFacts, ray.get(ref))
            except Exception as exc:          # the task raised on the node (RayTaskError) or was lost
                lines = [ln for ln in str(exc).strip().splitlines() if ln.strip()]
                node.error = f"the probe failed: {lines[-1] if lines else type(exc).__name__}"[:500]
            else:
                got.label = got.hostname or node.label
                got.address, got.node_id, got.is_head, got.ray_resources = address_, n["NodeID"], is_head, resources
                got.machine.source = f"ray:{address_}"
                node = got
        cluster.nodes.append(node)
    cluster.nodes.sort(key=lambda x: (not x.is_head, x.address or "", x.label))
    return cluster
