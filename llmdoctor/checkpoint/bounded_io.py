"""Bounded, read-only file access shared by the checkpoint readers.

Every failure a user's files can cause (missing, unreadable, symlink loop, invalid UTF-8, JSON
nested too deep, too large) becomes an InputError with one line; nothing else escapes.
"""
from __future__ import annotations

import json
import os
from typing import Any, Optional

from llmdoctor.errors import InputError
from llmdoctor.safe_io import check_nesting, describe_os_error  # noqa: F401  (re-exported for the readers)

# Small JSON side files (config.json, tokenizer_config.json, index files). The biggest real
# tokenizer_config.json files carry a chat template and added tokens: a few MB at most.
MAX_SIDE_JSON_BYTES = 64 * 1024 * 1024


def file_size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError as exc:
        raise InputError(describe_os_error(path, exc)) from None


def read_bytes(path: str, limit: int) -> bytes:
    """The whole file, refusing files over `limit` bytes before reading them."""
    from llmdoctor.safe_io import read_regular
    return read_regular(path, limit)


def decode_json(raw: bytes, where: str) -> Any:
    """Strict UTF-8 JSON; deep nesting and bad encodings become one-line InputErrors."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{where}: invalid UTF-8 at byte {exc.start}") from None
    try:
        value = json.loads(text)
        check_nesting(value, where)
        return value
    except RecursionError:
        raise InputError(f"{where}: JSON nested too deeply") from None
    except ValueError as exc:
        # json.JSONDecodeError carries a position; other ValueErrors (huge int literals) do not.
        raise InputError(f"{where}: invalid JSON ({str(exc).splitlines()[0][:120]})") from None


def read_json_file(path: str, limit: int = MAX_SIDE_JSON_BYTES) -> Any:
    return decode_json(read_bytes(path, limit), path)


def read_json_object(path: str, limit: int = MAX_SIDE_JSON_BYTES) -> dict:
    value = read_json_file(path, limit)
    if not isinstance(value, dict):
        raise InputError(f"{path}: expected a JSON object, found {type(value).__name__}")
    return value


def optional_json_object(path: str) -> Optional[dict]:
    """A side file that may be absent; present but broken is still an error."""
    if not os.path.lexists(path):
        return None
    return read_json_object(path)
