"""The set of fact paths a rule may read, from the one walk over the records (llmdoctor/schema.py).

A path is a dotted name from one of the document's roots (``machine.gpus[].cc_major``,
``command.flags.dtype``, ``derived.chat_template.developer_role_ok``). Lists contribute a ``[]``
segment; dict[str, X] fields accept any key; fields typed ``Any`` accept anything below them.
"""
from __future__ import annotations

import copy
import dataclasses
import functools
import re
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Optional

from llmdoctor.schema import Node, node_for


@dataclass
class Tool:
    name: str
    version: str


@functools.lru_cache(maxsize=1)
def document_schema() -> Node:
    """The facts document rules read: the Report document plus `derived`."""
    from llmdoctor.checkpoint.spec import ModelInfo
    from llmdoctor.facts import Machine
    from llmdoctor.plan.records import LaunchCommand, Plan
    from llmdoctor.diagnose.derived import Derived
    from llmdoctor.cluster.records import Cluster

    roots = {
        "schema_version": int,
        "tool": Tool,
        "machine": Machine,
        "model": Optional[ModelInfo],
        "plan": Optional[Plan],
        "command": Optional[LaunchCommand],
        "derived": Derived,
        "cluster": Optional[Cluster],
    }
    return Node("struct", fields=tuple((k, node_for(v)) for k, v in roots.items()), type_name="Document")


ROOTS = ("schema_version", "tool", "machine", "model", "plan", "command", "derived", "cluster")


def split_path(path: str) -> list[str]:
    """'machine.gpus[].cc_major' -> ['machine', 'gpus', '[]', 'cc_major']; 'a.b[0]' -> [.., '[]']."""
    out: list[str] = []
    for part in path.split("."):
        while "[" in part:
            head, _, rest = part.partition("[")
            if head:
                out.append(head)
            _, _, part = rest.partition("]")
            out.append("[]")
        if part:
            out.append(part)
    return out


def resolve(path: str | list[str], schema: Node | None = None) -> tuple[Optional[Node], str]:
    """Walk a path through the schema. Returns (node, "") or (None, why it is not a fact)."""
    node = schema or document_schema()
    segs = split_path(path) if isinstance(path, str) else path
    walked: list[str] = []
    for seg in segs:
        if node.kind in ("any", "union"):
            return node, ""
        if seg == "[]":
            if node.kind in ("list", "map"):
                node = node.item
            else:
                return None, f"{_fmt(walked)} is not a list"
        elif node.kind == "struct":
            nxt = node.child(seg)
            if nxt is None:
                known = ", ".join(n for n, _ in node.fields)
                return None, f"{_fmt(walked + [seg])} is not a fact ({_fmt(walked) or 'the document'} has: {known})"
            node = nxt
        elif node.kind == "map":
            node = node.item
        elif node.kind == "list":
            return None, f"{_fmt(walked)} is a list: use an index or a macro such as exists()"
        else:
            return None, f"{_fmt(walked)} is a {node.type_name}, it has no field {seg!r}"
        walked.append(seg)
    return node, ""


def _fmt(segs: list[str]) -> str:
    return ".".join(segs).replace(".[]", "[]")


def all_paths(node: Node | None = None, prefix: str = "", depth: int = 0) -> list[str]:
    """Every leaf-ish path of the schema (for docs and listings); maps and Any end a path."""
    node = node or document_schema()
    if depth > 12:
        return [prefix]
    if node.kind == "struct":
        out = []
        for name, child in node.fields:
            out += all_paths(child, f"{prefix}.{name}" if prefix else name, depth + 1)
        return out
    if node.kind == "list":
        return all_paths(node.item, prefix + "[]", depth + 1)
    if node.kind == "map":
        return [prefix + ".*"]
    return [prefix]


def skeleton(hint: Any) -> Any:
    """A dict for a dataclass with every field present: None, [] or {} or a nested skeleton.
    Used to let a test fixture set `plan.engine` when the base document has `plan: null`."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return None
    if dataclasses.is_dataclass(hint):
        hints = typing.get_type_hints(hint)
        out = {}
        for f in dataclasses.fields(hint):
            h = hints[f.name]
            o = typing.get_origin(h)
            if o is list or h is list:
                out[f.name] = []
            elif o is dict or h is dict:
                out[f.name] = {}
            elif dataclasses.is_dataclass(h):
                out[f.name] = skeleton(h)
            else:
                out[f.name] = None
        return out
    return None


def root_type(name: str) -> Any:
    from llmdoctor.checkpoint.spec import ModelInfo
    from llmdoctor.plan.records import LaunchCommand, Plan
    return {"model": ModelInfo, "plan": Plan, "command": LaunchCommand}.get(name)


def skeleton_document() -> dict:
    """A facts document with every root present and empty: what a rule's example facts are set on when
    no recorded machine is at hand (`rules --check`)."""
    from llmdoctor.diagnose.derived import Derived
    from llmdoctor.facts import Machine
    return {"schema_version": 1, "tool": {"name": "llmdoctor", "version": ""}, "machine": skeleton(Machine),
            "model": None, "plan": None, "command": None, "derived": skeleton(Derived), "cluster": None}


_SEG = re.compile(r"([^.\[\]]+)|\[(\*|\d+)\]")


def set_fact(doc: dict, path: str, value: Any) -> None:
    """Set `path` in the document, creating skeletons for null dataclass records on the way."""
    segs = [(m.group(1), m.group(2)) for m in _SEG.finditer(path)]
    _set(doc, document_schema(), segs, value)


def _set(node: Any, schema, segs, value) -> None:
    (name, index), rest = segs[0], segs[1:]
    if index is not None:                       # a list position or every element
        targets = range(len(node)) if index == "*" else [int(index)]
        for i in targets:
            if not rest:
                node[i] = copy.deepcopy(value)
            else:
                if node[i] is None and schema.item is not None and schema.item.cls is not None:
                    node[i] = skeleton(schema.item.cls)
                _set(node[i], schema.item, rest, value)
        return
    child = schema.child(name) if schema is not None and schema.kind == "struct" else None
    if schema is not None and schema.kind == "map":
        child = schema.item
    if not rest:
        node[name] = _complete(child, copy.deepcopy(value))
        return
    if node.get(name) is None:
        nxt_is_index = rest[0][1] is not None
        if nxt_is_index:
            node[name] = []
        elif child is not None and child.cls is not None:
            node[name] = skeleton(child.cls)
        else:
            node[name] = {}
    _set(node[name], child if child is not None else schema, rest, value)


def _complete(schema, value):
    """A dict or list of dicts given for a dataclass record gets every field the real document has."""
    if schema is None:
        return value
    if schema.kind == "struct" and schema.cls is not None and isinstance(value, dict):
        return {**skeleton(schema.cls), **value}
    if schema.kind == "list" and isinstance(value, list):
        return [_complete(schema.item, v) for v in value]
    return value



__all__ = ["Node", "document_schema", "resolve", "split_path", "all_paths", "skeleton", "skeleton_document", "set_fact", "ROOTS", "field"]
