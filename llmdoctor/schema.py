"""JSON Schema of the facts document, derived from the dataclasses that produce it.

The records are the single source of truth: docs/json-schema.json is generated from them, and tests
validate real output against it and fail when the committed file is stale.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any

_SCALARS = {int: "integer", float: "number", str: "string", bool: "boolean"}


def type_schema(hint: Any) -> dict:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        schema = type_schema(inner[0]) if len(inner) == 1 else {"anyOf": [type_schema(a) for a in inner]}
        if type(None) in args:
            schema = {"anyOf": [schema, {"type": "null"}]}
        return schema
    if origin is list or hint is list:
        return {"type": "array", "items": type_schema(args[0]) if args else {}}
    if origin is tuple:
        return {"type": "array"}
    if origin is dict or hint is dict:
        return {"type": "object", "additionalProperties": type_schema(args[1]) if args else {}}
    if hint is float:
        return {"type": ["number", "integer"]}
    if hint in _SCALARS:
        return {"type": _SCALARS[hint]}
    if dataclasses.is_dataclass(hint):
        return record_schema(hint)
    return {}


def record_schema(cls: type) -> dict:
    hints = typing.get_type_hints(cls)
    props = {f.name: type_schema(hints[f.name]) for f in dataclasses.fields(cls)}
    return {"type": "object", "title": cls.__name__, "properties": props,
            "required": sorted(props), "additionalProperties": False}


def document_schema() -> dict:
    from llmdoctor.checkpoint.spec import ModelInfo
    from llmdoctor.diagnose import Finding
    from llmdoctor.diagnose.derived import Derived
    from llmdoctor.facts import Machine
    from llmdoctor.plan.records import LaunchCommand, Plan
    from llmdoctor.report import SCHEMA_VERSION, Verdict

    nullable = lambda cls: {"anyOf": [record_schema(cls), {"type": "null"}]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "llmdoctor facts document",
        "type": "object",
        "properties": {
            "schema_version": {"const": SCHEMA_VERSION},
            "tool": {"type": "object", "properties": {"name": {"type": "string"}, "version": {"type": "string"}}},
            "machine": record_schema(Machine),
            "model": {"anyOf": [_model_schema(ModelInfo), {"type": "null"}]},
            "plan": nullable(Plan),
            "command": nullable(LaunchCommand),
            "derived": nullable(Derived),
            "findings": {"type": "array", "items": record_schema(Finding)},
            "alternatives": {"type": "array", "items": record_schema(Plan)},
            "verdict": record_schema(Verdict),
        },
        "required": ["schema_version", "tool", "machine", "model", "plan", "command", "findings"],
        "additionalProperties": True,
    }


def _model_schema(cls: type) -> dict:
    schema = record_schema(cls)
    # model_to_dict drops the untrusted template text from the document
    template = schema["properties"]["chat_template"]["anyOf"][0]
    template["properties"].pop("text", None)
    template["required"] = [r for r in template["required"] if r != "text"]
    return schema


def render_schema() -> str:
    import json
    return json.dumps(document_schema(), indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":   # python -m llmdoctor.schema > docs/json-schema.json
    print(render_schema(), end="")
