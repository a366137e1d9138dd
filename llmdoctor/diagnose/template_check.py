"""Render a chat template in jinja2's sandbox the way an agent client will use it.

Three renders, each with add_generation_prompt: a `developer` message (what OpenAI-style agents
such as OpenClaw, Codex and Cursor send instead of `system`), a tool definition, and an assistant
turn carrying a tool call followed by the tool's answer. The template is untrusted: it runs only in
ImmutableSandboxedEnvironment, with a size cap, and nothing it produces is printed raw.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional

MAX_TEMPLATE_CHARS = 1 << 20
MAX_OUTPUT_CHARS = 1 << 20

DEV_MARK = "llmdoctor-developer-probe"
TOOL_NAME = "llmdoctor_probe_tool"

_TOOL = {"type": "function", "function": {
    "name": TOOL_NAME, "description": "Look up the weather for a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "City name"}},
                   "required": ["city"]}}}


@dataclass
class TemplateVerdict:
    developer_role_ok: Optional[bool]
    developer_role_error: Optional[str]
    tools_ok: Optional[bool]
    tool_calls_ok: Optional[bool]
    error: Optional[str]


class _TemplateRaised(Exception):
    pass


def _raise_exception(message):
    raise _TemplateRaised(str(message))


def _tojson(value, indent=None, ensure_ascii=False, separators=None, sort_keys=False):
    return json.dumps(value, indent=indent, ensure_ascii=ensure_ascii, separators=separators, sort_keys=sort_keys)


def _compile(text: str):
    from jinja2.sandbox import ImmutableSandboxedEnvironment
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=["jinja2.ext.loopcontrols"])
    env.filters["tojson"] = _tojson
    env.globals["raise_exception"] = _raise_exception
    env.globals["strftime_now"] = lambda fmt: "2026-01-01"
    return env.from_string(text)


def _render(template, **kw) -> str:
    out = template.render(bos_token="<s>", eos_token="</s>", add_generation_prompt=True, **kw)
    return out[:MAX_OUTPUT_CHARS]


def _why(exc: Exception) -> str:
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return msg[:200]


def check_template(text: Optional[str]) -> TemplateVerdict:
    if text is None:
        return TemplateVerdict(None, None, None, None, None)
    if len(text) > MAX_TEMPLATE_CHARS:
        return TemplateVerdict(None, None, None, None, f"template is {len(text)} characters, over the {MAX_TEMPLATE_CHARS} checked")
    try:
        template = _compile(text)
    except Exception as exc:                          # a syntax error in untrusted input
        return TemplateVerdict(None, None, None, None, f"template does not parse: {_why(exc)}")
    user = {"role": "user", "content": "What is the weather in Paris?"}
    # Baseline: system + user. If this fails, the other verdicts mean nothing.
    try:
        _render(template, messages=[{"role": "system", "content": "You are helpful."}, user])
    except Exception as exc:
        return TemplateVerdict(None, None, None, None, f"template fails on a plain system+user chat: {_why(exc)}")

    dev_ok, dev_err = None, None
    try:
        out = _render(template, messages=[{"role": "developer", "content": DEV_MARK}, user])
        dev_ok = DEV_MARK in out
        if not dev_ok:
            dev_err = "the developer message is silently dropped from the prompt"
    except Exception as exc:  # untrusted template code: whatever it raises, it rejects this conversation
        dev_ok, dev_err = False, _why(exc)

    tools_ok, problems = None, []
    try:
        out = _render(template, messages=[user], tools=[_TOOL])
        tools_ok = TOOL_NAME in out
    except Exception as exc:  # untrusted template code, as above
        tools_ok = False
        problems.append(f"with a tool definition: {_why(exc)}")

    calls_ok = None
    call = {"id": "call_1", "type": "function", "function": {"name": TOOL_NAME, "arguments": {"city": "Paris"}}}
    try:
        out = _render(template, tools=[_TOOL], messages=[
            user, {"role": "assistant", "content": "", "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "call_1", "name": TOOL_NAME, "content": "sunny"}])
        calls_ok = TOOL_NAME in out and "sunny" in out
    except Exception as exc:  # untrusted template code, as above
        calls_ok = False
        problems.append(f"with a tool call: {_why(exc)}")
    return TemplateVerdict(dev_ok, dev_err, tools_ok, calls_ok, "; ".join(problems) or None)
