"""Clusters that are not probed live: a recorded document (`llmdoctor probe --ray-address ... --json`
output) and what-if nodes (`--nodes N`, each with the GPUs of `--gpu/--gpus` or of this machine)."""
from __future__ import annotations

import copy
import dataclasses
import math
import os
import types
import typing
from typing import Any, Optional

from llmdoctor.cluster.records import Cluster, NodeFacts
from llmdoctor.cluster.summary import summarize
from llmdoctor.errors import InputError
from llmdoctor.facts import Machine, from_dict

MAX_NODES = 256
MAX_GPUS_PER_NODE = 64


def cluster_from_document(doc: dict, label: str) -> Cluster:
    data = doc.get("cluster") if isinstance(doc.get("cluster"), dict) else None
    if data is None:
        raise InputError(f"{label}: not a cluster document (no 'cluster' object; write one with "
                         "llmdoctor probe --ray-address ADDR --json)")
    if not isinstance(data.get("nodes"), list) or not data["nodes"]:
        raise InputError(f"{label}: the cluster has no nodes")
    if len(data["nodes"]) > MAX_NODES:
        raise InputError(f"{label}: more than {MAX_NODES} nodes")
    try:
        cluster = from_dict(Cluster, data)
    except (TypeError, KeyError, AttributeError, ValueError) as exc:
        raise InputError(f"{label}: cluster facts do not match the schema ({exc})") from None
    for n in cluster.nodes:
        if not isinstance(n, NodeFacts) or not isinstance(n.machine, Machine):
            raise InputError(f"{label}: a node lacks its machine facts")
    where = _mismatch(cluster, Cluster, "cluster")
    if where:
        raise InputError(f"{label}: cluster facts do not match the schema (at {where})")
    if any(len(n.machine.gpus) > MAX_GPUS_PER_NODE for n in cluster.nodes):
        raise InputError(f"{label}: a node with more than {MAX_GPUS_PER_NODE} GPUs")
    cluster.source = f"facts:{os.path.basename(label)}"
    cluster.launches = []
    return summarize(cluster)


def _mismatch(value: Any, hint: Any, path: str) -> Optional[str]:
    """The first place where `value` is not of the record type `hint` (a hostile or hand-edited file
    must be a usage error, not a crash further on); None when it conforms."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return None
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return None if any(_mismatch(value, a, path) is None for a in inner) else path
    if origin is list or hint is list:
        if not isinstance(value, list):
            return path
        return next((w for i, v in enumerate(value) if args and (w := _mismatch(v, args[0], f"{path}[{i}]"))), None)
    if origin is dict or hint is dict:
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            return path
        return next((w for k, v in value.items() if len(args) == 2 and (w := _mismatch(v, args[1], f"{path}.{k}"))), None)
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, hint):
            return path
        hints = typing.get_type_hints(hint)
        return next((w for f in dataclasses.fields(hint)
                     if (w := _mismatch(getattr(value, f.name), hints[f.name], f"{path}.{f.name}"))), None)
    if hint is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        return None if ok else path
    if hint is int:
        return None if isinstance(value, int) and not isinstance(value, bool) else path
    if isinstance(hint, type):
        return None if isinstance(value, hint) else path
    return None


def load_cluster(path: str) -> Cluster:
    from llmdoctor.probes.replay import read_json_file
    return cluster_from_document(read_json_file(path, "cluster file"), path)


def what_if_cluster(nodes: int, machine: Machine, gpus: Optional[list[Any]] = None,
                    model_path: Optional[str] = None) -> Cluster:
    """`nodes` nodes like `machine` (its host and software), each with `gpus` when given. Only the GPUs
    are known for them: the fabric, the variables and the model path stay unknown."""
    cluster = Cluster(source="what-if", model_path=model_path)
    for i in range(nodes):
        m = copy.deepcopy(machine)
        if gpus is not None:
            m.gpus = copy.deepcopy(gpus)
        m.source = "what-if"
        cluster.nodes.append(NodeFacts(label=f"node{i}", machine=m, is_head=i == 0, probed=False))
    cluster.notes.append(f"what-if: {nodes} nodes described by the command line; their network, "
                         "versions and model path are not probed")
    return summarize(cluster)


def with_gpus(cluster: Cluster, gpus: list[Any]) -> Cluster:
    """The probed cluster with each node's GPUs replaced by the what-if ones (--gpu/--gpus)."""
    for n in cluster.nodes:
        if not n.error:
            n.machine.gpus = copy.deepcopy(gpus)
            n.ray_resources = {}         # Ray's GPU count describes the real GPUs, not these
    cluster.notes.append(f"what-if: each node's GPUs replaced by {len(gpus)} x {gpus[0].name if gpus else '?'}")
    return summarize(cluster)
