"""Render a chat template in jinja2's sandbox the way an agent client will use it.

Three renders, each with add_generation_prompt: a `developer` message (what OpenAI-style agents
such as OpenClaw, Codex and Cursor send instead of `system`), a tool definition, and an assistant
turn carrying a tool call followed by the tool's answer. The template is untrusted: it runs only in
ImmutableSandboxedEnvironment, nothing it produces is printed raw, and each render is bounded: `range`
(each, and all of one render's together), string and list repetition, padding widths and `tojson`
indents are capped (BoundedSandbox), the output is cut at MAX_OUTPUT_CHARS, a tracer stops a render
that runs past RENDER_SECONDS, and the process's address space may grow by at most RENDER_MEMORY
while it renders.
"""
from __future__ import annotations

import json
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Optional

MAX_TEMPLATE_CHARS = 1 << 20
MAX_OUTPUT_CHARS = 1 << 20
MAX_ITEMS = 100_000            # range() length, repetition result, padding width
MAX_RANGE_ITEMS = 100_000      # all range() items of one render together: nested loops stop at once
RENDER_SECONDS = 2.0
RENDER_MEMORY = 1 << 30

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


class TemplateLimit(Exception):
    """The template asked for more time, memory or output than a chat template needs."""


def _tojson(value, indent=None, ensure_ascii=False, separators=None, sort_keys=False):
    if isinstance(indent, int) and not 0 <= indent <= 16:
        raise TemplateLimit(f"tojson indent {indent}")
    return json.dumps(value, indent=indent, ensure_ascii=ensure_ascii, separators=separators, sort_keys=sort_keys)


_range_items: ContextVar[int] = ContextVar("range_items", default=0)


def _safe_range(*args):
    r = range(*args)
    if len(r) > MAX_ITEMS:
        raise TemplateLimit(f"range of {len(r)} items")
    total = _range_items.get() + len(r)
    if total > MAX_RANGE_ITEMS:
        raise TemplateLimit(f"ranges of {total} items in one render")
    _range_items.set(total)
    return r


_WIDTH_METHODS = {"center", "ljust", "rjust", "zfill", "expandtabs", "format", "format_map", "join", "replace"}
_BIG_WIDTH = __import__("re").compile(r"[<>^=]?\d{6,}|%\d{6,}|\.\d{6,}")


