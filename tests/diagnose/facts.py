"""Build facts documents for rule examples and seed tests: a real recorded machine and a real model
config, with a few facts set on top (`"plan.engine" = "vllm"`, `"machine.gpus[*].cc_major" = 7`)."""
from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Optional

from llmdoctor.diagnose.schema import set_fact  # noqa: F401  (tests import it from here)
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
