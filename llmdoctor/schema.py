"""One walk over the typed records (dataclasses) that make up the facts document, giving a tree of
Nodes. The rules' fact checker (diagnose/schema.py) resolves paths in it; the JSON Schema in
docs/json-schema.json (render/json_schema.py) is written from it. Imports nothing of llmdoctor.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Optional


@dataclass(frozen=True)
class Node:
    kind: str                                   # "struct" | "list" | "map" | "any" | "scalar" | "union"
    fields: tuple = ()                          # struct: ((name, Node), ...)
    item: Optional["Node"] = None               # list element / map value
    type_name: str = ""                         # scalar: int | float | str | bool; struct: class name; list: list | tuple
    cls: Any = field(default=None, compare=False)   # struct: the dataclass
    nullable: bool = False                      # Optional[...]
    options: tuple = ()                         # union: the member Nodes

    def child(self, name: str) -> Optional["Node"]:
        for fname, node in self.fields:
            if fname == name:
                return node
        return None


ANY = Node("any")


def node_for(hint: Any, seen: tuple = ()) -> Node:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is Any or hint is object:
        return ANY
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        node = node_for(inner[0], seen) if len(inner) == 1 else \
            Node("union", options=tuple(node_for(a, seen) for a in inner))
        return dataclasses.replace(node, nullable=True) if type(None) in args else node
    if origin in (list, tuple, set, frozenset):
        return Node("list", item=node_for(args[0], seen) if args else ANY,
                    type_name="tuple" if origin is tuple else "list")
    if origin is dict:
        return Node("map", item=node_for(args[1], seen) if len(args) == 2 else ANY)
    if hint in (list, tuple):
        return Node("list", item=ANY, type_name=hint.__name__)
    if hint is dict:
        return Node("map", item=ANY)
    if dataclasses.is_dataclass(hint):
        if hint in seen:
            return ANY
        hints = typing.get_type_hints(hint)
        return Node("struct", fields=tuple((f.name, node_for(hints[f.name], seen + (hint,)))
                                           for f in dataclasses.fields(hint)),
                    type_name=hint.__name__, cls=hint)
    if isinstance(hint, type):
        return Node("scalar", type_name=hint.__name__)
    return ANY


_SCALARS = {"int": "integer", "float": ["number", "integer"], "str": "string", "bool": "boolean"}


def json_schema(node: Node) -> dict:
    """The JSON Schema (draft 2020-12) of a Node."""
    if node.kind == "union":
        schema: dict = {"anyOf": [json_schema(o) for o in node.options]}
    elif node.kind == "list":
        schema = {"type": "array"} if node.type_name == "tuple" else \
            {"type": "array", "items": json_schema(node.item) if node.item is not ANY else {}}
    elif node.kind == "map":
        schema = {"type": "object", "additionalProperties": json_schema(node.item) if node.item is not ANY else {}}
    elif node.kind == "scalar" and node.type_name in _SCALARS:
        schema = {"type": _SCALARS[node.type_name]}
    elif node.kind == "struct":
        props = {name: json_schema(child) for name, child in node.fields}
        schema = {"type": "object", "title": node.type_name, "properties": props,
                  "required": sorted(props), "additionalProperties": False}
    else:
        schema = {}
    return {"anyOf": [schema, {"type": "null"}]} if node.nullable else schema


def record_schema(cls: type) -> dict:
    return json_schema(node_for(cls))


MAX_RECORD_INT = 2 ** 62
MAX_RECORD_ITEMS = 100_000


def check_record(value: Any, node: Node, where: str, path: str = "") -> None:
    """Raise ValueError naming the first field of `value` (a record read from a file) whose value does
    not fit its annotation: a wrong type, a non-finite or huge number, too many items."""
    import math
    if value is None:
        if node.nullable or node.kind == "any":
            return
        raise ValueError(f"{where}: {path or 'value'} is null")
    kind = node.kind
    if kind == "any":
        return
    if kind == "union":
        for option in node.options:
            try:
                check_record(value, option, where, path)
                return
            except ValueError:
                continue
        raise ValueError(f"{where}: {path} = {str(value)[:60]!r} has the wrong type")
    if kind == "scalar":
        t = node.type_name
        ok = {"str": isinstance(value, str), "bool": isinstance(value, bool),
              "int": isinstance(value, int) and not isinstance(value, bool),
              "float": isinstance(value, (int, float)) and not isinstance(value, bool)}.get(t, True)
        if not ok:
            raise ValueError(f"{where}: {path} = {str(value)[:60]!r} is not a {t}")
        if t in ("int", "float") and (not math.isfinite(value) or abs(value) > MAX_RECORD_INT):
            raise ValueError(f"{where}: {path} = {str(value)[:60]} is out of range")
        return
    if kind == "list":
        if not isinstance(value, (list, tuple)) or len(value) > MAX_RECORD_ITEMS:
            raise ValueError(f"{where}: {path} must be a list of at most {MAX_RECORD_ITEMS} items")
        for i, item in enumerate(value):
            check_record(item, node.item, where, f"{path}[{i}]")
        return
    if kind == "map":
        if not isinstance(value, dict) or len(value) > MAX_RECORD_ITEMS:
            raise ValueError(f"{where}: {path} must be an object")
        for k, item in value.items():
            check_record(item, node.item, where, f"{path}.{k}")
        return
    if kind == "struct":
        for name, child in node.fields:
            check_record(getattr(value, name, None), child, where, f"{path}.{name}" if path else name)
