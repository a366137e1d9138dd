#!/usr/bin/env python3
"""Generate llmdoctor/engines/llamacpp/cli_flags.json from llama.cpp sources.

Static parser for llama.cpp's ``common/arg.cpp`` (``common_params_parser_init``):
every ``add_opt(common_arg(...).set_env(...).set_examples({...}))`` call is
read as C++ text (strings, comments and brackets are tokenised; nothing is
compiled).  Standard library only.

Obtaining the sources
---------------------
The llama.cpp trees come from the sdists of the PyPI package
``llama-cpp-python``, which vendor llama.cpp as the git submodule
``vendor/llama.cpp``; each sdist also ships ``.git/modules/vendor/llama.cpp/HEAD``,
the exact upstream commit.  For example::

    mkdir -p /tmp/llamacpp-work/dl /tmp/llamacpp-work/src
    cd /tmp/llamacpp-work/dl
    for v in 0.3.9 0.3.16 0.3.20 0.3.26 0.3.33 0.3.35 0.3.36; do
        pip download --no-deps --no-binary :all: llama-cpp-python==$v -d .
        # (pip may fail while preparing metadata; then fetch the sdist URL from
        #  https://pypi.org/pypi/llama-cpp-python/json and check its sha256)
    done
    for v in 0.3.9 0.3.16 0.3.20 0.3.26 0.3.33 0.3.35 0.3.36; do
        mkdir -p ../src/$v
        tar -xzf llama_cpp_python-$v.tar.gz -C ../src/$v --strip-components=1
    done

Re-running
----------
::

    S=/tmp/llamacpp-work/src
    python3 tools/engine_flags/gen_llamacpp.py \
        --out llmdoctor/engines/llamacpp/cli_flags.json \
        $S/0.3.9 $S/0.3.16 $S/0.3.20 $S/0.3.26 $S/0.3.33 $S/0.3.35 $S/0.3.36

(llama-cpp-python -> llama.cpp commit: 0.3.9 -> 8733e0cf6, 0.3.16 -> 4227c9be4,
0.3.20 -> f49e91787, 0.3.26 -> 7c158fbb4, 0.3.33 -> 78d2f5246,
0.3.35 -> 4df29be4f, 0.3.36 -> 0c1e57098.)  Only common/arg.cpp,
common/common.h and include/llama.h are read.

Each positional argument is either an unpacked llama-cpp-python sdist (the
script then reads ``vendor/llama.cpp`` and the submodule HEAD) or a plain
llama.cpp checkout (then give ``--commit PATH=SHA`` or it tries ``git
rev-parse``).  ``--artifact PATH=ARTIFACT`` (e.g.
``llama_cpp_python-0.3.36.tar.gz sha256:...``) is recorded in ``sources``;
for an sdist directory the script fills it in itself when the tarball lies in
``<dir>/../../dl/``.  Versions are ordered as given (oldest first); the
version string is the 9-hex-digit llama.cpp commit.

Output semantics
----------------
* ``flags``: every option added with ``add_opt`` in ``common_params_parser_init``
  for any example (program).  ``programs`` lists the programs the option is
  registered for (``server`` = llama-server, ``cli`` = llama-cli,
  ``completion`` = llama-completion, ...; LLAMA_EXAMPLE_COMMON is expanded
  to every example, minus ``set_excludes``, minus ``download`` where that
  program does not inherit common options).  llama-server rejects a flag
  whose span does not list ``server`` with ``error: invalid argument: X``.
  Within one version a dest normally has one span; two spans for the same
  version occur only when arg.cpp defines the name twice for disjoint
  programs (``-np`` under ``if (ex == LLAMA_EXAMPLE_SERVER) {...} else {...}``,
  ``--output-format`` for imatrix and for batched-bench); the one listing
  ``server`` comes first.
* ``dest``: the first ``--long`` name in snake_case (``--ctx-size`` ->
  ``ctx_size``); an option with only short names uses its last name.
* ``names``: positive names in declaration order; for the two-list
  constructor the ``--no-xxx`` names are appended and also listed in
  ``negative_names``.
* ``type``: ``int`` = handler takes ``int`` (parsed with ``std::stoi``) or a
  string handler that parses the whole value with ``std::stoi``/``stol``/``stoul``;
  ``float`` = a string handler that parses it with ``std::stof``/``stod``;
  ``str`` = any other single value (see ``choices``/``special_values``);
  ``bool`` = takes no value (void handler, or the positive/negative pair);
  ``str_str`` = takes two values (``nargs`` 2).
* ``action``: ``store`` (one value), ``store_true`` (no-value flag, void
  handler), ``store_bool`` (pair: positive names -> true, ``negative_names`` ->
  false), ``store2`` (two values).
* ``nargs``: 0 for no-value flags, null for one value, 2 for two values.
* ``choices``: the fixed set the lambda accepts, only where the code makes
  it explicit: ``value == "x"`` comparisons ending in a throw, the
  is_truthy/is_falsey/is_autoy helpers (on/enabled/true/1, off/disabled/
  false/0, auto/-1), ``kv_cache_type_from_str`` (the ``kv_cache_types`` list).
  ``special_values``: words accepted besides a number (``-ngl auto|all``).
* ``default``: read from the help text's ``default: X`` after resolving the
  ``string_format`` arguments against the member initialisers in
  ``common/common.h`` and the LLAMA_EXAMPLE_SERVER overrides at the top of
  ``common_params_parser_init``; ``"<computed>"`` when the help names a default
  that cannot be resolved statically; null when the help names none.
* ``deprecated``: null, or ``{"status": "removed"|"deprecated", "message",
  "source"}``; ``removed`` means the handler throws (``arg_removed``): the
  name is still known but llama-server exits at argument parsing.
* ``value_errors`` (only when present): the format strings the handler
  throws for a bad value (shown as ``error while handling argument "X": MSG``).
* ``env``: the ``.set_env`` name; ``help``: first sentence (<= 160 chars).
* ``extra.line``: per version, the arg.cpp line of the ``add_opt`` call, in
  each span as ``source``.
"""

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys

