"""JSON output: the facts document, byte-exact numbers, nothing formatted."""
from __future__ import annotations

import json
import sys


def write_json(document: dict, out=None) -> None:
    out = out or sys.stdout
    json.dump(document, out, indent=2, ensure_ascii=False, allow_nan=False)
    out.write("\n")
