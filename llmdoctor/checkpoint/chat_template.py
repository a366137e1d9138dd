"""Find the chat template wherever an HF repo keeps it, and fingerprint it.

Order follows transformers' tokenizer loading: chat_template.jinja, then chat_template.json, then the
"chat_template" key of tokenizer_config.json (a string, or a list of {name, template} where the
entry named "default" is the one used).
"""
from __future__ import annotations

import hashlib
import os
from typing import Optional

from llmdoctor.checkpoint.bounded_io import optional_json_object, read_bytes
from llmdoctor.checkpoint.spec import ChatTemplate
from llmdoctor.errors import InputError

MAX_TEMPLATE_BYTES = 4 * 1024 * 1024


def template_record(text: str, source: str) -> ChatTemplate:
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return ChatTemplate(source=source, sha256=digest, length=len(text), text=text)


def find_chat_template(model_dir: str) -> Optional[ChatTemplate]:
    jinja_path = os.path.join(model_dir, "chat_template.jinja")
    if os.path.lexists(jinja_path):
        raw = read_bytes(jinja_path, MAX_TEMPLATE_BYTES)
        try:
            return template_record(raw.decode("utf-8"), "chat_template.jinja")
        except UnicodeDecodeError as exc:
            raise InputError(f"{jinja_path}: invalid UTF-8 at byte {exc.start}") from None
    for name in ("chat_template.json", "tokenizer_config.json"):
        doc = optional_json_object(os.path.join(model_dir, name))
        if doc is None:
            continue
        text = pick_template(doc.get("chat_template"))
        if text is not None:
            return template_record(text, name)
    return None


def pick_template(value) -> Optional[str]:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        named = {e.get("name"): e.get("template") for e in value if isinstance(e, dict)}
        chosen = named.get("default") or next((t for t in named.values() if isinstance(t, str)), None)
        return chosen if isinstance(chosen, str) else None
    return None


def read_small_text(path: str, limit: int = 1 << 20) -> Optional[str]:
    """A template file named on a command line, when it is a regular file here of at most `limit` bytes."""
    from llmdoctor.safe_io import read_regular
    try:
        return read_regular(path, limit, "template file").decode("utf-8")
    except (InputError, UnicodeDecodeError):
        return None


def reread_model_template(path: Optional[str], sha256: Optional[str]) -> Optional[str]:
    """The JSON document drops the template text; read it again (read-only) when the model
    directory is here and the fingerprint still matches."""
    if not path or not os.path.isdir(path):
        return None
    try:
        found = find_chat_template(path)
    except Exception:          # an unreadable template is "unknown", never a crash of the diagnosis
        return None
    if found is None or found.sha256 != sha256:
        return None
    return found.text