ARG_FILE = "common/arg.cpp"
TRUTHY = ["on", "enabled", "true", "1"]
FALSEY = ["off", "disabled", "false", "0"]
AUTOY = ["auto", "-1"]

# ---------------------------------------------------------------- C++ lexing


def skip_string(src, i):
    """src[i] is '"' (or the R of a raw string). Return index after literal."""
    if src[i] == "R" and src[i + 1] == '"':
        j = src.index("(", i + 2)
        delim = src[i + 2:j]
        end = src.index(")" + delim + '"', j)
        return end + len(delim) + 2
    return _skip_quoted(src, i, '"')


def skip_char(src, i):
    return _skip_quoted(src, i, "'")


def _skip_quoted(src, i, quote):
    """src[i] opens a literal closed by `quote`; return the index after it, skipping escapes."""
    j = i + 1
    while src[j] != quote:
        j += 2 if src[j] == "\\" else 1
    return j + 1


def is_raw_string_start(src, i):
    if src[i] != "R" or i + 1 >= len(src) or src[i + 1] != '"':
        return False
    prev = src[i - 1] if i else " "
    return not (prev.isalnum() or prev == "_")


def mask_code(src, strings=True):
    """Return a copy of src where string/char literals (unless strings is
    False) and comments are replaced by spaces of equal length (newlines kept)."""
    out = list(src)
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c == "/" and i + 1 < n and src[i + 1] == "/":
            j = src.find("\n", i)
            j = n if j < 0 else j
            for k in range(i, j):
                out[k] = " "
            i = j
        elif c == "/" and i + 1 < n and src[i + 1] == "*":
            j = src.index("*/", i + 2) + 2
            for k in range(i, j):
                if out[k] != "\n":
                    out[k] = " "
            i = j
        elif c == '"' or is_raw_string_start(src, i):
            j = skip_string(src, i)
            if strings:
                for k in range(i, j):
                    if out[k] != "\n":
                        out[k] = " "
            i = j
        elif c == "'":
            # digit separators (1'000) do not occur in arg.cpp
            j = skip_char(src, i)
            if strings:
                for k in range(i, j):
                    out[k] = " "
            i = j
        else:
            i += 1
    return "".join(out)


PAIRS = {"(": ")", "{": "}", "[": "]"}


def match_close(masked, i):
    """masked[i] is an opening bracket; return index of its partner."""
    stack = []
    for j in range(i, len(masked)):
        c = masked[j]
        if c in PAIRS:
            stack.append(PAIRS[c])
        elif c in ")}]":
            if not stack or stack[-1] != c:
                raise ValueError("unbalanced at %d" % j)
            stack.pop()
            if not stack:
                return j
    raise ValueError("no close for %d" % i)


def split_top(src, masked, a, b):
    """Split src[a:b] at top-level commas; return list of (start, end)."""
    parts, depth, start = [], 0, a
    for j in range(a, b):
        c = masked[j]
        if c in "({[":
            depth += 1
        elif c in ")}]":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append((start, j))
            start = j + 1
    if src[start:b].strip():
        parts.append((start, b))
    return parts


def c_unescape(s):
    out, i = [], 0
    esc = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'", "0": "\0", "r": "\r"}
    while i < len(s):
        if s[i] == "\\" and i + 1 < len(s):
            out.append(esc.get(s[i + 1], s[i + 1]))
            i += 2
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


STR_MACROS = {"PRId64": "ld", "PRIu64": "lu", "PRIi64": "ld", "PRId32": "d", "PRIu32": "u"}


def literal_concat(expr):
    """If expr is only adjacent string literals (and PRI macros), return the
    string; else None."""
    e = expr.strip()
    out, i = [], 0
    if not e:
        return None
    while i < len(e):
        c = e[i]
        if c.isspace():
            i += 1
        elif c == '"':
            j = skip_string(e, i)
            out.append(c_unescape(e[i + 1:j - 1]))
            i = j
        elif is_raw_string_start(e, i):
            j = skip_string(e, i)
            k = e.index("(", i)
            out.append(e[k + 1:j - len(e[i + 2:k]) - 2])
            i = j
        else:
            m = re.match(r"[A-Za-z_]\w*", e[i:])
            if m and m.group(0) in STR_MACROS:
                out.append(STR_MACROS[m.group(0)])
                i += m.end()
            else:
                return None
    return "".join(out)


def line_of(src, pos):
    return src.count("\n", 0, pos) + 1


# ------------------------------------------------- common.h default values


