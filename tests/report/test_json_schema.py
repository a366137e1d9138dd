"""The facts document: real output validates against docs/json-schema.json, which is up to date."""
import json
import subprocess
import sys

import jsonschema
import pytest

from llmdoctor.render.json_schema import render_schema

from ..conftest import FIXTURES, ROOT

SCHEMA = ROOT / "docs" / "json-schema.json"


def test_committed_schema_is_current():
    assert SCHEMA.read_text() == render_schema(), "run: python -m llmdoctor.render.json_schema > docs/json-schema.json"


def cli_json(*args):
    out = subprocess.run([sys.executable, "-m", "llmdoctor", args[0], "--json", *args[1:]], capture_output=True,
                         text=True, timeout=120, cwd=ROOT)
    assert out.returncode in (0, 1), out.stderr
    return json.loads(out.stdout)


@pytest.mark.parametrize("args", [
    ("probe",),
    ("probe", "--machine", str(FIXTURES / "machines" / "rtx2080ti-22gb-x2-wsl.json")),
    ("check", str(FIXTURES / "models" / "Qwen--Qwen3-8B"), "--gpu", "RTX 4090"),
    ("check", str(FIXTURES / "models" / "openai--gpt-oss-20b"), "--machine",
     str(FIXTURES / "machines" / "h100-80gb-hbm3.json"), "--engine", "vllm"),
    ("check", str(FIXTURES / "models" / "gguf" / "tiny-llama-q4_k_m.gguf"), "--machine",
     str(FIXTURES / "machines" / "a10-24gb.json")),
    ("plan", "--machine", str(FIXTURES / "machines" / "rtx2080ti-22gb-x2-wsl.json"), "--", "vllm", "serve",
     str(FIXTURES / "models" / "nvidia--Qwen3.6-27B-NVFP4"), "--tensor-parallel-size", "2", "--dtype", "half",
     "--max-model-len", "262144", "--kv-cache-dtype", "fp8"),
])
def test_real_output_validates(args):
    doc = cli_json(*args)
    jsonschema.validate(doc, json.loads(SCHEMA.read_text()))
    assert doc["schema_version"] == 1


def test_schema_rejects_a_wrong_type():
    doc = cli_json("probe")
    doc["machine"]["host"]["ram_total_bytes"] = "24 GiB"      # bytes are integers, never strings
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, json.loads(SCHEMA.read_text()))
