"""Multi-node clusters: each node's facts (probed through Ray, loaded from a recorded document, or
described by what-if flags) and the cluster-wide summaries the rules read.

    records.py    the typed records (Cluster, NodeFacts, ...), the `cluster` root of the facts document
    node.py       what one node reports about itself (runs on the node)
    ray_probe.py  one Ray task pinned to each alive node; Ray is imported only there
    summary.py    versions that differ, the fabric, NCCL/Gloo variables, the model path, the GPU layout
    load.py       a recorded cluster document; what-if nodes
"""
from __future__ import annotations

from llmdoctor.cluster.records import Cluster, NodeFacts

__all__ = ["Cluster", "NodeFacts"]