class Defaults:
    """Member initialisers of the structs in common/common.h."""

    def __init__(self, root):
        self.structs = {}
        self.macros = {}
        for rel in ("include/llama.h", "common/common.h"):
            p = os.path.join(root, rel)
            if os.path.exists(p):
                for mm in re.finditer(r"^#define\s+(\w+)\s+([^\s/]+)", open(p, encoding="utf-8", errors="replace").read(), re.M):
                    self.macros[mm.group(1)] = mm.group(2)
        for rel in ("common/common.h",):
            p = os.path.join(root, rel)
            if os.path.exists(p):
                self._parse(open(p, encoding="utf-8", errors="replace").read())
        self.overrides = {}
        self.use_overrides = True

    def _parse(self, src):
        masked = mask_code(src)
        for m in re.finditer(r"\bstruct\s+(\w+)\s*(?::[^{;]*)?\{", masked):
            name = m.group(1)
            o = m.end() - 1
            try:
                c = match_close(masked, o)
            except ValueError:
                continue
            members = {}
            depth = 0
            body_src = mask_code(src[o + 1:c], strings=False)
            body_mask = masked[o + 1:c]
            # statements at depth 0 of the struct body
            start = 0
            for j, ch in enumerate(body_mask):
                if ch in "({[":
                    depth += 1
                elif ch in ")}]":
                    depth -= 1
                    if ch == "}" and depth == 0:
                        start = j + 1
                elif ch == ";" and depth == 0:
                    stmt = body_src[start:j]
                    start = j + 1
                    mm = re.match(r"\s*(?:std::)?([\w:<>, ]+?)\s+(\w+)\s*(?:\[[^\]]*\])?\s*(?:=\s*(.+?))?\s*$",
                                  stmt.strip().replace("\n", " "), re.S)
                    if mm and "(" not in (mm.group(1) or ""):
                        typ, mem, init = mm.group(1).strip(), mm.group(2), mm.group(3)
                        if init is None:
                            mb = re.match(r"\s*(?:std::)?([\w:<>, ]+?)\s+(\w+)\s*\{(.*)\}\s*$", stmt.replace("\n", " "))
                            if mb:
                                typ, mem, init = mb.group(1).strip(), mb.group(2), mb.group(3)
                        members[mem] = (typ, init)
            self.structs[name] = members

    def lookup(self, path):
        """path like ['sampling', 'temp'] starting at common_params."""
        if self.use_overrides and tuple(path) in self.overrides:
            return self.overrides[tuple(path)]
        struct = "common_params"
        val = None
        for k, p in enumerate(path):
            mem = self.structs.get(struct, {}).get(p)
            if mem is None:
                return None
            typ, init = mem
            if k == len(path) - 1:
                val = init
            else:
                struct = re.sub(r"^struct\s+", "", typ).split("::")[-1].strip()
        return val


class Unresolved(Exception):
    pass


