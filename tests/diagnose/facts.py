"""Build facts documents for rule examples and seed tests: a real recorded machine and a real model
config, with a few facts set on top (`"plan.engine" = "vllm"`, `"machine.gpus[*].cc_major" = 7`)."""
from __future__ import annotations

import copy
import functools
import re
from pathlib import Path
from typing import Any, Optional

from llmdoctor.diagnose.schema import document_schema, skeleton
from llmdoctor.report import Report

ROOT = Path(__file__).resolve().parents[2]
MACHINES = ROOT / "fixtures" / "machines"
MODELS = ROOT / "fixtures" / "models"
HERE = Path(__file__).resolve().parent


@functools.lru_cache(maxsize=None)
def machine(name: str):
    from llmdoctor.probes.replay import load_machine
    return load_machine(str(MACHINES / f"{name}.json"))


@functools.lru_cache(maxsize=None)
def model(name: str):
    from llmdoctor.checkpoint import read_model
    return read_model(str(MODELS / name))


@functools.lru_cache(maxsize=None)
def _base(machine_name: str, model_name: Optional[str]) -> dict:
    m = machine(machine_name)
    mod = model(model_name) if model_name else None
    return Report(machine=m, model=mod).document()


def base_document(machine_name: str = "h100-80gb-hbm3", model_name: Optional[str] = None) -> dict:
    return copy.deepcopy(_base(machine_name, model_name))


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


def build(machine_name: str = "h100-80gb-hbm3", model_name: Optional[str] = None,
          facts: Optional[dict] = None, template_file: Optional[str] = None) -> tuple[dict, dict]:
    """(document, derived_overrides). `derived.*` facts override what diagnose computes."""
    doc = base_document(machine_name, model_name)
    overrides = {}
    for path, value in (facts or {}).items():
        if path.startswith("derived."):
            overrides[path[len("derived."):]] = value
        else:
            set_fact(doc, path, value)
    if template_file:
        text = (HERE / "fixtures" / "templates" / template_file).read_text(encoding="utf-8")
        if doc.get("model") is None:
            set_fact(doc, "model.path", "/models/example")
        doc["model"]["chat_template"] = {"source": "chat_template.jinja", "sha256": "", "length": len(text), "text": text}
    return doc, overrides
