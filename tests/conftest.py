import json
import os
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
MACHINES = FIXTURES / "machines"


def pytest_configure(config):
    # the rule cache of this run, not the user's (subprocesses inherit it)
    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="llmdoctor-test-cache-")


@pytest.fixture
def machine_file():
    def _path(name: str) -> str:
        return str(MACHINES / f"{name}.json")
    return _path


def load_json(path) -> dict:
    return json.loads(Path(path).read_text())
