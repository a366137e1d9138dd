"""JSON Schema of the facts document (`--json`), written from the same records walk the rules use.

The records are the single source of truth: docs/json-schema.json is generated from them, and tests
validate real output against it and fail when the committed file is stale.
"""
from __future__ import annotations

from llmdoctor.schema import record_schema


def document_schema() -> dict:
    from llmdoctor.checkpoint.spec import ModelInfo
    from llmdoctor.cluster.records import Cluster
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
            "cluster": nullable(Cluster),
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


if __name__ == "__main__":   # python -m llmdoctor.render.json_schema > docs/json-schema.json
    print(render_schema(), end="")