def _too_big(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > MAX_ITEMS


def _bounded_sandbox():
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class BoundedSandbox(ImmutableSandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**"})

        def call_binop(self, context, operator, left, right):
            if operator == "**" and (abs(right) > 64 if isinstance(right, (int, float)) else False):
                raise TemplateLimit(f"power {right}")
            if operator == "*":
                for seq, n in ((left, right), (right, left)):
                    if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * n > MAX_ITEMS * 10:
                        raise TemplateLimit(f"repetition of {len(seq) * n} items")
            return super().call_binop(context, operator, left, right)

        def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 (jinja2's signature)
            target = getattr(__obj, "__wrapped__", __obj)      # the sandbox wraps str.format
            name = getattr(target, "__name__", "")
            if name in _WIDTH_METHODS and isinstance(getattr(target, "__self__", None), str):
                if any(_too_big(a) for a in list(args) + list(kwargs.values())):
                    raise TemplateLimit(f"str.{name} with a width over {MAX_ITEMS}")
                fmt = target.__self__ if name in ("format", "format_map") else ""
                if _BIG_WIDTH.search(fmt):
                    raise TemplateLimit("a format width over 100000")
            return super().call(__context, __obj, *args, **kwargs)

    return BoundedSandbox


def _guard_filter(env, name: str, width_args: tuple[int, ...]) -> None:
    original = env.filters[name]

    def guarded(*args, **kwargs):
        if any(_too_big(a) for a in list(args[1:]) + list(kwargs.values())):
            raise TemplateLimit(f"{name} with a width over {MAX_ITEMS}")
        if name == "format" and args and isinstance(args[0], str) and _BIG_WIDTH.search(args[0]):
            raise TemplateLimit("a format width over 100000")
        return original(*args, **kwargs)
    guarded.__name__ = name
    env.filters[name] = guarded


def _compile(text: str):
    env = _bounded_sandbox()(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])
    env.filters["tojson"] = _tojson
    for name in ("center", "indent", "wordwrap", "truncate", "format", "batch", "slice"):
        if name in env.filters:
            _guard_filter(env, name, ())
    env.globals["range"] = _safe_range
    env.globals.pop("lipsum", None)
    env.globals["raise_exception"] = _raise_exception
    env.globals["strftime_now"] = lambda fmt: "2026-01-01"
    return env.from_string(text)


def _render(template, **kw) -> str:
    """The rendered prompt, within the time, memory and output bounds."""
    parts, size = [], 0
    _range_items.set(0)
    with _bounded(RENDER_SECONDS, RENDER_MEMORY):
        for chunk in template.generate(bos_token="<s>", eos_token="</s>", add_generation_prompt=True, **kw):
            size += len(chunk)
            if size > MAX_OUTPUT_CHARS:
                raise TemplateLimit(f"output over {MAX_OUTPUT_CHARS} characters")
            parts.append(chunk)
    return "".join(parts)


class _bounded:
    """A time limit by tracing the template's own code (line events in '<template>' frames) and an
    address-space limit for the process while it renders (Linux; elsewhere the caps above remain)."""

    def __init__(self, seconds: float, memory: int):
        self.seconds, self.memory = seconds, memory

    def __enter__(self):
        import sys
        import time
        deadline = time.monotonic() + self.seconds
        count = [0]

        def local(frame, event, arg):
            count[0] += 1
            if count[0] % 512 == 0 and time.monotonic() > deadline:
                raise TemplateLimit(f"rendering took over {self.seconds:g} s")
            return local

        def tracer(frame, event, arg):
            return local if frame.f_code.co_filename == "<template>" else None
        self.old_trace = sys.gettrace()
        sys.settrace(tracer)
        self.old_limit = None
        try:
            import resource
            soft, hard = resource.getrlimit(resource.RLIMIT_AS)
            from llmdoctor.safe_io import address_space_bytes
            used = address_space_bytes()
            limit = used + self.memory
            if hard != resource.RLIM_INFINITY:
                limit = min(limit, hard)
            if soft == resource.RLIM_INFINITY or soft > limit:
                resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
                self.old_limit = (soft, hard)
        except (ImportError, OSError, ValueError):      # no /proc or no RLIMIT_AS: the caps still apply
            pass
        return self

    def __exit__(self, *exc):
        import sys
        sys.settrace(self.old_trace)
        if self.old_limit is not None:
            import resource
            resource.setrlimit(resource.RLIMIT_AS, self.old_limit)
        return False


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
    return _verdicts(template)


_LIMITS = (TemplateLimit, MemoryError, RecursionError)


def _verdicts(template) -> TemplateVerdict:
    try:
        return _checks(template)
    except _LIMITS as exc:
        return TemplateVerdict(None, None, None, None, f"template exceeds what llmdoctor renders: {_why(exc)}")


def _checks(template) -> TemplateVerdict:
    user = {"role": "user", "content": "What is the weather in Paris?"}
    # Baseline: system + user. If this fails, the other verdicts mean nothing.
    try:
        _render(template, messages=[{"role": "system", "content": "You are helpful."}, user])
    except _LIMITS:
        raise
    except Exception as exc:
        return TemplateVerdict(None, None, None, None, f"template fails on a plain system+user chat: {_why(exc)}")

    dev_ok, dev_err = None, None
    try:
        out = _render(template, messages=[{"role": "developer", "content": DEV_MARK}, user])
        dev_ok = DEV_MARK in out
        if not dev_ok:
            dev_err = "the developer message is silently dropped from the prompt"
    except _LIMITS:
        raise
    except Exception as exc:  # untrusted template code: whatever it raises, it rejects this conversation
        dev_ok, dev_err = False, _why(exc)

    tools_ok, problems = None, []
    try:
        out = _render(template, messages=[user], tools=[_TOOL])
        tools_ok = TOOL_NAME in out
    except _LIMITS:
        raise
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
    except _LIMITS:
        raise
    except Exception as exc:  # untrusted template code, as above
        calls_ok = False
        problems.append(f"with a tool call: {_why(exc)}")
    return TemplateVerdict(dev_ok, dev_err, tools_ok, calls_ok, "; ".join(problems) or None)
