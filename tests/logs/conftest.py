import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOGS = ROOT / "fixtures" / "logs"


@pytest.fixture(scope="session")
def log_rules():
    from llmdoctor.diagnose.rules import load_log_rules
    return load_log_rules()


@pytest.fixture(scope="session")
def analyze(log_rules):
    from llmdoctor.logs import analyze_text
    cache = {}

    def run(rel: str):
        if rel not in cache:
            cache[rel] = analyze_text((LOGS / rel).read_text(encoding="utf-8"), rel, rules=log_rules)
        return cache[rel]
    return run


def runs():
    return json.loads((LOGS / "runs.json").read_text(encoding="utf-8"))
