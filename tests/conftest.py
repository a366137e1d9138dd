import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
MACHINES = FIXTURES / "machines"


@pytest.fixture
def machine_file():
    def _path(name: str) -> str:
        return str(MACHINES / f"{name}.json")
    return _path


def load_json(path) -> dict:
    return json.loads(Path(path).read_text())
