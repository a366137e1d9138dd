"""The set of fact paths a rule may read, derived from the dataclasses that ARE the schema.

A path is a dotted name from one of the document's roots (``machine.gpus[].cc_major``,
``command.flags.dtype``, ``derived.chat_template.developer_role_ok``). Lists contribute a ``[]``
segment; dict[str, X] fields accept any key; fields typed ``Any`` accept anything below them.
"""
from __future__ import annotations

import dataclasses
import functools
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Optional


@dataclass(frozen=True)
class Node:
    kind: str                                   # "struct" | "list" | "map" | "any" | "scalar"
    fields: tuple = ()                          # struct: ((name, Node), ...)
    item: Optional["Node"] = None               # list element / map value
    type_name: str = ""                         # scalar: int | float | str | bool; struct: class name
    cls: Any = field(default=None, compare=False)   # struct: the dataclass

    def child(self, name: str) -> Optional["Node"]:
        for fname, node in self.fields:
            if fname == name:
                return node
        return None


ANY = Node("any")


def _node_for(hint: Any, seen: tuple = ()) -> Node:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is Any or hint is object:
        return ANY
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _node_for(inner[0], seen) if len(inner) == 1 else ANY
    if origin in (list, tuple, set, frozenset):
        return Node("list", item=_node_for(args[0], seen) if args else ANY)
    if origin is dict:
        return Node("map", item=_node_for(args[1], seen) if len(args) == 2 else ANY)
    if hint in (list, tuple):
        return Node("list", item=ANY)
    if hint is dict:
        return Node("map", item=ANY)
    if dataclasses.is_dataclass(hint):
        if hint in seen:
            return ANY
        hints = typing.get_type_hints(hint)
        return Node("struct", fields=tuple((f.name, _node_for(hints[f.name], seen + (hint,)))
                                           for f in dataclasses.fields(hint)),
                    type_name=hint.__name__, cls=hint)
    if isinstance(hint, type):
        return Node("scalar", type_name=hint.__name__)
    return ANY


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

    roots = {
        "schema_version": int,
        "tool": Tool,
        "machine": Machine,
        "model": Optional[ModelInfo],
        "plan": Optional[Plan],
        "command": Optional[LaunchCommand],
        "derived": Derived,
    }
    return Node("struct", fields=tuple((k, _node_for(v)) for k, v in roots.items()), type_name="Document")


ROOTS = ("schema_version", "tool", "machine", "model", "plan", "command", "derived")


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
        if node.kind == "any":
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


__all__ = ["Node", "document_schema", "resolve", "split_path", "all_paths", "skeleton", "ROOTS", "field"]
