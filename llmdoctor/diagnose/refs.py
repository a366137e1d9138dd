"""Which facts a CEL expression reads, found from its tokens, with their positions.

CEL programs only report top-level variable names; the rule checker needs the full member paths
(`machine.gpus[].cc_major`) to check them against the schema and to quote them as evidence. This is a
lexer plus a scan for member chains; comprehension macros (`list.exists(g, g.cc_major < 8)`) bind
their variable to the list's element path. Helper calls `flag("x")` and `env("X")` count as reads of
`command.flags.x` and of the launch environment.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

MACROS = {"all", "exists", "exists_one", "map", "filter"}
KEYWORDS = {"true", "false", "null", "in"}
_TOKEN = re.compile(r"""
    (?P<ws>\s+|//[^\n]*)
  | (?P<str>[rRbB]{0,2}(?:'''(?:\\.|[^\\])*?'''|\"\"\"(?:\\.|[^\\])*?\"\"\"|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"))
  | (?P<num>0[xX][0-9a-fA-F]+[uU]?|\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|\d+(?:[eE][+-]?\d+)?[uU]?)
  | (?P<id>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>&&|\|\||==|!=|<=|>=|[-+*/%!<>?:.,()\[\]{}])
""", re.VERBOSE | re.DOTALL)


@dataclass
class Tok:
    kind: str
    text: str
    pos: int


@dataclass
class Ref:
    path: str           # "machine.gpus[].cc_major", "command.flags.dtype", "env.NCCL_P2P_DISABLE"
    pos: int            # offset of the chain's first character in the expression
    guarded: bool = False   # inside has(...): may be absent


class LexError(ValueError):
    def __init__(self, pos: int, msg: str):
        super().__init__(msg)
        self.pos = pos


def tokenize(src: str) -> list[Tok]:
    out, i = [], 0
    while i < len(src):
        m = _TOKEN.match(src, i)
        if not m:
            raise LexError(i, f"unexpected character {src[i]!r}")
        kind = m.lastgroup
        if kind != "ws":
            out.append(Tok(kind, m.group(), i))
        i = m.end()
    return out


def _unquote(s: str) -> str:
    s = s.lstrip("rRbB")
    q = s[:3] if s[:3] in ("'''", '"""') else s[0]
    return s[len(q):-len(q)]


def _close(toks: list[Tok], i: int) -> int:
    """Index of the bracket closing toks[i]."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    depth, j = 0, i
    while j < len(toks):
        t = toks[j].text if toks[j].kind == "op" else ""
        if t in pairs:
            depth += 1
        elif t in pairs.values():
            depth -= 1
            if depth == 0:
                return j
        j += 1
    return len(toks) - 1


def references(src: str, roots: tuple[str, ...]) -> tuple[list[Ref], list[tuple[int, str]]]:
    """Return (refs, problems). problems: (pos, message) for names that are not facts at all."""
    toks = tokenize(src)
    refs: list[Ref] = []
    problems: list[tuple[int, str]] = []
    scopes: list[tuple[str, str, int]] = []   # (var, path, end token index)
    guard_until = -1
    filtered: dict[int, str] = {}             # closing ")" of list.filter(...) -> the list's path
    i = 0
    while i < len(toks):
        scopes = [s for s in scopes if s[2] >= i]
        t = toks[i]
        prev = toks[i - 1] if i else None
        # a macro called on the result of a call: x.filter(g, ...).map(g, g.name)
        if t.kind == "op" and t.text == "." and prev is not None and prev.text in (")", "]") \
                and i + 4 < len(toks) and toks[i + 1].text in MACROS and toks[i + 2].text == "(" \
                and toks[i + 3].kind == "id" and toks[i + 4].text == ",":
            base = filtered.get(i - 1)
            scopes.append((toks[i + 3].text, base + "[]" if base else "?", _close(toks, i + 2)))
            if toks[i + 1].text == "filter" and base:
                filtered[_close(toks, i + 2)] = base
            i += 1
            continue
        if t.kind != "id" or (prev and prev.kind == "op" and prev.text == ".") or t.text in KEYWORDS:
            i += 1
            continue
        if prev and prev.text == "(" and i >= 3 and toks[i - 2].kind == "id" and toks[i - 2].text in MACROS \
                and toks[i - 3].text == ".":
            i += 1                                             # the macro's variable being declared
            continue
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if nxt and nxt.kind == "op" and nxt.text == "(":           # a global function call
            if t.text == "has":
                guard_until = _close(toks, i + 1)
            if t.text in ("flag", "env") and i + 3 < len(toks) and toks[i + 2].kind == "str" \
                    and toks[i + 3].text == ")":
                name = _unquote(toks[i + 2].text)
                refs.append(Ref(f"command.flags.{name}" if t.text == "flag" else f"env.{name}", t.pos, True))
            i += 1
            continue
        bound = next((s for s in reversed(scopes) if s[0] == t.text), None)
        if bound is None and t.text not in roots:
            problems.append((t.pos, f"unknown name {t.text!r}: facts start with one of {', '.join(roots)}"))
            i += 1
            continue
        path = bound[1] if bound else t.text
        if path.startswith("?"):                      # bound to something we do not track
            i += 1
            continue
        j = i + 1
        while j < len(toks):
            tk = toks[j]
            if tk.kind == "op" and tk.text == "." and j + 1 < len(toks) and toks[j + 1].kind == "id":
                name = toks[j + 1].text
                after = toks[j + 2] if j + 2 < len(toks) else None
                if after is not None and after.kind == "op" and after.text == "(":
                    if name in MACROS and j + 4 < len(toks) and toks[j + 3].kind == "id" \
                            and toks[j + 4].text == ",":
                        scopes.append((toks[j + 3].text, path + "[]", _close(toks, j + 2)))
                        if name == "filter":
                            filtered[_close(toks, j + 2)] = path
                    break                                      # a method: the chain ends here
                path += "." + name
                j += 2
            elif tk.kind == "op" and tk.text == "[":
                end = _close(toks, j)
                inner = toks[j + 1:end]
                if len(inner) == 1 and inner[0].kind == "str":
                    path += "." + _unquote(inner[0].text)
                else:
                    path += "[]"
                j = end + 1
            else:
                break
        refs.append(Ref(path, t.pos, i <= guard_until))
        i = j if j > i + 1 else i + 1
    # a bare bound variable (e.g. `x` in `list.exists(x, x > 1)`) references the element itself
    return refs, problems


def line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


def macro_depth(src: str) -> int:
    """How deeply comprehension macros (all, exists, map, filter, ...) nest in an expression: each level
    multiplies the work, so the rule checker bounds it."""
    toks = tokenize(src)
    depth, deepest, open_macros = 0, 0, []
    for i, t in enumerate(toks):
        if t.kind == "op" and t.text in "([{":
            is_macro = i >= 2 and toks[i - 1].kind == "id" and toks[i - 1].text in MACROS and toks[i - 2].text == "."
            depth += 1
            if is_macro:
                open_macros.append(depth)
                deepest = max(deepest, len(open_macros))
        elif t.kind == "op" and t.text in ")]}":
            if open_macros and open_macros[-1] == depth:
                open_macros.pop()
            depth -= 1
    return deepest