def c_value(tok, defaults):
    """Evaluate a tiny C++ expression used as a string_format argument."""
    t = tok.strip()
    t = re.sub(r"\.c_str\(\)$", "", t)
    t = re.sub(r"^\((.*)\)$", r"\1", t, flags=re.S).strip()
    s = literal_concat(t)
    if s is not None:
        return s
    if t == "ex":
        return "LLAMA_EXAMPLE_SERVER"  # help texts are evaluated as llama-server prints them
    tm = mask_code(t)  # find the ternary's ? and : outside string literals
    q = tm.find("?")
    col = -1
    if q >= 0:
        col = tm.find(":", q + 1)
        while col >= 0 and (tm[col + 1:col + 2] == ":" or tm[col - 1] == ":"):
            col = tm.find(":", col + 2)
    if q >= 0 and col > q:
        cond, yes, no = t[:q], t[q + 1:col], t[col + 1:]
        cond = cond.strip()
        mc = re.match(r"^(.+?)\s*(==|!=|<=|>=|<|>)\s*(.+)$", cond)
        if mc:
            a, b = c_value(mc.group(1), defaults), c_value(mc.group(3), defaults)
            op = mc.group(2)
            r = {"==": a == b, "!=": a != b, "<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
        else:
            r = bool(c_value(cond, defaults))
        return c_value(yes if r else no, defaults)
    m = re.match(r"^(ggml_type_name|llama_flash_attn_type_name)\((.+)\)$", t)
    if m:
        v = c_value(m.group(2), defaults)
        for pre in ("GGML_TYPE_", "LLAMA_FLASH_ATTN_TYPE_"):
            if isinstance(v, str) and v.startswith(pre):
                v = v[len(pre):].lower()
                return v
        raise Unresolved(t)
    m = re.match(r"^!\s*(.+)$", t)
    if m:
        return not c_value(m.group(1), defaults)
    m = re.match(r"^\(?\s*(?:int|double|float|int32_t|int64_t|uint32_t|long|size_t)\s*\)\s*(.+)$", t)
    if m:
        return c_value(m.group(1), defaults)
    m = re.match(r"^params\.([\w.]+)$", t)
    if m:
        init = defaults.lookup(m.group(1).split("."))
        if init is None:
            raise Unresolved(t)
        return c_value(init, defaults)
    m = re.match(r"^-?\s*(0x[0-9a-fA-F]+|\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+)[fFuUlL]*$", t.replace(" ", ""))
    if m:
        num = t.replace(" ", "")
        if num.lower().startswith(("0x", "-0x")):
            return int(num.rstrip("uUlL"), 16)
        num = num.rstrip("fFuUlL")
        return float(num) if any(ch in num for ch in ".eE") else int(num)
    if t in ("true", "false"):
        return t == "true"
    if t in defaults.macros:
        return c_value(defaults.macros[t], defaults)
    if re.match(r"^[A-Z][A-Z0-9_]+$", t):
        return t  # enum constant
    m = re.match(r"^(-?\d+)\s*\*\s*(\d+)$", t)
    if m:
        return int(m.group(1)) * int(m.group(2))
    raise Unresolved(t)


def c_printf(fmt, args):
    """printf emulation; args may contain Unresolved markers (None)."""
    out, ai = [], 0
    for m in re.finditer(r"%%|%[-+ #0]*\d*(?:\.\d+)?(?:hh|h|ll|l|z|j|t|L)?[diouxXeEfgGcsp]|[^%]+|%", fmt):
        tok = m.group(0)
        if tok == "%%":
            out.append("%")
        elif tok.startswith("%") and len(tok) > 1:
            val = args[ai] if ai < len(args) else None
            ai += 1
            if val is None:
                out.append("<computed>")
                continue
            conv = tok[-1]
            spec = re.sub(r"(hh|h|ll|l|z|j|t|L)(?=[diouxXeEfgGcsp]$)", "", tok)
            try:
                if conv in "diouxX":
                    if isinstance(val, str):
                        out.append("<computed>")
                        continue
                    iv = int(val)
                    if conv in "di" and "l" not in tok and 2 ** 31 <= iv < 2 ** 32:
                        iv -= 2 ** 32  # C int conversion of a uint32 value
                    out.append((spec[:-1] + ("d" if conv == "u" else conv)) % iv)
                elif conv in "eEfgG":
                    out.append(spec % float(val))
                elif conv == "s":
                    out.append(str(val).lower() if isinstance(val, bool) else str(val))
                else:
                    out.append(str(val))
            except (TypeError, ValueError):
                out.append("<computed>")
        else:
            out.append(tok)
    return "".join(out)


def eval_help(expr, defaults):
    """Evaluate a help expression to text (with <computed> placeholders)."""
    e = expr.strip()
    s = literal_concat(e)
    if s is not None:
        return s
    masked = mask_code(e)
    m = re.match(r"^(?:std::)?string_format\s*\(", masked)
    if m:
        o = m.end() - 1
        c = match_close(masked, o)
        parts = split_top(e, masked, o + 1, c)
        fmt = literal_concat(e[parts[0][0]:parts[0][1]])
        if fmt is None:
            return "<computed>"
        vals = []
        for a, b in parts[1:]:
            try:
                vals.append(c_value(e[a:b], defaults))
            except (Unresolved, ValueError, TypeError, IndexError, AttributeError):
                vals.append(None)
        rest = e[c + 1:].strip()
        text = c_printf(fmt, vals)
        if rest.startswith("+"):
            text += eval_help(rest[1:], defaults)
        return text
    # concatenation with +
    pieces = []
    depth, start = 0, 0
    for j, ch in enumerate(masked):
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        elif ch == "+" and depth == 0:
            pieces.append(e[start:j])
            start = j + 1
    pieces.append(e[start:])
    if len(pieces) > 1:
        return "".join(eval_help(p, defaults) for p in pieces)
    m = re.match(r"^std::string\s*\((.*)\)$", e, re.S)
    if m:
        return eval_help(m.group(1), defaults)
    try:
        v = c_value(e, defaults)
        return str(v)
    except (Unresolved, ValueError, TypeError):
        return "<computed>"


# ------------------------------------------------------- arg.cpp structure


def find_function_body(src, masked, signature_re):
    m = re.search(signature_re, masked)
    if not m:
        raise SystemExit("cannot find %s" % signature_re)
    o = masked.index("{", m.end())
    return o, match_close(masked, o)


def parse_condition(cond, all_examples):
    """Return the set of examples for which cond holds, or None if unknown."""
    c = cond.strip()
    ors = [x.strip() for x in c.split("||")]
    res = set()
    for o in ors:
        m = re.match(r"^\(?\s*ex\s*(==|!=)\s*(LLAMA_EXAMPLE_\w+)\s*\)?$", o)
        if not m:
            return None
        if m.group(1) == "==":
            res |= {m.group(2)}
        else:
            res |= set(all_examples) - {m.group(2)}
    return res


def block_conditions(src, masked, a, b, all_examples):
    """For positions in the function body, compute the restricting example
    set of enclosing if/else blocks.  Returns list of (start, end, set|None, text)."""
    blocks = []
    i = a + 1
    last_if = {}  # depth -> cond set of the if just closed at that depth
    stack = []
    while i < b:
        c = masked[i]
        if c == "{":
            # header = text since last ; { }
            k = i - 1
            while k > a and masked[k] not in ";{}":
                k -= 1
            header = masked[k + 1:i].strip()
            cond_set, text = "n/a", None
            mh = re.match(r"^(else\s+)?if\s*\((.*)\)$", header, re.S)
            if mh:
                text = src[k + 1:i].strip()
                cond_set = parse_condition(mh.group(2), all_examples)
                if mh.group(1):
                    prev = last_if.get(len(stack))
                    if cond_set is not None and prev is not None:
                        cond_set = cond_set - prev
                last_if[len(stack)] = cond_set
            elif header == "else":
                text = "else"
                prev = last_if.get(len(stack))
                cond_set = None if prev is None else set(all_examples) - prev
            elif header.startswith("["):  # lambda
                j = match_close(masked, i)
                i = j + 1
                continue
            stack.append((i, cond_set, text))
            i += 1
            continue
        if c == "(":
            # skip whole expressions (add_opt calls, conditions)
            j = match_close(masked, i)
            i = j + 1
            continue
        if c == "}":
            st, cond_set, text = stack.pop()
            if cond_set != "n/a":
                blocks.append((st, i, cond_set, text))
            i += 1
            continue
        i += 1
    return blocks


def parse_examples_list(text):
    return re.findall(r"LLAMA_EXAMPLE_\w+", text)


def lambda_parts(src, masked, a, b):
    """handler expression src[a:b] -> (param_sig, body_text, body_start)."""
    m = re.match(r"\s*\[[^\]]*\]\s*\(", masked[a:b])
    if not m:
        return None, src[a:b], a
    po = a + m.end() - 1
    pc = match_close(masked, po)
    bo = masked.index("{", pc)
    bc = match_close(masked, bo)
    return src[po + 1:pc], src[bo + 1:bc], bo + 1


def value_var(sig):
    ps = [p.strip() for p in sig.split(",")]
    names = []
    for p in ps[1:]:
        m = re.search(r"(\w+)\s*(?:/\*.*\*/)?\s*$", re.sub(r"/\*.*?\*/", "", p))
        names.append(m.group(1) if m else None)
    return names


def analyse_handler(kind, sig, body, body_masked, kv_types):
    """Return dict with type, choices, special_values, deprecated info."""
    info = {"type": None, "choices": None, "special_values": None, "removed": None, "warn_deprecated": None,
            "value_errors": None}
    var = (value_var(sig) or [None])[0] if sig else None
    if kind == "void":
        info["type"] = "bool"
    elif kind == "bool":
        info["type"] = "bool"
    elif kind == "int":
        info["type"] = "int"
    elif kind == "str_str":
        info["type"] = "str_str"
    else:
        info["type"] = "str"
        if var:
            v = re.escape(var)
            if re.search(r"std::sto(?:i|l|ul|ll|ull)\s*\(\s*%s\s*\)" % v, body):
                info["type"] = "int"
            elif re.search(r"std::sto(?:f|d|ld)\s*\(\s*%s\s*\)" % v, body):
                info["type"] = "float"
            lits = re.findall(r"\b%s\s*==\s*\"((?:[^\"\\]|\\.)*)\"" % v, body)
            lits += re.findall(r"\"((?:[^\"\\]|\\.)*)\"\s*==\s*%s\b" % v, body)
            uses_t = re.search(r"is_truthy\s*\(\s*%s\s*\)" % v, body)
            uses_f = re.search(r"is_falsey\s*\(\s*%s\s*\)" % v, body)
            uses_a = re.search(r"is_autoy\s*\(\s*%s\s*\)" % v, body)
            if re.search(r"kv_cache_type_from_str\s*\(\s*%s\s*\)" % v, body):
                info["choices"] = list(kv_types)
            elif re.search(r"parse_bool_value\s*\(\s*%s\s*\)" % v, body):
                info["choices"] = TRUTHY + FALSEY
            elif lits or uses_t or uses_f or uses_a:
                allowed = []
                if uses_t:
                    allowed += TRUTHY
                if uses_f:
                    allowed += FALSEY
                if uses_a:
                    allowed += AUTOY
                for l in lits:
                    l = c_unescape(l)
                    if l not in allowed:
                        allowed.append(l)
                # a final `else { throw ... }` (or an else that throws) makes it a closed set
                closed = re.search(r"else\s*\{?\s*(?:throw\b|arg_removed)", body) is not None
                numeric = info["type"] in ("int", "float")
                if numeric:
                    info["special_values"] = allowed
                elif closed:
                    info["choices"] = allowed
                else:
                    info["special_values"] = allowed
    errs = []
    for mt in re.finditer(r"throw\s+std::\w+\s*\(\s*(?:string_format\s*\(\s*)?((?:\"(?:[^\"\\]|\\.)*\"\s*)+)", body):
        e = literal_concat(mt.group(1))
        if e is not None and e not in errs:
            errs.append(e)
    info["value_errors"] = errs or None
    m = re.search(r"arg_removed\s*\(\s*(\"(?:[^\"\\]|\\.)*\")", body)
    if m:
        info["removed"] = "the argument has been removed. " + c_unescape(m.group(1)[1:-1])
    else:
        m = re.search(r"throw\s+std::\w+\s*\(\s*\"([^\"]*(?:removed|no longer supported)[^\"]*)\"", body, re.I)
        if m and "value" not in m.group(1).lower():
            info["removed"] = c_unescape(m.group(1))
    m = re.search(r"LOG_WRN\s*\(\s*\"(DEPRECATED[^\"]*)\"", body)
    if m:
        info["warn_deprecated"] = c_unescape(m.group(1)).strip()
    return info


def first_sentence(text, limit=160):
    """First line of the help text, cut at the first sentence end ('. '
    before an upper-case letter) and at `limit` characters."""
    t = text.strip().split("\n")[0].strip()
    m = re.match(r"(.+?[.!?])\s+(?=[A-Z])", t)
    s = m.group(1) if m else t
    if len(s) > limit:
        s = s[:limit - 3].rstrip() + "..."
    return s


def parse_default(help_text, typ):
    m = re.search(r"default:\s*([^\n]*)", help_text)
    if not m:
        return None
    raw = m.group(1)
    # cut at the closing paren / comma / semicolon of the "(default: X, ...)" form
    depth, end = 0, len(raw)
    for j, ch in enumerate(raw):
        if ch == "(":
            depth += 1
        elif ch == ")":
            if depth == 0:
                end = j
                break
            depth -= 1
        elif ch in ",;" and depth == 0:
            end = j
            break
    v = raw[:end].strip().strip("'\"")
    if "<computed>" in v:
        return "<computed>"
    if v == "":
        return ""
    if typ == "int":
        try:
            return int(v)
        except ValueError:
            pass
    if typ in ("float", "int"):
        try:
            return float(v)
        except ValueError:
            pass
    if typ == "bool":
        if v in ("true", "enabled", "on", "1"):
            return True
        if v in ("false", "disabled", "off", "0"):
            return False
    return v


def program_name(ex):
    return ex[len("LLAMA_EXAMPLE_"):].lower()


def read_examples_enum(root):
    src = open(os.path.join(root, "common/common.h"), encoding="utf-8", errors="replace").read()
    m = re.search(r"enum\s+llama_example\s*\{(.*?)\}", src, re.S)
    exs = re.findall(r"\b(LLAMA_EXAMPLE_\w+)", re.sub(r"//[^\n]*", "", m.group(1)))
    return [e for e in exs if e not in ("LLAMA_EXAMPLE_COUNT",)]


def read_kv_types(src):
    m = re.search(r"kv_cache_types\s*=\s*\{(.*?)\}", src, re.S)
    if not m:
        return None
    return [t[len("GGML_TYPE_"):].lower() for t in re.findall(r"GGML_TYPE_\w+", m.group(1))]


def parse_version(root):
    path = os.path.join(root, ARG_FILE)
    src = open(path, encoding="utf-8", errors="replace").read()
    masked = mask_code(src)
    defaults = Defaults(root)
    all_examples = read_examples_enum(root)
    kv_types = read_kv_types(src) or []

    a, b = find_function_body(src, masked, r"common_params_context\s+(?:gpt_params_parser_init|common_params_parser_init)\s*\(")
    body_src = src[a:b]

    # server-specific default overrides at the top of the function
    m = re.search(r"ex\s*==\s*LLAMA_EXAMPLE_SERVER\s*\)\s*\{([^{}]*)\}", mask_code(body_src))
    if m:
        blk = body_src[m.start(1):m.end(1)]
        for mm in re.finditer(r"params\.([\w.]+)\s*=\s*([^;]+);", blk):
            defaults.overrides[tuple(mm.group(1).split("."))] = mm.group(2).strip()

    inherit_common_excl = set()
    if re.search(r"inherit_common\s*=\s*ex\s*!=\s*LLAMA_EXAMPLE_DOWNLOAD", masked[a:b]):
        inherit_common_excl.add("LLAMA_EXAMPLE_DOWNLOAD")

    blocks = block_conditions(src, masked, a, b, all_examples)

    options = []
    for m in re.finditer(r"\badd_opt\s*\(\s*common_arg\s*\(", masked[a:b]):
        start = a + m.start()
        o_add = a + m.start() + masked[start:].index("(")
        c_add = match_close(masked, o_add)
        o_arg = a + m.end() - 1
        c_arg = match_close(masked, o_arg)
        parts = split_top(src, masked, o_arg + 1, c_arg)
        chain = mask_code(src[c_arg + 1:c_add], strings=False)
        chain_m = masked[c_arg + 1:c_add]
        texts = [mask_code(src[x:y], strings=False).strip() for x, y in parts]
        names = re.findall(r"\"([^\"]+)\"", texts[0])
        neg = []
        if texts[1].startswith("{"):
            neg = re.findall(r"\"([^\"]+)\"", texts[1])
            kind, hint, hint2, help_e, h = "bool", None, None, texts[2], parts[3]
        elif len(parts) == 3:
            kind, hint, hint2, help_e, h = "void", None, None, texts[1], parts[2]
        elif len(parts) == 4:
            kind, hint, hint2, help_e, h = None, texts[1], None, texts[2], parts[3]
        elif len(parts) == 5:
            kind, hint, hint2, help_e, h = "str_str", texts[1], texts[2], texts[3], parts[4]
        else:
            raise SystemExit("unexpected common_arg arity at %s:%d" % (ARG_FILE, line_of(src, start)))
        sig, body, _ = lambda_parts(src, masked, h[0], h[1])
        body = mask_code(body, strings=False)
        if kind is None:
            vt = (sig or "").split(",")[1] if sig and "," in sig else ""
            if re.search(r"\bint\b", vt):
                kind = "int"
            elif "string" in vt:
                kind = "string"
            else:
                raise SystemExit("unknown handler signature %r at line %d" % (sig, line_of(src, start)))
        info = analyse_handler(kind, sig or "", body, mask_code(body), kv_types)

        env = None
        me = re.search(r"\.set_env\s*\(\s*\"([^\"]+)\"\s*\)", chain)
        if me:
            env = me.group(1)
        elif re.search(r"\.set_env\s*\(", chain_m):
            mm = re.search(r"\.set_env\s*\(\s*(\w+)\s*\)", chain)
            env = mm.group(1) if mm else "<computed>"
        exs = ["LLAMA_EXAMPLE_COMMON"]
        mex = re.search(r"\.set_examples\s*\(", chain_m)
        if mex:
            o = c_arg + 1 + mex.end() - 1
            cc = match_close(masked, o)
            inner = src[o + 1:cc].strip()
            if inner.startswith("{"):
                exs = parse_examples_list(inner)
            else:
                # a named list, e.g. mmproj_examples
                var = inner
                mv = re.search(r"\b%s\s*=\s*\{(.*?)\}" % re.escape(var), src, re.S)
                exs = parse_examples_list(mv.group(1)) if mv else []
        excl = []
        mx = re.search(r"\.set_excludes\s*\(\s*\{([^}]*)\}", chain)
        if mx:
            excl = parse_examples_list(mx.group(1))
        flags_chain = re.findall(r"\.set_(sampling|spec|preset_only)\s*\(\s*\)", chain)

        progs = set()
        for e in exs:
            if e == "LLAMA_EXAMPLE_COMMON":
                progs |= set(x for x in all_examples if x not in inherit_common_excl)
            else:
                progs.add(e)
        progs -= set(excl)
        cond_text = None
        for (bs, be, cset, text) in blocks:
            if bs < start < be:
                cond_text = text
                if cset is not None:
                    progs &= cset
        progs.discard("LLAMA_EXAMPLE_COMMON")

        # the LLAMA_EXAMPLE_SERVER default overrides only show in the server's help
        defaults.use_overrides = "LLAMA_EXAMPLE_SERVER" in progs
        help_text = eval_help(help_e, defaults)
        if env:
            pass  # set_env appends "\n(env: X)" to help; not part of the first sentence
        typ = info["type"]
        longs = [n for n in names if n.startswith("--")]
        dest_name = longs[0] if longs else names[-1]
        dest = dest_name.lstrip("-").replace("-", "_")
        deprecated = None
        if info["removed"]:
            deprecated = {"status": "removed", "message": info["removed"]}
        elif info["warn_deprecated"] or re.search(r"\bDEPRECATED\b|\bdeprecated\b", help_text):
            msg = info["warn_deprecated"] or help_text.strip().split("\n")[0]
            deprecated = {"status": "deprecated", "message": msg}
        if deprecated:
            deprecated["source"] = "%s:%d" % (ARG_FILE, line_of(src, start))
        hint_s = None
        if hint is not None:
            hint_s = literal_concat(hint)
            if hint_s is None:
                hint_s = eval_help(hint, defaults)
        options.append({
            "dest": dest,
            "names": names + neg,
            "negative_names": neg or None,
            "kind": kind,
            "type": typ,
            "value_hint": hint_s,
            "value_hint_2": literal_concat(hint2) if hint2 else None,
            "choices": info["choices"],
            "special_values": info["special_values"],
            "value_errors": info["value_errors"],
            "default": parse_default(help_text, typ),
            "deprecated": deprecated,
            "env": env,
            "programs": sorted(program_name(p) for p in progs),
            "examples_raw": exs,
            "excludes_raw": excl,
            "condition": cond_text,
            "tags": flags_chain or None,
            "help": first_sentence(help_text),
            "line": line_of(src, start),
        })
    parser_info = parse_parser_messages(src)
    return options, parser_info


def find_line(src, needle):
    i = src.find(needle)
    return None if i < 0 else line_of(src, i)


def parse_parser_messages(src):
    out = {}
    for key, needle, rx in (
        ("unknown_flag_message", "error: invalid argument: %s", None),
        ("missing_value_message", "expected value for argument", None),
        ("bad_value_message", "error while handling argument \\\"%s\\\": %s", None),
        ("env_bad_value_message", "error while handling environment variable \\\"%s\\\": %s", None),
    ):
        # search inside common_params_parse_ex
        m = re.search(r"bool\s+(?:gpt|common)_params_parse_ex\s*\(", src)
        start = m.start() if m else 0
        i = src.find(needle, start)
        if i < 0:
            i = src.find(needle)
        if i >= 0:
            out[key] = {"format": c_unescape(needle), "source": "%s:%d" % (ARG_FILE, line_of(src, i))}
    # the full bad-value format string (may span several literals)
    m = re.search(r"\"error while handling argument \\\"%s\\\": %s\\n\\n\"\s*(\"[^\"]*\"\s*)*", src)
    if m:
        out["bad_value_message"]["format"] = literal_concat(m.group(0))
    return out


# -------------------------------------------------------------- main


def git_commit(path):
    try:
        return subprocess.check_output(["git", "-C", path, "rev-parse", "HEAD"], text=True).strip()
    except Exception:
        return None


def resolve_source(arg, commits, artifacts):
    root = arg
    info = {}
    vend = os.path.join(arg, "vendor", "llama.cpp")
    if os.path.isdir(vend):
        root = vend
        head = os.path.join(arg, ".git", "modules", "vendor", "llama.cpp", "HEAD")
        if os.path.exists(head):
            info["commit"] = open(head).read().strip()
        pkg = os.path.basename(os.path.normpath(arg))
        info["llama_cpp_python"] = pkg
        tarball = os.path.join(os.path.dirname(os.path.normpath(arg)), "..", "dl", "llama_cpp_python-%s.tar.gz" % pkg)
        if os.path.exists(tarball):
            h = hashlib.sha256(open(tarball, "rb").read()).hexdigest()
            info["artifact"] = "llama_cpp_python-%s.tar.gz sha256:%s" % (pkg, h)
    if arg in commits:
        info["commit"] = commits[arg]
    if "commit" not in info:
        c = git_commit(root)
        if c:
            info["commit"] = c
    if arg in artifacts:
        info["artifact"] = artifacts[arg]
    if "commit" not in info:
        raise SystemExit("no commit known for %s (use --commit)" % arg)
    return root, info


SPAN_KEYS = ("names", "type", "action", "nargs", "choices", "special_values", "default", "deprecated",
             "env", "programs", "help", "value_hint", "negative_names")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("trees", nargs="+", help="source trees, oldest first")
    ap.add_argument("--out", default="llmdoctor/engines/llamacpp/cli_flags.json")
    ap.add_argument("--commit", action="append", default=[], help="PATH=SHA")
    ap.add_argument("--artifact", action="append", default=[], help="PATH=TEXT")
    args = ap.parse_args()
    commits = dict(x.split("=", 1) for x in args.commit)
    artifacts = dict(x.split("=", 1) for x in args.artifact)

    versions, sources, per_version, parser_msgs, pyver = [], {}, {}, {}, {}
    for t in args.trees:
        root, info = resolve_source(t, commits, artifacts)
        v = info["commit"][:9]
        versions.append(v)
        opts, pinfo = parse_version(root)
        per_version[v] = opts
        parser_msgs[v] = pinfo
        src = {"repo": "ggml-org/llama.cpp", "commit": info["commit"], "files": [ARG_FILE, "common/common.h", "include/llama.h"]}
        if "artifact" in info:
            src["artifact"] = info["artifact"]
        sources[v] = src
        if "llama_cpp_python" in info:
            pyver[v] = info["llama_cpp_python"]
        sys.stderr.write("%s: %d options (%d for llama-server)\n" % (
            v, len(opts), sum(1 for o in opts if "server" in o["programs"])))

    # build spans
    flags = {}
    for v in versions:
        seen = {}
        for o in per_version[v]:
            action = {"void": "store_true", "bool": "store_bool", "str_str": "store2"}.get(o["kind"], "store")
            nargs = {"void": 0, "bool": 0, "str_str": 2}.get(o["kind"])
            spec = {
                "names": o["names"], "type": o["type"], "action": action, "nargs": nargs,
                "choices": o["choices"], "special_values": o["special_values"], "default": o["default"],
                "deprecated": o["deprecated"], "env": o["env"], "programs": o["programs"],
                "help": o["help"], "value_hint": o["value_hint"], "negative_names": o["negative_names"],
            }
            if o["value_errors"]:
                spec["value_errors"] = o["value_errors"]
            if o["value_hint_2"]:
                spec["value_hint_2"] = o["value_hint_2"]
            if o["condition"]:
                spec["condition"] = o["condition"]
            if o["tags"]:
                spec["tags"] = o["tags"]
            dest = o["dest"]
            seen.setdefault(dest, 0)
            seen[dest] += 1
            flags.setdefault(dest, []).append((v, spec, o["line"]))

    out_flags = []
    vidx = {v: i for i, v in enumerate(versions)}
    for dest in sorted(flags):
        spans = []
        # group by identical spec, contiguous versions
        for v, spec, line in flags[dest]:
            key = json.dumps(spec, sort_keys=True)
            merged = False
            for sp in spans:
                if sp["_key"] == key and vidx[sp["to"]] == vidx[v] - 1:
                    sp["to"] = v
                    sp["source"].append("%s@%s:%d" % (ARG_FILE, v, line))
                    merged = True
                    break
            if not merged:
                sp = {"from": v, "to": v, "_key": key}
                sp.update(spec)
                sp["source"] = ["%s@%s:%d" % (ARG_FILE, v, line)]
                spans.append(sp)
        for sp in spans:
            del sp["_key"]
        spans.sort(key=lambda s: (vidx[s["from"]], "server" not in s["programs"]))
        out_flags.append({"dest": dest, "spans": spans})

    # env vars
    envs = {}
    for f in out_flags:
        for sp in f["spans"]:
            for e, neg in ((sp["env"], False),) + (((sp["env"].replace("LLAMA_ARG_", "LLAMA_ARG_NO_", 1), True),)
                                                  if sp["env"] and sp["negative_names"] and sp["env"].startswith("LLAMA_ARG_") else ()):
                if not e:
                    continue
                typ = sp["type"]
                entry = envs.setdefault(e, {"name": e, "versions": set(), "flag": f["dest"], "specs": {}})
                for v in versions[vidx[sp["from"]]:vidx[sp["to"]] + 1]:
                    entry["versions"].add(v)
                    entry["specs"][v] = {
                        "type": "bool_value" if neg or typ == "bool" else typ,
                        "default": None if neg else sp["default"],
                        "help": ("any value set -> same as %s" % sp["negative_names"][-1]) if neg else sp["help"],
                        "negative_of": sp["env"] if neg else None,
                        "programs": sp["programs"],
                    }
    env_out = []
    for name in sorted(envs):
        e = envs[name]
        vs = [v for v in versions if v in e["versions"]]
        spans = []
        for v in vs:
            if spans and vidx[spans[-1]["to"]] == vidx[v] - 1:
                spans[-1]["to"] = v
            else:
                spans.append({"from": v, "to": v})
        newest = e["specs"][vs[-1]]
        item = {"name": name, "type": newest["type"], "default": newest["default"], "spans": spans,
                "flag": e["flag"], "programs": newest["programs"], "help": newest["help"]}
        if newest["negative_of"]:
            item["negative_of"] = newest["negative_of"]
        env_out.append(item)

    newest = versions[-1]
    pm = parser_msgs[newest]
    doc = {
        "engine": "llamacpp",
        "generated_by": "tools/engine_flags/gen_llamacpp.py",
        "program": "llama-server",
        "versions": versions,
        "sources": sources,
        "parser": {
            "style": "llama.cpp common_arg",
            "unknown_flag_message": pm.get("unknown_flag_message", {}).get("format"),
            "unknown_flag_source": pm.get("unknown_flag_message", {}).get("source"),
            "bad_value_message": pm.get("bad_value_message", {}).get("format"),
            "bad_value_source": pm.get("bad_value_message", {}).get("source"),
            "missing_value_message": pm.get("missing_value_message", {}).get("format"),
            "missing_value_source": pm.get("missing_value_message", {}).get("source"),
            "env_bad_value_message": pm.get("env_bad_value_message", {}).get("format"),
            "env_bad_value_source": pm.get("env_bad_value_message", {}).get("source"),
            "per_version": {v: parser_msgs[v] for v in versions},
        },
        "flags": out_flags,
        "env_vars": env_out,
        "extra": {
            "version_order": versions,
            "llama_cpp_python": pyver,
            "flag_counts": {v: {"all_programs": len(per_version[v]),
                                "server": sum(1 for o in per_version[v] if "server" in o["programs"])}
                            for v in versions},
            "server_example": "LLAMA_EXAMPLE_SERVER",
            "programs_note": ("program = LLAMA_EXAMPLE_<NAME> lower-cased: server=llama-server, cli=llama-cli, "
                              "completion=llama-completion; in 8733e0cf6/4227c9be4 llama-cli was LLAMA_EXAMPLE_MAIN "
                              "('main') and there was no 'cli'/'completion'"),
            "parse_notes": [
                "common_params_parse_ex: an argument starting with '--' has '_' replaced by '-' before lookup "
                "(--ctx_size == --ctx-size)",
                "int values go through std::stoi (handler_int): leading whitespace and trailing junk are accepted "
                "('12abc' -> 12, '1e3' -> 1, '4096.5' -> 4096); no digits -> std::invalid_argument whose what() is "
                "'stoi' with libstdc++, out of int range -> std::out_of_range 'stoi'; float values use std::stof "
                "('stof')",
                "bool pairs read env LLAMA_ARG_X with is_truthy/is_falsey (on/enabled/true/1, off/disabled/false/0; "
                "anything else -> 'invalid boolean value'); LLAMA_ARG_NO_X set to any value means false",
                "no-value flags read from env run only when the value is truthy",
                "a flag given twice logs 'DEPRECATED: argument '%s' specified multiple times, use comma-separated "
                "values instead (only last value will be used)' (except --spec-type)",
                "a command-line flag overrides its env var with 'warn: %s environment variable is set, but will be "
                "overwritten by command line argument %s'",
            ],
        },
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as fh:
        fh.write(dump(doc))


def dump(doc):
    """indent=1 JSON, except that each flag span and each env var is one line."""
    one = lambda o: json.dumps(o, ensure_ascii=False, sort_keys=False)
    out = ["{"]
    keys = list(doc)
    for n, k in enumerate(keys):
        comma = "," if n < len(keys) - 1 else ""
        if k == "flags":
            out.append(' "flags": [')
            for i, f in enumerate(doc[k]):
                out.append('  {"dest": %s, "spans": [' % one(f["dest"]))
                for j, sp in enumerate(f["spans"]):
                    out.append("   " + one(sp) + ("," if j < len(f["spans"]) - 1 else ""))
                out.append("  ]}" + ("," if i < len(doc[k]) - 1 else ""))
            out.append(" ]" + comma)
        elif k == "env_vars":
            out.append(' "env_vars": [')
            for i, e in enumerate(doc[k]):
                out.append("  " + one(e) + ("," if i < len(doc[k]) - 1 else ""))
            out.append(" ]" + comma)
        else:
            body = json.dumps(doc[k], indent=1, ensure_ascii=False).replace("\n", "\n ")
            out.append(" %s: %s%s" % (one(k), body, comma))
    out.append("}")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
