#!/usr/bin/env python3
"""Generate llmdoctor/engines/vllm/cli_flags.json from vLLM's own source, statically.

Nothing from vLLM is imported: every source file is read with ``ast`` and the
parts of vLLM that build the ``vllm serve`` argument parser are interpreted.

How to obtain the sources
-------------------------
One directory per version, each holding the ``vllm/`` package of that release.
The sdists on PyPI are enough (they carry ``vllm/_version.py`` with the commit id
from 0.10 on).  ``pip download`` of the sdist tries to build metadata and fails
(no torch); take the file URL from ``pip download -vv`` ("Found link ...") and
fetch that file, or use the wheel::

    mkdir -p /tmp/vllm-work/dl /tmp/vllm-work/src && cd /tmp/vllm-work
    pip download -vv --no-deps --no-binary :all: "vllm==99.0" -d dl 2>&1 \
      | grep -oE "https://files.pythonhosted.org/\\S+/vllm-[0-9.]+\\.tar\\.gz" > urls.txt
    for v in 0.8.5 0.9.2 ...; do
      (cd dl && curl -sSLO "$(grep "/vllm-$v.tar.gz" ../urls.txt)")
      tar -xzf dl/vllm-$v.tar.gz -C src --wildcards "vllm-$v/vllm/*.py" "vllm-$v/PKG-INFO"
    done

Then run (from the repository root)::

    python tools/engine_flags/gen_vllm.py --out llmdoctor/engines/vllm/cli_flags.json \
        /tmp/vllm-work/src/vllm-0.8.5 /tmp/vllm-work/src/vllm-0.9.2 ...

Each argument is a source tree; its version is read from ``PKG-INFO`` (or from the
directory name ``vllm-X.Y.Z``).  ``--artifacts FILE`` may give a ``sha256sum``
listing of the downloaded sdists so that the "sources" entry names them.

What is interpreted
-------------------
``vllm serve`` builds its parser in ``ServeSubcommand.subparser_init``
(vllm/entrypoints/cli/serve.py) -> ``make_arg_parser`` (the OpenAI frontend's
cli_args.py) -> ``FrontendArgs.add_cli_args`` (from 0.10) and
``AsyncEngineArgs.add_cli_args`` -> ``EngineArgs.add_cli_args``
(vllm/engine/arg_utils.py).  The generator walks those function bodies: each
``add_argument`` call, each ``get_kwargs(SomeConfig)`` table and every later edit
of it (``[...]["type"] = ...``, ``del``, ``.remove``, ``+=``), loops over literal
lists and over ``frontend_kwargs.items()``, and classmethod/super() calls.
``get_kwargs``/``_compute_kwargs`` is emulated per version: the dataclass fields
are read from the config classes (inherited fields, ``field()``/pydantic
``Field()`` defaults, attribute docstrings), their annotations are resolved
through imports and type aliases to the same type-hint sets vLLM computes, and
the branch order of that version's ``_compute_kwargs`` (found by looking at its
source) decides type / action / nargs / choices.  Flags that a platform plugin
adds at run time (``current_platform.pre_register_and_update``) are not seen;
for CUDA that hook adds nothing.

Field meanings in the output
----------------------------
``names``   every option string that reaches the dest, including the ``--no-X``
            forms of BooleanOptionalAction and, from the version whose
            FlexibleArgumentParser registers ``EnableDisableAction``, the
            ``--enable-X``/``--disable-X`` inverse.  ``-h``/``--help`` and the
            positional ``model_tag`` (names ``["model_tag"]``) are included.
``type``    how the value string is converted:
            int / float / str  -- Python int()/float()/str;
            bool     -- takes no value (store_true/store_false/BooleanOptionalAction);
            pybool   -- ``type=bool``: any non-empty string is True;
            enum     -- value must be one of ``choices`` (after conversion);
            human_int -- vllm's human_readable_int: plain int or 1k/1K/25.6k/2M/1G...
                       (lower-case = 10^3.., upper-case = 2^10.., no decimals with
                       upper-case);
            human_int_or_auto -- as human_int, plus "auto" or -1 meaning -1;
            json     -- json.loads (or a config dataclass validated from JSON);
                       dotted sub-keys ``--x.key value`` are also accepted;
            json_or_str -- vllm's union_dict_and_str: JSON if it looks like an
                       object ``{...}``, else the string;
            custom:NAME -- some other callable (a lambda, a from_cli method...).
``none_ok`` true when the converter is vllm's ``optional_type``: "" and "None"
            become null.  (Before 0.31, for flags with choices, that null is then
            refused by argparse as an invalid choice because "None" was appended
            to choices as a string; we leave "None" out of choices there.)
``const``   the value a bare flag stores when ``nargs`` is "?".
``action``  argparse action name; a custom Action class is named by its class
            name and takes values per ``nargs`` (null = exactly one).
``nargs``   argparse nargs ("+", "?", "*", an int) or null (one value).
``choices`` the strings argparse accepts, when it enforces choices; null when
            the parser only shows a metavar (vLLM uses a metavar, not choices,
            when a Literal is unioned with str).
``default`` JSON value argparse stores when the flag is absent; "<computed>" when
            it is built at run time (an env var, a config object, a platform
            query); null for None or argparse.SUPPRESS.
``deprecated`` the text the engine declares: its help text when the flag is
            registered with ``deprecated=True``, a Deprecated* action, or help
            that says "deprecated"; else null.
``env``     the vLLM env var that the default is read from (``envs.X``), else null.
``note``    (rare) a caveat, e.g. choices that depend on hash order at run time.


Checked against the real parser
-------------------------------
For 0.8.5, 0.10.2, 0.21.0 and 0.33.0 the output was compared with the live
``ServeSubcommand().subparser_init()`` parser of the installed wheel (CPU platform, no
GPU): the same dests, option strings, nargs, choices, defaults and converters, except
(a) 0.33.0 hides the ``--no-enable-x``/``--no-disable-x`` strings from ``option_strings``
while still accepting them (we list them), (b) ``--mm-processor-device`` choices name the
platform's device type (we assume CUDA: "cuda"), (c) 0.8.5 ``--guided-decoding-backend``
whose choices depend on set/hash order (see its ``note``).
"""

from __future__ import annotations

import argparse
import ast
import itertools
import json
import os
import re
import sys
from pathlib import Path

try:
    from packaging.version import Version
except ImportError:  # pragma: no cover
    Version = None

# ----------------------------------------------------------------------------
# small value types


class Unknown:
    def __init__(self, text=""):
        self.text = text

    def __repr__(self):
        return f"Unknown({self.text!r})"


class ClassRef:
    def __init__(self, src, mod, node):
        self.src, self.mod, self.node = src, mod, node

    @property
    def name(self):
        return self.node.name

    def __repr__(self):
        return f"ClassRef({self.mod}.{self.node.name})"


class FuncRef:
    def __init__(self, src, mod, node, cls=None, owner=None):
        self.src, self.mod, self.node, self.cls, self.owner = src, mod, node, cls, owner

    @property
    def name(self):
        return self.node.name


class ModRef:
    def __init__(self, name):
        self.name = name


class TypeFn:
    """An argparse ``type=`` converter."""

    def __init__(self, kind, none_ok=False, detail=None):
        self.kind, self.none_ok, self.detail = kind, none_ok, detail

    def __repr__(self):
        return f"TypeFn({self.kind},{self.none_ok})"


class ActionRef:
    def __init__(self, name):
        self.name = name


class Parser:
    def __init__(self):
        self.actions = []  # list of dict


class Group:
    def __init__(self, parser, title=None):
        self.parser, self.title = parser, title


class Subparsers:
    def __init__(self, parser):
        self.parser = parser


class Opaque:
    """Something whose value does not matter (e.g. current_platform)."""

    def __init__(self, text):
        self.text = text


SUPPRESS = "==SUPPRESS=="
COMPUTED = "<computed>"

# ----------------------------------------------------------------------------
# source tree with module symbol tables


class Source:
    def __init__(self, root: Path, version: str):
        self.root = Path(root)
        self.version = version
        self._mods = {}
        self.files_read = set()
        self._fields_cache = {}
        self.features = {}

    def path_of(self, mod):
        p = self.root / (mod.replace(".", "/") + ".py")
        if p.exists():
            return p
        p = self.root / mod.replace(".", "/") / "__init__.py"
        if p.exists():
            return p
        return None

    def module(self, mod):
        if mod in self._mods:
            return self._mods[mod]
        p = self.path_of(mod)
        if p is None:
            self._mods[mod] = None
            return None
        text = p.read_text(encoding="utf-8")
        tree = ast.parse(text)
        syms = {}
        stars = []
        ispkg = p.name == "__init__.py"

        def absmod(node):
            if node.level:
                base = mod.split(".")
                if not ispkg:
                    base = base[:-1]
                base = base[: len(base) - (node.level - 1)]
                return ".".join(base + ([node.module] if node.module else []))
            return node.module

        def collect(stmts):
            for st in stmts:
                if isinstance(st, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                    syms[st.name] = ("def", st)
                elif isinstance(st, ast.Assign):
                    for t in st.targets:
                        if isinstance(t, ast.Name):
                            syms[t.id] = ("expr", st.value)
                elif isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name):
                    if st.value is not None:
                        syms[st.target.id] = ("expr", st.value)
                    elif st.target.id not in syms:
                        syms[st.target.id] = ("annot", st.annotation)
                elif isinstance(st, ast.ImportFrom):
                    am = absmod(st)
                    for a in st.names:
                        if a.name == "*":
                            stars.append(am)
                            continue
                        syms.setdefault(a.asname or a.name, ("from", am, a.name))
                elif isinstance(st, ast.Import):
                    for a in st.names:
                        if a.asname:
                            syms.setdefault(a.asname, ("import", a.name))
                        else:
                            top = a.name.split(".")[0]
                            syms.setdefault(top, ("import", top))
                elif isinstance(st, ast.If):
                    if "TYPE_CHECKING" in ast.unparse(st.test):
                        collect(st.orelse)  # what exists at run time
                        tc.append(st.body)
                    else:
                        collect(st.body)
                        collect(st.orelse)
                elif isinstance(st, ast.Try):
                    collect(st.body)
                    for h in st.handlers:
                        collect(h.body)

        tc = []
        collect(tree.body)
        # names only imported under TYPE_CHECKING: keep them resolvable (annotation strings)
        for body in tc:
            before = dict(syms)
            collect(body)
            for k, v in before.items():
                syms[k] = v
        # lazy re-exports of the kind  __getattr__ + {"Name": "module"} tables
        for st in tree.body:
            if isinstance(st, (ast.Assign, ast.AnnAssign)):
                val = st.value
                if isinstance(val, ast.Dict) and val.keys and all(
                    isinstance(k, ast.Constant) and isinstance(k.value, str) for k in val.keys
                ):
                    for k, v in zip(val.keys, val.values):
                        target = None
                        if isinstance(v, ast.Constant) and isinstance(v.value, str) and v.value.startswith("vllm"):
                            target = (v.value, k.value)
                        elif isinstance(v, ast.Tuple) and len(v.elts) == 2 and all(
                            isinstance(e, ast.Constant) and isinstance(e.value, str) for e in v.elts
                        ) and v.elts[0].value.startswith("vllm"):
                            target = (v.elts[0].value, v.elts[1].value)
                        if target and k.value not in syms:
                            syms[k.value] = ("from", target[0], target[1])
        m = {"name": mod, "path": p, "tree": tree, "syms": syms, "text": text, "stars": stars}
        self._mods[mod] = m
        return m

    def rel(self, mod):
        p = self.path_of(mod)
        return str(p.relative_to(self.root)) if p else mod

    def lookup(self, mod, name, depth=0):
        """-> ("def", mod, node) | ("expr", mod, node) | ("annot", mod, node) | ("module", name) | None"""
        if depth > 30:
            return None
        m = self.module(mod)
        if m is None:
            return None
        self.files_read.add(self.rel(mod))
        s = m["syms"].get(name)
        if s is None:
            for sm in m["stars"]:
                if sm and sm != mod and self.path_of(sm):
                    r = self.lookup(sm, name, depth + 1)
                    if r is not None and r[0] != "module":
                        return r
            # maybe a submodule of a package
            if self.path_of(mod + "." + name):
                return ("module", mod + "." + name)
            return None
        if s[0] in ("def", "expr", "annot"):
            return (s[0], mod, s[1])
        if s[0] == "from":
            src_mod, src_name = s[1], s[2]
            if src_mod and self.path_of(src_mod + "." + src_name) and src_name not in (
                (self.module(src_mod) or {"syms": {}})["syms"]
            ):
                return ("module", src_mod + "." + src_name)
            if src_mod is None or self.path_of(src_mod) is None:
                return ("external", f"{src_mod}.{src_name}")
            return self.lookup(src_mod, src_name, depth + 1)
        if s[0] == "import":
            if self.path_of(s[1]):
                return ("module", s[1])
            return ("external", s[1])
        return None


BUILTIN_TYPES = {"bool", "int", "float", "str", "dict", "list", "tuple", "set", "bytes", "frozenset"}
TYPING_GENERICS = {
    "List": "list", "Dict": "dict", "Tuple": "tuple", "Set": "set", "FrozenSet": "frozenset",
    "Sequence": "Sequence", "Mapping": "Mapping", "Iterable": "Iterable",
}

# ----------------------------------------------------------------------------
# type annotations -> type-hint atoms
#   ("b", name)        builtin class (bool/int/float/str/dict/list/tuple/set/NoneType)
#   ("g", origin, [types])  a subscripted generic; origin a builtin name or other
#   ("lit", [values])  typing.Literal
#   ("dc", ClassRef)   a dataclass
#   ("cls", name, dictsub)  any other (non-builtin) class
#   ("ell",)           Ellipsis inside tuple[...]
#   ("U", [types])     union (flattened by hints())
#   ("ann", type)      Annotated


def is_dataclass_cls(cref, seen=None):
    seen = seen or set()
    node = cref.node
    for d in node.decorator_list:
        t = d.func if isinstance(d, ast.Call) else d
        name = ast.unparse(t)
        if name.split(".")[-1] in ("dataclass", "config"):
            return True
    for b in node.bases:
        r = eval_expr(cref.src, cref.mod, b, {})
        if isinstance(r, ClassRef) and id(r.node) not in seen:
            seen.add(id(r.node))
            if is_dataclass_cls(r, seen):
                return True
    return False


def class_bases(cref):
    out = []
    for b in cref.node.bases:
        bb = b.value if isinstance(b, ast.Subscript) else b
        out.append((ast.unparse(bb), eval_expr(cref.src, cref.mod, bb, {})))
    return out


def is_dict_subclass(cref, depth=0):
    if depth > 10:
        return False
    for text, r in class_bases(cref):
        if text.split(".")[-1] == "TypedDict":
            return False
        if text in ("dict", "Dict", "typing.Dict"):
            return True
        if isinstance(r, ClassRef) and is_dict_subclass(r, depth + 1):
            return True
    return False


def is_typeddict(cref, depth=0):
    for text, r in class_bases(cref):
        if text.split(".")[-1] == "TypedDict":
            return True
        if isinstance(r, ClassRef) and depth < 10 and is_typeddict(r, depth + 1):
            return True
    return False


def tev(src, mod, node, depth=0):
    """Evaluate an annotation expression to a type tree."""
    if depth > 40:
        return ("cls", "?", False)
    if node is None:
        return ("cls", "?", False)
    if isinstance(node, ast.Constant):
        if node.value is None:
            return ("b", "NoneType")
        if node.value is Ellipsis:
            return ("ell",)
        if isinstance(node.value, str):
            try:
                return tev(src, mod, ast.parse(node.value, mode="eval").body, depth + 1)
            except SyntaxError:
                return ("cls", node.value, False)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return ("U", [tev(src, mod, node.left, depth + 1), tev(src, mod, node.right, depth + 1)])
    if isinstance(node, ast.Subscript):
        base = node.value
        bname = ast.unparse(base).split(".")[-1]
        sl = node.slice
        elts = list(sl.elts) if isinstance(sl, ast.Tuple) else [sl]
        if bname == "Literal":
            vals = []
            for e in elts:
                if isinstance(e, ast.Constant):
                    vals.append(e.value)
                    continue
                sub = tev(src, mod, e, depth + 1)
                subs = hints(sub)
                if subs and all(x[0] == "lit" for x in subs):  # Literal[OtherLiteral, ...]
                    for x in subs:
                        vals.extend(x[1])
                    continue
                v = eval_expr(src, mod, e, {})
                if isinstance(v, tuple) and v[:1] == ("enum",):
                    v = v[3]
                if isinstance(v, list):
                    vals.extend(v)
                else:
                    vals.append(v)
            return ("lit", vals)
        if bname == "Optional":
            return ("U", [tev(src, mod, elts[0], depth + 1), ("b", "NoneType")])
        if bname == "Union":
            return ("U", [tev(src, mod, e, depth + 1) for e in elts])
        if bname in ("Annotated", "SkipValidation"):  # pydantic SkipValidation[X] is Annotated[X, ...]
            return ("ann", tev(src, mod, elts[0], depth + 1))
        if bname in ("ClassVar", "InitVar", "Final"):
            return ("special", bname)
        origin = bname
        if bname in TYPING_GENERICS:
            origin = TYPING_GENERICS[bname]
        elif bname not in BUILTIN_TYPES:
            r = resolve_type_name(src, mod, base, depth)
            if r[0] == "dc":
                return r  # Generic dataclass subscripted
            origin = "other:" + bname
        return ("g", origin, [tev(src, mod, e, depth + 1) for e in elts])
    if isinstance(node, (ast.Name, ast.Attribute)):
        return resolve_type_name(src, mod, node, depth)
    return ("cls", ast.unparse(node), False)


def resolve_type_name(src, mod, node, depth):
    text = ast.unparse(node)
    last = text.split(".")[-1]
    if isinstance(node, ast.Name) and node.id in BUILTIN_TYPES:
        sym = src.module(mod)["syms"].get(node.id) if src.module(mod) else None
        if sym is None:
            return ("b", node.id)
    if text in ("None", "NoneType", "type(None)"):
        return ("b", "NoneType")
    if last in TYPING_GENERICS and text.startswith(("typing", "List", "Dict", "Tuple", "Set")):
        return ("b", TYPING_GENERICS[last])
    if last in ("Any",):
        return ("cls", "Any", False)
    if isinstance(node, ast.Name):
        r = src.lookup(mod, node.id)
    else:
        # attribute: resolve the base module
        base = eval_expr(src, mod, node.value, {})
        if isinstance(base, ModRef):
            r = src.lookup(base.name, node.attr)
        else:
            r = None
    if r is None or r[0] in ("external", "module"):
        return ("cls", text, False)
    kind, m2, n2 = r
    if kind == "def" and isinstance(n2, ast.ClassDef):
        c = ClassRef(src, m2, n2)
        if is_dataclass_cls(c):
            return ("dc", c)
        if is_dict_subclass(c) and not is_typeddict(c):
            return ("cls", n2.name, True)
        return ("cls", n2.name, False)
    if kind == "expr":
        # a type alias  X = Literal[...] / X: TypeAlias = ... / X = TypeVar(...)
        if isinstance(n2, ast.Call):
            fname = ast.unparse(n2.func).split(".")[-1]
            if fname == "TypeVar":
                return ("cls", text, False)
            if fname == "NewType":
                return tev(src, m2, n2.args[1], depth + 1)
        return tev(src, m2, n2, depth + 1)
    return ("cls", text, False)


def hints(t):
    """vllm's get_type_hints(): flatten Union/Optional/Annotated into a list of atoms."""
    out = []
    if t[0] == "U":
        for x in t[1]:
            out.extend(hints(x))
    elif t[0] == "ann":
        out.extend(hints(t[1]))
    else:
        out.append(t)
    # dedupe keeping order
    res, seen = [], set()
    for x in out:
        k = repr_t(x)
        if k not in seen:
            seen.add(k)
            res.append(x)
    return res


def repr_t(t):
    if t[0] == "dc":
        return "dc:" + t[1].name
    if t[0] in ("g",):
        return f"g:{t[1]}[{','.join(repr_t(a) for a in t[2])}]"
    if t[0] == "U":
        return "U[" + ",".join(repr_t(a) for a in t[1]) + "]"
    if t[0] == "ann":
        return "ann:" + repr_t(t[1])
    if t[0] == "lit":
        return "lit:" + repr(t[1])
    return ":".join(str(x) for x in t)


def is_type(t, name):
    """vllm's is_type: th is X or get_origin(th) is X."""
    if name == "Literal":
        return t[0] == "lit"
    if t[0] == "b":
        return t[1] == name
    if t[0] == "g":
        return t[1] == name
    return False


def contains(ths, name):
    return any(is_type(t, name) for t in ths)


def get_type(ths, name):
    return next((t for t in ths if is_type(t, name)), None)


def is_not_builtin(t):
    if t[0] in ("cls", "dc", "lit"):
        return True
    if t[0] == "g":
        return not t[1] in BUILTIN_TYPES
    return False


# ----------------------------------------------------------------------------
# expression evaluation (constants, names, small builtins)

BUILTIN_VALUES = {"None": None, "True": True, "False": False}


def eval_expr(src, mod, node, env, depth=0):
    if depth > 60:
        return Unknown(ast.unparse(node))
    ev = lambda n: eval_expr(src, mod, n, env, depth + 1)  # noqa: E731
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in env:
            return env[node.id]
        if node.id == "current_platform":
            return Opaque("current_platform")
        if node.id in BUILTIN_VALUES:
            return BUILTIN_VALUES[node.id]
        r = src.lookup(mod, node.id) if src.module(mod) else None
        if r is None:
            if node.id in ("str", "int", "float", "bool", "dict", "list", "tuple", "set", "sorted", "len",
                           "get_args", "range", "type"):
                return ("builtin", node.id)
            return Unknown(node.id)
        return from_lookup(src, r, node.id, depth)
    if isinstance(node, ast.Attribute):
        if ast.unparse(node) == "argparse.SUPPRESS":
            return SUPPRESS
        if ast.unparse(node) in ("argparse.BooleanOptionalAction", "BooleanOptionalAction"):
            return ActionRef("BooleanOptionalAction")
        if ast.unparse(node) == "json.loads":
            return TypeFn("json")
        if ast.unparse(node) == "ssl.CERT_NONE":
            return 0
        base = ev(node.value)
        if isinstance(base, ModRef):
            if base.name == "vllm.envs":
                return ("env", node.attr)
            r = src.lookup(base.name, node.attr)
            if r is None:
                return Unknown(ast.unparse(node))
            return from_lookup(src, r, node.attr, depth)
        if isinstance(base, tuple) and base[:1] == ("external",) and base[1].endswith("envs"):
            return ("env", node.attr)
        if isinstance(base, ClassRef):
            return class_attr(base, node.attr, depth)
        if isinstance(base, tuple) and base[:1] == ("enum",) and node.attr in ("value", "name"):
            return base[3] if node.attr == "value" else base[2]
        if isinstance(base, dict) and node.attr in ("items", "keys", "values"):
            return ("method", base, node.attr)
        if isinstance(base, str) and node.attr in ("replace", "lower", "join", "format", "upper", "strip"):
            return ("method", base, node.attr)
        if isinstance(base, list) and node.attr in ("remove", "append", "extend", "copy"):
            return ("method", base, node.attr)
        if isinstance(base, Parser) or isinstance(base, Group) or isinstance(base, Subparsers):
            return ("method", base, node.attr)
        if isinstance(base, dict) and node.attr in ("pop", "get"):
            return ("method", base, node.attr)
        if isinstance(base, FuncRef) and node.attr == "__name__":
            return base.name
        if isinstance(base, Opaque) and base.text.endswith("current_platform") and node.attr == "device_type":
            return "cuda"
        return Unknown(ast.unparse(node))
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        out = []
        for e in node.elts:
            if isinstance(e, ast.Starred):
                v = ev(e.value)
                if isinstance(v, (list, tuple)):
                    out.extend(v)
                else:
                    return Unknown(ast.unparse(node))
            else:
                out.append(ev(e))
        return tuple(out) if isinstance(node, ast.Tuple) else out
    if isinstance(node, ast.Dict):
        d = {}
        for k, v in zip(node.keys, node.values):
            if k is None:
                vv = ev(v)
                if isinstance(vv, dict):
                    d.update(vv)
                else:
                    return Unknown(ast.unparse(node))
            else:
                d[ev(k)] = ev(v)
        return d
    if isinstance(node, ast.UnaryOp):
        v = ev(node.operand)
        if isinstance(node.op, ast.USub) and isinstance(v, (int, float)):
            return -v
        if isinstance(node.op, ast.Not) and isinstance(v, (bool, int)):
            return not v
        return Unknown(ast.unparse(node))
    if isinstance(node, ast.BinOp):
        a, b = ev(node.left), ev(node.right)
        try:
            if isinstance(node.op, ast.Add) and type(a) in (str, int, float, list) and type(b) == type(a):
                return a + b
            if isinstance(a, (int, float)) and isinstance(b, (int, float)):
                if isinstance(node.op, ast.Mult):
                    return a * b
                if isinstance(node.op, ast.Pow):
                    return a ** b
                if isinstance(node.op, ast.Sub):
                    return a - b
                if isinstance(node.op, ast.Add):
                    return a + b
                if isinstance(node.op, ast.FloorDiv):
                    return a // b
                if isinstance(node.op, ast.Div):
                    return a / b
                if isinstance(node.op, ast.LShift):
                    return a << b
            if isinstance(node.op, ast.Mod) and isinstance(a, str):
                return a % b
        except Exception:
            pass
        return Unknown(ast.unparse(node))
    if isinstance(node, ast.JoinedStr):
        parts = []
        for v in node.values:
            if isinstance(v, ast.Constant):
                parts.append(str(v.value))
            else:
                x = ev(v.value)
                if isinstance(x, (str, int, float)):
                    parts.append(str(x))
                else:
                    parts.append("{" + ast.unparse(v.value) + "}")
        return "".join(parts)
    if isinstance(node, ast.Subscript):
        base = ev(node.value)
        key = ev(node.slice)
        if isinstance(base, dict) and not isinstance(key, Unknown):
            return base.get(key, Unknown(ast.unparse(node)))
        if isinstance(base, (list, tuple)) and isinstance(key, int):
            return base[key]
        return Unknown(ast.unparse(node))
    if isinstance(node, ast.Call):
        return eval_call(src, mod, node, env, depth)
    if isinstance(node, ast.Lambda):
        return ("lambda", src, mod, node)
    if isinstance(node, ast.ListComp):
        return eval_listcomp(src, mod, node, env, depth)
    if isinstance(node, ast.IfExp):
        c = ev(node.test)
        if isinstance(c, Unknown) or isinstance(c, Opaque):
            return ev(node.body)
        return ev(node.body) if c else ev(node.orelse)
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        a, b = ev(node.left), ev(node.comparators[0])
        op = node.ops[0]
        try:
            if isinstance(op, ast.In) and isinstance(b, (dict, list, tuple, set, str)):
                return a in b
            if isinstance(op, ast.NotIn) and isinstance(b, (dict, list, tuple, set, str)):
                return a not in b
            if isinstance(op, ast.Eq) and not isinstance(a, Unknown) and not isinstance(b, Unknown):
                return a == b
        except TypeError:
            pass
        return Unknown(ast.unparse(node))
    if isinstance(node, ast.BoolOp):
        vals = [ev(v) for v in node.values]
        if any(isinstance(v, (Unknown, Opaque)) for v in vals):
            return Unknown(ast.unparse(node))
        return all(vals) if isinstance(node.op, ast.And) else any(vals)
    return Unknown(ast.unparse(node))


def from_lookup(src, r, name, depth):
    kind = r[0]
    if kind == "module":
        return ModRef(r[1])
    if kind == "external":
        if r[1].endswith("current_platform"):
            return Opaque(r[1])
        return ("external", r[1])
    kind, m2, n2 = r
    if kind == "def":
        if isinstance(n2, ast.ClassDef):
            return ClassRef(src, m2, n2)
        return FuncRef(src, m2, n2)
    if kind == "expr":
        if name == "current_platform":
            return Opaque(name)
        return eval_expr(src, m2, n2, {}, depth + 1)
    return Unknown(name)


def class_attr(cref, attr, depth=0):
    """ClassName.attr : a dataclass field default, an enum member, a method."""
    for st in cref.node.body:
        if isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name) and st.target.id == attr:
            if st.value is None:
                return Unknown(attr)
            return eval_default(cref.src, cref.mod, st.value)[0]
        if isinstance(st, ast.Assign) and any(isinstance(t, ast.Name) and t.id == attr for t in st.targets):
            v = eval_expr(cref.src, cref.mod, st.value, {}, depth + 1)
            if is_enum(cref):
                return ("enum", cref.name, attr, v)
            return v
        if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)) and st.name == attr:
            return FuncRef(cref.src, cref.mod, st, cls=cref, owner=cref)
    for text, b in class_bases(cref):
        if isinstance(b, ClassRef):
            v = class_attr(b, attr, depth + 1)
            if not isinstance(v, Unknown):
                if isinstance(v, FuncRef):
                    v.cls = cref
                return v
    return Unknown(f"{cref.name}.{attr}")


def is_enum(cref):
    for text, b in class_bases(cref):
        if text.split(".")[-1] in ("Enum", "IntEnum", "StrEnum"):
            return True
        if isinstance(b, ClassRef) and is_enum(b):
            return True
    return False


def enum_members(cref):
    out = []
    for st in cref.node.body:
        if isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name):
            n = st.targets[0].id
            if n.startswith("_"):
                continue
            v = eval_expr(cref.src, cref.mod, st.value, {})
            if isinstance(st.value, ast.Call) and ast.unparse(st.value.func).endswith("auto"):
                v = n.lower()
            out.append((n, v))
    return out


def eval_listcomp(src, mod, node, env, depth):
    if len(node.generators) != 1:
        return Unknown(ast.unparse(node))
    g = node.generators[0]
    it = eval_expr(src, mod, g.iter, env, depth + 1)
    if isinstance(it, ClassRef) and is_enum(it):
        items = [("enum", it.name, n, v) for n, v in enum_members(it)]
    elif isinstance(it, (list, tuple)):
        items = list(it)
    else:
        return Unknown(ast.unparse(node))
    out = []
    for x in items:
        e2 = dict(env)
        if not isinstance(g.target, ast.Name):
            return Unknown(ast.unparse(node))
        e2[g.target.id] = x
        if any(not eval_expr(src, mod, c, e2, depth + 1) for c in g.ifs):
            continue
        elt = node.elt
        if isinstance(elt, ast.Attribute) and isinstance(elt.value, ast.Name) and elt.value.id == g.target.id \
                and isinstance(x, tuple) and x[:1] == ("enum",):
            out.append(x[3] if elt.attr == "value" else x[2])
        else:
            out.append(eval_expr(src, mod, elt, e2, depth + 1))
    return out


def eval_call(src, mod, node, env, depth):
    fn_text = ast.unparse(node.func)
    ev = lambda n: eval_expr(src, mod, n, env, depth + 1)  # noqa: E731
    last = fn_text.split(".")[-1]
    if last == "get_args" and node.args:
        t = tev(src, mod, node.args[0])
        t = hints(t)
        if len(t) == 1 and t[0][0] == "lit":
            return list(t[0][1])
        return Unknown(fn_text)
    if last == "optional_type" and node.args:
        inner = as_typefn(ev(node.args[0]))
        return TypeFn(inner.kind, True, inner.detail)
    if fn_text == "int" and node.args:
        v = ev(node.args[0])
        return int(v) if isinstance(v, (int, float)) else Unknown(fn_text)
    if fn_text in ("list", "sorted", "tuple") and node.args:
        a0 = node.args[0]
        if isinstance(a0, ast.Attribute):
            owner = ev(a0.value)
            if isinstance(owner, ClassRef) and owner.name.endswith("Manager"):
                names = registry_names(src, owner)
                if names:
                    return names
        v = ev(node.args[0])
        if isinstance(v, dict):
            v = list(v.keys())
        if isinstance(v, (list, tuple)):
            return sorted(v, key=str) if fn_text == "sorted" else list(v)
        return Unknown(fn_text)
    if fn_text in ("list", "dict") and not node.args:
        return [] if fn_text == "list" else {}
    if fn_text == "field" or last in ("Field",):
        return eval_default(src, mod, node)[0]
    f = ev(node.func)
    if isinstance(f, tuple) and f[:1] == ("method",):
        obj, meth = f[1], f[2]
        args = [ev(a) for a in node.args]
        if isinstance(obj, str):
            if meth == "replace" and len(args) == 2 and all(isinstance(a, str) for a in args):
                return obj.replace(*args)
            if meth == "lower":
                return obj.lower()
            if meth == "join" and args and isinstance(args[0], (list, tuple)):
                return obj.join(str(a) for a in args[0])
            if meth == "format":
                try:
                    return obj.format(*args, **{k.arg: ev(k.value) for k in node.keywords})
                except Exception:
                    return obj
        if isinstance(obj, dict) and meth in ("items", "keys", "values"):
            return list(getattr(obj, meth)())
        if isinstance(obj, dict) and meth in ("pop", "get"):
            return getattr(obj, meth)(*args)
        return Unknown(fn_text)
    if isinstance(f, ClassRef):
        return ("instance", f)
    if isinstance(f, tuple) and f[:1] == ("builtin",) and f[1] == "range":
        args = [ev(a) for a in node.args]
        if all(isinstance(a, int) for a in args):
            return list(range(*args))
    return Unknown(fn_text)


def registry_names(src, cref):
    """Names registered with @<Manager>.register_module("name") in the manager's package,
    in file order (the package __init__ imports every parser module)."""
    pkg_dir = src.path_of(cref.mod).parent
    out = []
    for p in sorted(pkg_dir.glob("*.py")):
        try:
            tree = ast.parse(p.read_text(encoding="utf-8"))
        except SyntaxError:
            continue
        for n in ast.walk(tree):
            if isinstance(n, ast.Call) and ast.unparse(n.func) == f"{cref.name}.register_module":
                vals = [a for a in n.args[:1]] + [k.value for k in n.keywords if k.arg == "name"]
                for v in vals:
                    try:
                        lv = ast.literal_eval(v)
                    except Exception:
                        continue
                    for x in (lv if isinstance(lv, (list, tuple)) else [lv]):
                        if isinstance(x, str) and x not in out:
                            out.append(x)
                            src.files_read.add(str(p.relative_to(src.root)))
    return out


def eval_default(src, mod, node):
    """-> (json default, env name or None) for a dataclass field default expression."""
    if isinstance(node, ast.Call) and ast.unparse(node.func).split(".")[-1] in ("field", "Field", "PydanticField"):
        kws = {k.arg: k.value for k in node.keywords}
        if "default" in kws:
            return eval_default(src, mod, kws["default"])
        if node.args and ast.unparse(node.func).split(".")[-1] != "field":
            return eval_default(src, mod, node.args[0])
        if "default_factory" in kws:
            fac = kws["default_factory"]
            if isinstance(fac, ast.Name) and fac.id in ("list", "dict", "set", "tuple"):
                return ({"list": [], "dict": {}, "set": [], "tuple": []}[fac.id], None)
            if isinstance(fac, ast.Lambda):
                return eval_default(src, mod, fac.body)
            return (COMPUTED, None)
        return (None, None)  # no default (required)
    v = eval_expr(src, mod, node, {})
    return to_json_default(v)


def to_json_default(v):
    if isinstance(v, tuple) and v[:1] == ("env",):
        return (COMPUTED, v[1])
    if isinstance(v, tuple) and v[:1] == ("enum",):
        val = v[3]
        return (val if isinstance(val, (str, int, float, bool)) else v[2], None)
    if v is SUPPRESS:
        return (None, None)
    if v is None or isinstance(v, (bool, int, float, str)):
        return (v, None)
    if isinstance(v, (list, tuple)):
        out = []
        for x in v:
            j, e = to_json_default(x)
            if j == COMPUTED:
                return (COMPUTED, None)
            out.append(j)
        return (out, None)
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            j, e = to_json_default(x)
            if j == COMPUTED or not isinstance(k, str):
                return (COMPUTED, None)
            out[k] = j
        return (out, None)
    return (COMPUTED, None)


def as_typefn(v):
    if isinstance(v, TypeFn):
        return v
    if isinstance(v, tuple) and v[:1] == ("builtin",):
        n = v[1]
        if n in ("int", "float", "str"):
            return TypeFn(n)
        if n == "bool":
            return TypeFn("pybool")
        return TypeFn("custom:" + n)
    if isinstance(v, FuncRef):
        n = v.name
        mapping = {
            "human_readable_int": "human_int",
            "human_readable_int_or_auto": "human_int_or_auto",
            "union_dict_and_str": "json_or_str",
            "nullable_str": "str",
            "parse_reasoning_parser": "str",
            "nullable_kvs": "custom:nullable_kvs",
        }
        if n in mapping:
            t = TypeFn(mapping[n])
            if n == "nullable_str":
                t.none_ok = True
            return t
        if n in ("from_cli", "from_json"):
            return TypeFn("json")
        return TypeFn("custom:" + n)
    if isinstance(v, tuple) and v[:1] == ("lambda",):
        return TypeFn("custom:lambda", detail=ast.unparse(v[3]))
    return TypeFn("custom:" + (getattr(v, "text", None) or repr(v)))


# ----------------------------------------------------------------------------
# dataclass fields and vllm's _compute_kwargs


def attr_docs(cref):
    out = {}
    body = cref.node.body
    for i, st in enumerate(body):
        if isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name) and i + 1 < len(body):
            nx = body[i + 1]
            if isinstance(nx, ast.Expr) and isinstance(nx.value, ast.Constant) and isinstance(nx.value.value, str):
                out[st.target.id] = nx.value.value
    return out


def dataclass_fields(cref, seen=None):
    """Ordered list of (name, annotation node, default node, doc, mod) over the MRO."""
    key = (cref.mod, cref.name)
    src = cref.src
    if key in src._fields_cache:
        return src._fields_cache[key]
    src.files_read.add(src.rel(cref.mod))
    fields = {}
    for text, b in reversed(class_bases(cref)):
        if isinstance(b, ClassRef) and is_dataclass_cls(b):
            for f in dataclass_fields(b):
                fields[f["name"]] = dict(f)
    docs = attr_docs(cref)
    for st in cref.node.body:
        if isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name):
            ann = st.annotation
            at = ast.unparse(ann)
            if at.startswith(("ClassVar", "typing.ClassVar", "InitVar", "dataclasses.InitVar")) or \
                    at.split("[")[0].split(".")[-1] in ("ClassVar", "InitVar"):
                continue
            name = st.target.id
            prev = fields.get(name)
            doc = docs.get(name, prev["doc"] if prev else "")
            fields[name] = {"name": name, "ann": ann, "default": st.value, "doc": doc,
                            "mod": cref.mod, "cls": cref.name}
    out = list(fields.values())
    src._fields_cache[key] = out
    return out


def detect_features(src):
    """Read this version's _compute_kwargs / get_kwargs source to find its branches."""
    m = src.module("vllm.engine.arg_utils")
    text = m["text"]
    fn = None
    for st in m["tree"].body:
        if isinstance(st, ast.FunctionDef) and st.name in ("_compute_kwargs",):
            fn = st
    if fn is None:
        for st in m["tree"].body:
            if isinstance(st, ast.FunctionDef) and st.name == "get_kwargs":
                fn = st
    fsrc = ast.unparse(fn)
    feats = {
        "fn": fn,
        "dataclass": "is_dataclass" in fsrc,
        "boolstr": "type_hints == {bool, str, type(None)}" in fsrc,
        "set": "contains_type(type_hints, set)" in fsrc,
        "dictsub": "is_dict_subclass" in fsrc,
        "dict_union": "union_dict_and_str" in fsrc,
        "literal_metavar": "'metavar' if contains_type(type_hints, str)" in text
        or '"metavar" if contains_type(type_hints, str)' in text,
        "none_choice_str": "append('None')" in fsrc,
        "dict_optional_json": "optional_type(json.loads)" in fsrc,
        "list_union_elem": "get_origin(elem_type) in {Union, UnionType}" in text,
        "fieldinfo": "FieldInfo" in fsrc,
        "enable_disable": False,
    }
    # the int branch
    int_if = None
    for n in ast.walk(fn):
        if isinstance(n, ast.If) and ast.unparse(n.test) == "contains_type(type_hints, int)":
            int_if = n
    feats["int_branch"] = int_if.body if int_if else []
    for pm in ("vllm.utils.argparse_utils", "vllm.utils"):
        pmod = src.module(pm)
        if pmod and "class FlexibleArgumentParser" in pmod["text"]:
            feats["parser_module"] = pm
            feats["enable_disable"] = "EnableDisableAction" in pmod["text"]
            break
    return feats


def run_int_branch(stmts, name, env):
    """Emulate the int branch of _compute_kwargs for field `name` -> type function name."""
    result = None
    for st in stmts:
        if isinstance(st, ast.Assign):
            tgt = ast.unparse(st.targets[0])
            if tgt == "kwargs[name]['type']":
                result = ast.unparse(st.value)
            elif isinstance(st.targets[0], ast.Name):
                try:
                    env[st.targets[0].id] = ast.literal_eval(st.value)
                except Exception:
                    pass
        elif isinstance(st, ast.If):
            t = st.test
            ok = None
            if isinstance(t, ast.Compare) and ast.unparse(t.left) == "name" and len(t.ops) == 1:
                rhs = t.comparators[0]
                if isinstance(rhs, ast.Name):
                    rv = env.get(rhs.id)
                else:
                    try:
                        rv = ast.literal_eval(rhs)
                    except Exception:
                        rv = None
                if isinstance(t.ops[0], ast.Eq):
                    ok = name == rv
                elif isinstance(t.ops[0], ast.In) and rv is not None:
                    ok = name in rv
            if ok is None:
                ok = False
            r = run_int_branch(st.body if ok else st.orelse, name, env)
            if r is not None:
                result = r
    return result


def literal_to_kwargs(ths, feats):
    lit = get_type(ths, "Literal")
    options = list(lit[1])
    if feats["literal_metavar"] and contains(ths, "str"):
        return {"type": TypeFn(pytype_name(options[0])), "metavar": py_sorted(options)}
    return {"type": TypeFn(pytype_name(options[0])), "choices": py_sorted(options)}


def py_sorted(options):
    try:
        return sorted(options)
    except TypeError:
        return sorted(options, key=str)


def pytype_name(v):
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    return "str"


def compute_kwargs(cref, feats):
    src = cref.src
    key = ("kw", cref.mod, cref.name)
    if key in src._fields_cache:
        return json_copy(src._fields_cache[key])
    kwargs = {}
    for f in dataclass_fields(cref):
        name = f["name"]
        t = tev(src, f["mod"], f["ann"])
        ths = hints(t)
        if feats["dictsub"]:
            ths = [("b", "dict") if (x[0] == "cls" and x[2]) else x for x in ths]
        dc = next((x for x in ths if x[0] == "dc"), None) if feats["dataclass"] else None
        if f["default"] is None:
            default, env = (None, None)
        else:
            default, env = eval_default(src, f["mod"], f["default"])
        if dc is not None and default == COMPUTED:
            pass
        kw = {"default": default, "help": f["doc"].strip(), "_env": env, "_cls": cref.name}
        kinds = {x[1] if x[0] == "b" else x[0] for x in ths}
        if dc is not None:
            kw["type"] = TypeFn("json", detail=dc[1].name)
        elif feats["boolstr"] and set(repr_t(x) for x in ths) == {"b:bool", "b:str", "b:NoneType"}:
            kw["type"] = TypeFn("str")
            kw["nargs"] = "?"
            kw["const"] = True
        elif contains(ths, "bool"):
            kw["action"] = ActionRef("BooleanOptionalAction")
        elif contains(ths, "Literal"):
            lits = [x for x in ths if x[0] == "lit"]
            if len(lits) > 1:
                # vLLM takes next() over a *set* of type hints: which Literal wins depends on hash order
                merged = []
                for x in lits:
                    merged.extend(v for v in x[1] if v not in merged)
                ths = [("lit", merged)] + [x for x in ths if x[0] != "lit"]
                kw["_note"] = ("union of several Literal types; vLLM picks ONE of them from a set at run time "
                               "(hash order), so the accepted choices may be narrower: " +
                               " | ".join(repr(x[1]) for x in lits))
            kw.update(literal_to_kwargs(ths, feats))
        elif contains(ths, "tuple") or contains(ths, "list") or (feats["set"] and contains(ths, "set")):
            which = "tuple" if contains(ths, "tuple") else ("list" if contains(ths, "list") else "set")
            g = get_type(ths, which)
            args = g[2] if g[0] == "g" else []
            if not args:
                elem = ("cls", "Any", False)
            else:
                elem = args[0]
            if elem[0] == "U":
                elem = ("b", "str")
            if elem[0] == "lit":
                kw["type"] = TypeFn(pytype_name(elem[1][0]))
                kw["choices"] = py_sorted(elem[1])
            else:
                kw["type"] = elem_typefn(elem)
            if which == "tuple" and not any(a[0] == "ell" for a in args):
                kw["nargs"] = len(args)
            else:
                kw["nargs"] = "+"
        elif contains(ths, "int"):
            fnname = run_int_branch(feats["int_branch"], name, {})
            kw["type"] = as_typefn(("builtin", "int") if fnname in (None, "int") else FuncRef(
                src, "x", ast.FunctionDef(name=fnname, args=None, body=[], decorator_list=[])))
        elif contains(ths, "float"):
            kw["type"] = TypeFn("float")
        elif feats["dict_union"] and contains(ths, "dict") and (
                contains(ths, "str") or any(is_not_builtin(x) for x in ths)):
            kw["type"] = TypeFn("json_or_str")
        elif contains(ths, "dict"):
            kw["type"] = TypeFn("json", none_ok=feats["dict_optional_json"])
        elif contains(ths, "str") or any(is_not_builtin(x) for x in ths):
            kw["type"] = TypeFn("str")
        else:
            kw["type"] = TypeFn("custom:unsupported")
        if "NoneType" in kinds and not contains(ths, "bool") and "type" in kw:
            kw["type"] = TypeFn(kw["type"].kind, True, kw["type"].detail)
            if kw.get("choices"):
                kw["choices"] = list(kw["choices"]) + (["None"] if feats["none_choice_str"] else [None])
        kwargs[name] = kw
    src._fields_cache[key] = kwargs
    return json_copy(kwargs)


def elem_typefn(elem):
    if elem[0] == "b" and elem[1] in ("int", "float", "str"):
        return TypeFn(elem[1])
    if elem[0] == "b" and elem[1] == "bool":
        return TypeFn("pybool")
    if elem[0] == "dc":
        return TypeFn("custom:" + elem[1].name)
    return TypeFn("str" if is_not_builtin(elem) else "custom:" + repr_t(elem))


def json_copy(d):
    """Deep copy of nested dicts/lists, keeping the special objects."""
    if isinstance(d, dict):
        return {k: json_copy(v) for k, v in d.items()}
    if isinstance(d, list):
        return [json_copy(v) for v in d]
    return d


# ----------------------------------------------------------------------------
# interpreter for the functions that build the parser


class Return(Exception):
    def __init__(self, value):
        self.value = value


class Interp:
    def __init__(self, src, feats):
        self.src, self.feats = src, feats
        self.warnings = []

    def call(self, fref, args, kwargs):
        node = fref.node
        env = {}
        params = [a.arg for a in node.args.posonlyargs + node.args.args]
        defaults = node.args.defaults
        pdefaults = dict(zip(params[len(params) - len(defaults):], defaults))
        is_method = fref.cls is not None
        decos = [ast.unparse(d) for d in node.decorator_list]
        bound = list(args)
        if is_method and "staticmethod" not in decos:
            if "classmethod" in decos:
                bound = [fref.cls] + bound
            else:
                bound = [("self", fref.cls)] + bound
        for p, a in zip(params, bound):
            env[p] = a
        for p in params[len(bound):]:
            if p in kwargs:
                env[p] = kwargs[p]
            elif p in pdefaults:
                env[p] = eval_expr(self.src, fref.mod, pdefaults[p], {})
        env["__class_owner__"] = fref.owner
        self.src.files_read.add(self.src.rel(fref.mod))
        try:
            self.block(fref.mod, node.body, env)
        except Return as r:
            return r.value
        return None

    def ev(self, mod, node, env):
        if isinstance(node, ast.Subscript):
            base = self.ev(mod, node.value, env)
            key = self.ev(mod, node.slice, env)
            if isinstance(base, dict) and not isinstance(key, Unknown) and key in base:
                return base[key]
            return eval_expr(self.src, mod, node, env)
        # super()._customize_cli_kwargs(...)
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Call) and \
                    ast.unparse(f.value.func) == "super":
                owner = env.get("__class_owner__")
                cls = env.get("cls")
                for text, b in class_bases(owner):
                    if isinstance(b, ClassRef):
                        m = class_attr(b, f.attr)
                        if isinstance(m, FuncRef):
                            m.cls = cls
                            return self.call(m, [self.ev(mod, a, env) for a in node.args], {})
                return Unknown(ast.unparse(node))
            if isinstance(f, ast.Attribute):
                base = self.ev(mod, f.value, env)
                if isinstance(base, ClassRef):
                    m = class_attr(base, f.attr)
                    if isinstance(m, FuncRef):
                        m.cls = base if m.cls is None or True else m.cls
                        return self.call(m, [self.ev(mod, a, env) for a in node.args],
                                         {k.arg: self.ev(mod, k.value, env) for k in node.keywords})
                if isinstance(base, (Parser, Group, Subparsers)):
                    return self.parser_method(mod, base, f.attr, node, env)
                if isinstance(base, list) and f.attr == "remove":
                    v = self.ev(mod, node.args[0], env)
                    if v in base:
                        base.remove(v)
                    return None
                if isinstance(base, dict) and f.attr == "pop":
                    k = self.ev(mod, node.args[0], env)
                    dflt = self.ev(mod, node.args[1], env) if len(node.args) > 1 else None
                    return base.pop(k, dflt)
            fn = self.ev_plain(mod, node.func, env)
            if isinstance(fn, FuncRef) and fn.name in ("get_kwargs", "_compute_kwargs"):
                c = self.ev(mod, node.args[0], env)
                if isinstance(c, ClassRef):
                    return compute_kwargs(c, self.feats)
                return Unknown("get_kwargs")
            if isinstance(fn, FuncRef) and fn.name in ("make_arg_parser",):
                return self.call(fn, [self.ev(mod, a, env) for a in node.args], {})
        return self.ev_plain(mod, node, env)

    def ev_plain(self, mod, node, env):
        return eval_expr(self.src, mod, node, env)

    def block(self, mod, stmts, env):
        for st in stmts:
            self.stmt(mod, st, env)

    def stmt(self, mod, st, env):
        if isinstance(st, ast.Expr):
            if isinstance(st.value, ast.Call):
                self.ev(mod, st.value, env)
        elif isinstance(st, ast.Assign):
            v = self.ev(mod, st.value, env)
            for t in st.targets:
                self.assign(mod, t, v, env)
        elif isinstance(st, ast.AnnAssign) and st.value is not None:
            self.assign(mod, st.target, self.ev(mod, st.value, env), env)
        elif isinstance(st, ast.AugAssign):
            tgt = st.target
            if isinstance(tgt, ast.Subscript):
                obj = self.ev(mod, tgt.value, env)
                key = self.ev(mod, tgt.slice, env)
                if isinstance(obj, dict) and key == "choices":
                    add = self.eval_choices_add(mod, st.value, env)
                    if isinstance(add, list) and isinstance(obj.get("choices"), list):
                        obj["choices"] = obj["choices"] + add
                elif isinstance(obj, dict) and key == "help":
                    v = self.ev(mod, st.value, env)
                    if isinstance(v, str):
                        obj["help"] = (obj.get("help") or "") + v
        elif isinstance(st, ast.Delete):
            for t in st.targets:
                if isinstance(t, ast.Subscript):
                    obj = self.ev(mod, t.value, env)
                    key = self.ev(mod, t.slice, env)
                    if isinstance(obj, dict):
                        obj.pop(key, None)
        elif isinstance(st, ast.If):
            c = self.ev(mod, st.test, env)
            if isinstance(c, (Unknown, Opaque)) or c is None and not isinstance(c, bool):
                # undecidable: take the branch that registers arguments (the body)
                self.block(mod, st.body, env)
            elif c:
                self.block(mod, st.body, env)
            else:
                self.block(mod, st.orelse, env)
        elif isinstance(st, ast.For):
            it = self.ev(mod, st.iter, env)
            if not isinstance(it, (list, tuple)):
                self.warnings.append(f"cannot unroll loop: {ast.unparse(st.iter)}")
                return
            for x in it:
                self.assign(mod, st.target, x, env)
                self.block(mod, st.body, env)
        elif isinstance(st, ast.Return):
            raise Return(self.ev(mod, st.value, env) if st.value is not None else None)
        elif isinstance(st, (ast.With,)):
            self.block(mod, st.body, env)
        elif isinstance(st, ast.ImportFrom) and st.module and st.level == 0:
            for a in st.names:
                r = self.src.lookup(st.module, a.name)
                if r is not None:
                    env[a.asname or a.name] = from_lookup(self.src, r, a.name, 0)
        elif isinstance(st, ast.Try):
            self.block(mod, st.body, env)

    def eval_choices_add(self, mod, node, env):
        # [",".join(p) for p in permutations(get_args(X), r=2)]
        text = ast.unparse(node)
        if "permutations" in text and isinstance(node, ast.ListComp) and len(node.generators) == 1:
            call = next((n for n in ast.walk(node) if isinstance(n, ast.Call)
                         and ast.unparse(n.func).endswith("permutations")), None)
            if call is not None and call.args:
                base = self.ev(mod, call.args[0], env)
                r = None
                if len(call.args) > 1:
                    r = self.ev(mod, call.args[1], env)
                for k in call.keywords:
                    if k.arg == "r":
                        r = self.ev(mod, k.value, env)
                if isinstance(base, (list, tuple)) and (r is None or isinstance(r, int)):
                    return [",".join(p) for p in itertools.permutations(base, r)]
        v = self.ev(mod, node, env)
        return v if isinstance(v, list) else None

    def assign(self, mod, t, v, env):
        if isinstance(t, ast.Name):
            env[t.id] = v
        elif isinstance(t, (ast.Tuple, ast.List)):
            if isinstance(v, (list, tuple)) and len(v) == len(t.elts):
                for a, b in zip(t.elts, v):
                    self.assign(mod, a, b, env)
        elif isinstance(t, ast.Subscript):
            obj = self.ev(mod, t.value, env)
            key = self.ev(mod, t.slice, env)
            if isinstance(obj, dict) and not isinstance(key, Unknown):
                obj[key] = v
        elif isinstance(t, ast.Attribute):
            pass

    def parser_method(self, mod, base, meth, node, env):
        parser = base.parser if isinstance(base, (Group, Subparsers)) else base
        if isinstance(base, Subparsers) and meth == "add_parser":
            return Parser()
        if meth in ("add_argument_group", "add_mutually_exclusive_group"):
            return Group(parser)
        if meth == "add_argument":
            self.add_argument(mod, parser, node, env)
            return None
        return None

    def add_argument(self, mod, parser, node, env):
        names = []
        for a in node.args:
            if isinstance(a, ast.Starred):
                v = self.ev(mod, a.value, env)
                if isinstance(v, (list, tuple)):
                    names.extend(v)
            else:
                names.append(self.ev(mod, a, env))
        kw = {}
        for k in node.keywords:
            if k.arg is None:
                v = self.ev(mod, k.value, env)
                if isinstance(v, dict):
                    kw.update(v)
                else:
                    self.warnings.append(f"unresolved **kwargs {ast.unparse(k.value)} for {names}")
            else:
                kw[k.arg] = self.ev(mod, k.value, env)
        lineno = node.lineno
        parser.actions.append({"names": names, "kw": kw, "where": f"{self.src.rel(mod)}:{lineno}"})


# ----------------------------------------------------------------------------
# turning argparse calls into spans


def first_sentence(text, limit=160):
    if not isinstance(text, str):
        return ""
    t = " ".join(text.replace("%%", "%").split())
    m = re.search(r"(?<=[.!?])\s+(?=[A-Z`\[(\"'*-])", t)
    if m:
        t = t[: m.start()]
    if len(t) > limit:
        t = t[: limit - 1].rstrip() + "…"
    return t


def build_flag(action, feats):
    names = [n for n in action["names"] if isinstance(n, str)]
    kw = action["kw"]
    opts = [n for n in names if n.startswith("-")]
    if opts:
        dest = kw.get("dest")
        if not isinstance(dest, str):
            longs = [o for o in opts if o.startswith("--")]
            dest = (longs[0] if longs else opts[0]).lstrip("-").replace("-", "_")
    else:
        dest = names[0]
    act = kw.get("action")
    if isinstance(act, ActionRef):
        act_name = act.name
    elif isinstance(act, str):
        act_name = act
    elif isinstance(act, ClassRef):
        act_name = act.name
    elif act is None:
        act_name = "store"
    else:
        act_name = "custom"
    allnames = list(opts) if opts else [dest]
    if act_name == "BooleanOptionalAction":
        for o in opts:
            if o.startswith("--"):
                allnames.append("--no-" + o[2:])
        if feats.get("enable_disable"):
            for o in opts:
                for pre, inv in (("--enable-", "--disable-"), ("--disable-", "--enable-")):
                    if o.startswith(pre):
                        allnames.append(inv + o[len(pre):])
    tf = kw.get("type")
    typ, none_ok = None, False
    choices = kw.get("choices")
    if act_name in ("store_true", "store_false", "BooleanOptionalAction", "store_const", "count", "help",
                    "version"):
        typ = "bool"
    elif tf is not None:
        t = as_typefn(tf)
        typ, none_ok = t.kind, t.none_ok
    else:
        typ = "str"
    if "default" in kw:
        default = kw["default"]
    elif act_name == "store_true":
        default = False
    elif act_name == "store_false":
        default = True
    else:
        default = None
    jd, env = to_json_default(default)
    if kw.get("_env"):
        env = kw["_env"]
    if isinstance(choices, (list, tuple)):
        ch = []
        for c in choices:
            if c is None:
                if none_ok:
                    ch.append("None")
                continue
            if c == "None" and feats.get("none_choice_str") and none_ok:
                # "None" -> None by optional_type, then refused: not accepted
                continue
            if isinstance(c, tuple) and c[:1] == ("enum",):
                c = c[3]
            if not isinstance(c, (str, int, float, bool)):
                print(f"warning: unresolved choice {c!r} for {dest}", file=sys.stderr)
                ch = COMPUTED
                break
            ch.append(c if isinstance(c, str) else json.dumps(c))
        choices_out = ch
        if typ not in ("bool",):
            typ_out = "enum"
        else:
            typ_out = typ
    elif choices is None:
        choices_out = None
        typ_out = typ
    else:
        choices_out = COMPUTED
        typ_out = "enum"
    helptext = kw.get("help")
    if helptext is SUPPRESS:
        helptext = ""
    dep = None
    if kw.get("deprecated") is True:
        dep = first_sentence(helptext, 300) or f"argument '{dest}' is deprecated"
    elif act_name.startswith("Deprecated"):
        dep = first_sentence(helptext, 300) or "deprecated"
    elif isinstance(helptext, str) and re.search(r"\bdeprecated\b", helptext, re.I) and (
            re.search(r"^\s*\[?deprecated", helptext, re.I) or re.search(
                r"(is|are|now) deprecated|deprecated (and|in favor|since)|will be removed", helptext, re.I)):
        dep = first_sentence(re.sub(r"\s+", " ", helptext), 300)
    nargs = kw.get("nargs")
    if isinstance(nargs, tuple):
        nargs = None
    spec = {
        "names": allnames,
        "type": typ_out,
        "action": act_name,
        "nargs": nargs if isinstance(nargs, (int, str)) or nargs is None else str(nargs),
        "choices": choices_out,
        "default": jd,
        "deprecated": dep,
        "env": env,
        "help": first_sentence(helptext if isinstance(helptext, str) else ""),
    }
    if none_ok:
        spec["none_ok"] = True
    if kw.get("_note"):
        spec["note"] = kw["_note"]
    if "const" in kw and nargs == "?":
        c, _ = to_json_default(kw["const"])
        spec["const"] = c
    return dest, spec


def read_version(root: Path):
    pk = root / "PKG-INFO"
    if pk.exists():
        for line in pk.read_text(errors="replace").splitlines():
            if line.startswith("Version:"):
                return line.split(":", 1)[1].strip()
    m = re.search(r"vllm-([0-9][^/]*)$", str(root))
    return m.group(1) if m else root.name


def read_commit(root: Path):
    p = root / "vllm" / "_version.py"
    if p.exists():
        m = re.search(r"commit_id\s*=\s*'g?([0-9a-f]{7,40})'", p.read_text())
        if m:
            return m.group(1)
    return None


def serve_parser(src, feats):
    interp = Interp(src, feats)
    mod = "vllm.entrypoints.cli.serve"
    m = src.module(mod)
    cls = None
    for st in m["tree"].body:
        if isinstance(st, ast.ClassDef) and st.name == "ServeSubcommand":
            cls = ClassRef(src, mod, st)
    top = Parser()
    fn = class_attr(cls, "subparser_init")
    fn.cls = cls
    fn.owner = cls
    sub = Subparsers(top)
    # subparser_init returns the serve parser
    res = interp.call(fn, [sub], {})
    if not isinstance(res, Parser):
        raise SystemExit(f"{src.version}: could not interpret ServeSubcommand.subparser_init")
    return res, interp.warnings


def gen_version(root: Path):
    version = read_version(root)
    src = Source(root, version)
    feats = detect_features(src)
    src.features = feats
    parser, warnings = serve_parser(src, feats)
    flags = {}
    # argparse's own -h/--help
    flags["help"] = {"names": ["-h", "--help"], "type": "bool", "action": "help", "nargs": None,
                     "choices": None, "default": None, "deprecated": None, "env": None,
                     "help": "show this help message and exit"}
    if feats.get("parser_module") == "vllm.utils.argparse_utils" or "--help=" in (
            src.module(feats.get("parser_module", "vllm.utils")) or {"text": ""})["text"]:
        flags["help"]["help"] = "show this help message and exit (--help=KEYWORD searches groups/flags)"
    for a in parser.actions:
        dest, spec = build_flag(a, feats)
        if dest in flags:
            # same dest registered twice (argparse keeps both actions; merge names)
            old = flags[dest]
            for n in spec["names"]:
                if n not in old["names"]:
                    old["names"].append(n)
            continue
        flags[dest] = spec
    files = sorted(src.files_read | {src.rel(feats["parser_module"])})
    return version, flags, files, warnings, src


# ----------------------------------------------------------------------------
# environment variables that matter at start-up


ENV_FILES = [
    "vllm/engine/arg_utils.py", "vllm/config.py", "vllm/config/model.py", "vllm/config/cache.py",
    "vllm/config/parallel.py", "vllm/config/scheduler.py", "vllm/config/vllm.py", "vllm/config/__init__.py",
    "vllm/v1/core/kv_cache_utils.py", "vllm/v1/worker/gpu_worker.py", "vllm/worker/worker.py",
    "vllm/platforms/cuda.py", "vllm/utils/mem_utils.py", "vllm/transformers_utils/config.py",
    "vllm/entrypoints/cli/serve.py", "vllm/entrypoints/openai/api_server.py",
]
ENV_ALWAYS = {"VLLM_ALLOW_LONG_MAX_MODEL_LEN", "CUDA_VISIBLE_DEVICES", "VLLM_ATTENTION_BACKEND", "VLLM_USE_V1",
              "VLLM_HOST_IP", "VLLM_PORT", "VLLM_WORKER_MULTIPROC_METHOD", "VLLM_ENABLE_V1_MULTIPROCESSING",
              "VLLM_CPU_KVCACHE_SPACE", "VLLM_USE_MODELSCOPE", "HF_TOKEN", "VLLM_API_KEY",
              "VLLM_SKIP_P2P_CHECK", "VLLM_DISABLE_COMPILE_CACHE", "VLLM_KV_CACHE_LAYOUT",
              "VLLM_PP_LAYER_PARTITION"}


def env_vars_of(src):
    m = src.module("vllm.envs")
    if m is None:
        return {}
    lines = m["text"].splitlines()
    types = {}
    for st in m["tree"].body:
        if isinstance(st, ast.If) and "TYPE_CHECKING" in ast.unparse(st.test):
            for s in st.body:
                if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name):
                    t = ast.unparse(s.annotation)
                    d = None
                    if s.value is not None:
                        try:
                            d = ast.literal_eval(s.value)
                        except Exception:
                            d = ast.unparse(s.value)
                    types[s.target.id] = (t, d)
    table = {}
    for st in m["tree"].body:
        val = st.value if isinstance(st, (ast.Assign, ast.AnnAssign)) else None
        tgt = (st.targets[0] if isinstance(st, ast.Assign) else getattr(st, "target", None))
        if isinstance(val, ast.Dict) and isinstance(tgt, ast.Name) and tgt.id == "environment_variables":
            for k, v in zip(val.keys, val.values):
                if not (isinstance(k, ast.Constant) and isinstance(k.value, str)):
                    continue
                # comment block above the key
                i = k.lineno - 2
                com = []
                while i >= 0 and lines[i].strip().startswith("#"):
                    com.insert(0, lines[i].strip().lstrip("#").strip())
                    i -= 1
                t, d = types.get(k.value, (None, None))
                raw = None
                for n in ast.walk(v):
                    if isinstance(n, ast.Call) and ast.unparse(n.func) in ("os.environ.get", "os.getenv") and \
                            len(n.args) >= 2 and isinstance(n.args[0], ast.Constant) and n.args[0].value == k.value:
                        try:
                            raw = ast.literal_eval(n.args[1])
                        except Exception:
                            raw = None
                table[k.value] = {"type": t, "default": raw if raw is not None else d,
                                  "help": first_sentence(" ".join(com))}
    return table


def env_selection(src):
    names = set()
    for rel in ENV_FILES:
        p = src.root / rel
        if p.exists():
            names |= set(re.findall(r"\benvs\.(VLLM_[A-Z0-9_]+|[A-Z][A-Z0-9_]+)\b", p.read_text()))
    return names | ENV_ALWAYS


def env_type_name(t):
    if t is None:
        return "str"
    t = t.replace("Optional[", "").replace("]", "").replace(" | None", "")
    if t.startswith("bool"):
        return "bool"
    if t.startswith("int"):
        return "int"
    if t.startswith("float"):
        return "float"
    if t.startswith(("list", "List")):
        return "list"
    if t.startswith("Literal"):
        return "enum"
    return "str"


# ----------------------------------------------------------------------------


def vkey(v):
    if Version:
        return Version(v)
    return tuple(int(x) for x in re.findall(r"\d+", v))


def spans_of(per_version, versions):
    """per_version: {version: spec or None} -> list of spans (consecutive equal specs)."""
    spans = []
    cur = None
    for v in versions:
        s = per_version.get(v)
        if s is None:
            cur = None
            continue
        if cur is not None and cur["_spec"] == json.dumps(s, sort_keys=True):
            cur["to"] = v
        else:
            cur = {"from": v, "to": v, "_spec": json.dumps(s, sort_keys=True), **s}
            spans.append(cur)
    for s in spans:
        del s["_spec"]
    return spans


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("roots", nargs="+", help="vLLM source trees (each holding vllm/)")
    ap.add_argument("--out", default="llmdoctor/engines/vllm/cli_flags.json")
    ap.add_argument("--artifacts", help="sha256sum listing of the downloaded sdists")
    ap.add_argument("--repo", default="vllm-project/vllm")
    args = ap.parse_args(argv)

    shas = {}
    if args.artifacts:
        for line in Path(args.artifacts).read_text().splitlines():
            parts = line.split()
            if len(parts) == 2:
                shas[os.path.basename(parts[1])] = parts[0]

    results = {}
    for r in args.roots:
        root = Path(r)
        version, flags, files, warnings, src = gen_version(root)
        for w in warnings:
            print(f"[{version}] warning: {w}", file=sys.stderr)
        results[version] = (flags, files, src, root)
    versions = sorted(results, key=vkey)

    sources = {}
    for v in versions:
        flags, files, src, root = results[v]
        art = f"vllm-{v}.tar.gz"
        sources[v] = {
            "repo": args.repo,
            "commit": read_commit(root),
            "commit_note": "abbreviated commit id from vllm/_version.py of the sdist" if read_commit(root)
            else "sdist carries no commit id; tag v" + v,
            "artifact": f"{art} sha256:{shas[art]}" if art in shas else art,
            "files": files,
            "flag_count": len(flags),
        }

    all_dests = sorted({d for v in versions for d in results[v][0]})
    flags_out = []
    for d in all_dests:
        per = {v: results[v][0].get(d) for v in versions}
        flags_out.append({"dest": d, "spans": spans_of(per, versions)})

    # env vars
    env_per = {}
    for v in versions:
        src = results[v][2]
        table = env_vars_of(src)
        sel = env_selection(src)
        env_per[v] = {k: table[k] for k in sel if k in table}
    env_names = sorted({k for v in versions for k in env_per[v]})
    env_out = []
    for name in env_names:
        per = {}
        for v in versions:
            e = env_per[v].get(name)
            if e is not None:
                d = e["default"]
                per[v] = {"type": env_type_name(e["type"]), "default": None if d is None else str(d),
                          "help": e["help"]}
        sp = spans_of(per, versions)
        last = sp[-1]
        env_out.append({"name": name, "type": last["type"], "default": last["default"],
                        "spans": [{"from": s["from"], "to": s["to"]} for s in sp], "help": last["help"]})

    pm = results[versions[-1]][2].features.get("parser_module")
    doc = {
        "engine": "vllm",
        "generated_by": "tools/engine_flags/gen_vllm.py",
        "program": "vllm serve",
        "versions": versions,
        "sources": sources,
        "parser": parser_info(results, versions),
        "flags": flags_out,
        "env_vars": env_out,
        "extra": extra_info(results, versions),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1, ensure_ascii=False, sort_keys=False) + "\n")
    for v in versions:
        print(f"{v}: {len(results[v][0])} flags", file=sys.stderr)
    _ = pm
    return 0


def parser_info(results, versions):
    """Facts about FlexibleArgumentParser, read from each version's source."""
    per = {}
    for v in versions:
        src = results[v][2]
        pmn = src.features.get("parser_module")
        text = src.module(pmn)["text"]
        per[v] = {
            "underscore_dash": "replace(\"_\", \"-\")" in text or "replace('_', '-')" in text,
            "eq_value": "'=' in arg" in text or '"=" in arg' in text,
            "dotted_json_keys": "create_nested_dict" in text,
            "list_plus_append": 'endswith("+")' in text or "endswith('+')" in text,
            "O_shorthand": ("--optimization-level" if "--optimization-level" in text else
                            "--compilation-config" if "-O" in text else None),
            "config_yaml": "_pull_args_from_config" in text,
            "deprecated_kwarg": "_deprecated" in text,
            "enable_disable_inverse": "EnableDisableAction" in text,
            "help_keyword_search": "--help=" in text,
            "model_option_rewritten": "--model" in text,
            "file": f"{src.rel(pmn)}",
        }
    spans = spans_of(per, versions)
    return {
        "style": "argparse",
        "abbrev": True,
        "abbrev_note": "FlexibleArgumentParser(ArgumentParser) never sets allow_abbrev, so argparse's default "
                       "allow_abbrev=True applies: a unique prefix of a long option (e.g. --max-model) is "
                       "accepted; an ambiguous prefix errors with 'ambiguous option: %(option)s could match "
                       "%(matches)s'.",
        "prog": "vllm serve",
        "exit_code_on_error": 2,
        "error_format": "usage: ...\\nvllm serve: error: %(message)s  (argparse.ArgumentParser.error, "
                        "Lib/argparse.py; prints usage to stderr and exits 2)",
        "unknown_flag_message": "%(prog)s: error: unrecognized arguments: %s  -- printed by the TOP-LEVEL "
                                "parser, so it reads 'vllm: error: unrecognized arguments: --bogus-flag' after "
                                "'usage: vllm [-h] [-v] {chat,complete,serve,...} ...' (the serve subparser "
                                "uses parse_known_args and hands extras up). Lib/argparse.py "
                                "ArgumentParser.parse_args: msg = _('unrecognized arguments: %s'); "
                                "self.error(msg % ' '.join(argv)); exit status 2",
        "bad_value_message": "vllm serve: error: argument %(argument_name)s: invalid %(type)s value: %(value)r  "
                             "-- Lib/argparse.py _get_value; argument_name is the option strings joined by '/' "
                             "(e.g. 'argument --tensor-parallel-size/-tp: invalid int value: 'x''); %(type)s is "
                             "the converter's __name__ ('int', 'float', '_optional_type', 'human_readable_int'...); "
                             "when the converter raises ArgumentTypeError its message replaces this, e.g. vllm's "
                             "parse_type: 'Value {val} cannot be converted to {return_type}.'",
        "bad_choice_message": "vllm serve: error: argument %(argument_name)s: invalid choice: %(value)r "
                              "(choose from %(choices)s)  -- Lib/argparse.py _check_value; choices are repr()'d "
                              "and joined with ', ' on Python <= 3.11 (plain str on 3.12.8+/3.13.1+)",
        "missing_value_message": "vllm serve: error: argument %(argument_name)s: expected one argument  -- "
                                 "Lib/argparse.py _match_argument ('expected at least one argument' for nargs='+')",
        "ambiguous_message": "ambiguous option: %(option)s could match %(matches)s",
        "bool_flag_with_value_message": "argument %(argument_name)s: ignored explicit argument %(value)r",
        "flexible_parser": spans,
        "notes": [
            "Option names accept '_' for '-' anywhere before the first '.' (--max_model_len == --max-model-len), "
            "also in --flag=value form.",
            "--flag=value works for every option (argparse).",
            "Dotted keys build JSON for JSON-typed options: --compilation-config.level 3 == "
            "--compilation-config '{\"level\": 3}'; a trailing '+' appends list items "
            "(--x.key+ a,b) in versions that have list_plus_append.",
            "-O3 / -O 3 / -O=3 are rewritten to --optimization-level 3 (0.11+/newer) or to "
            "--compilation-config 3 (older); see O_shorthand per span.",
            "--config FILE.yaml is expanded into flags before parsing (keys are flag names without '--').",
            "FlexibleArgumentParser special-cases `vllm serve --model X` (model_option_rewritten): newer "
            "versions move it to the positional model_tag with a warning; --model is also a registered flag.",
            "deprecated=True on add_argument: on Python < 3.13 FlexibleArgumentParser logs "
            "\"argument '%s' is deprecated\" (dest) when the parsed value differs from the default; "
            "Python 3.13+ argparse prints \"warning: option '%(option)s' is deprecated\".",
        ],
    }


def quant_min_capability(src):
    """{method: get_min_capability()} from get_quantization_config's method_to_config table."""
    mod = "vllm.model_executor.layers.quantization"
    m = src.module(mod)
    if m is None:
        return {}
    fn = next((st for st in m["tree"].body if isinstance(st, ast.FunctionDef)
               and st.name == "get_quantization_config"), None)
    if fn is None:
        return {}
    env = {}
    table = None
    for n in ast.walk(fn):
        if isinstance(n, ast.ImportFrom):
            base = mod
            if n.level:
                parts = mod.split(".")  # package __init__: level 1 == the package itself
                base = ".".join(parts[: len(parts) - (n.level - 1)] + ([n.module] if n.module else []))
            else:
                base = n.module
            for a in n.names:
                r = src.lookup(base, a.name)
                if r is not None:
                    env[a.asname or a.name] = from_lookup(src, r, a.name, 0)
        elif isinstance(n, (ast.Assign, ast.AnnAssign)):
            tgt = n.targets[0] if isinstance(n, ast.Assign) else n.target
            if isinstance(tgt, ast.Name) and isinstance(n.value, ast.Dict) and tgt.id == "method_to_config":
                table = n.value
            elif isinstance(tgt, ast.Name) and isinstance(n.value, ast.Name) and tgt.id not in env:
                env[tgt.id] = n.value.id
    if table is None:
        return {}
    out = {}
    for k, v in zip(table.keys, table.values):
        if not isinstance(k, ast.Constant):
            continue
        c = None
        if isinstance(v, ast.Name):
            c = env.get(v.id)
            if isinstance(c, str):
                c = env.get(c)
            if c is None:
                c = eval_expr(src, mod, v, {})
        out[k.value] = min_cap_of(c) if isinstance(c, ClassRef) else None
    return out


def min_cap_of(cref, depth=0):
    for st in cref.node.body:
        if isinstance(st, ast.FunctionDef) and st.name == "get_min_capability":
            rets = [n for n in ast.walk(st) if isinstance(n, ast.Return)]
            if len(rets) == 1:
                v = eval_expr(cref.src, cref.mod, rets[0].value, {})
                if isinstance(v, int):
                    return v
            return COMPUTED
    if depth < 10:
        for text, b in class_bases(cref):
            if isinstance(b, ClassRef):
                r = min_cap_of(b, depth + 1)
                if r is not None:
                    return r
    return None


def kv_cache_dtypes(src):
    for mod in ("vllm.config.cache", "vllm.config"):
        m = src.module(mod)
        if m and "CacheDType" in m["syms"]:
            t = hints(tev(src, mod, ast.Name(id="CacheDType")))
            if len(t) == 1 and t[0][0] == "lit":
                return list(t[0][1]), src.rel(mod)
    return None, None


def extra_info(results, versions):
    v = versions[-1]
    qmc, kvd = {}, {}
    for ver in versions:
        src = results[ver][2]
        qmc[ver] = quant_min_capability(src)
        vals, f = kv_cache_dtypes(src)
        flag = results[ver][0].get("kv_cache_dtype", {})
        kvd[ver] = {"values": vals, "file": f,
                    "enforced_by": "argparse choices" if flag.get("choices") else
                    "CacheConfig validation after parsing (CacheDType literal / KV_CACHE_DTYPES)"}
    return {
        "quantization_min_capability": {
            "note": "get_quantization_config(method) -> QuantizationConfig class -> get_min_capability() "
                    "(compute capability as major*10+minor). VllmConfig._get_quantization_config refuses "
                    "start-up when the GPU's capability is lower. null = class not resolved statically; "
                    "'<computed>' = not a constant return.",
            "per_version": qmc,
        },
        "kv_cache_dtype_values": kvd,
        "positional": "model_tag (optional; `vllm serve [model_tag] [options]`)",
        "intercepted_before_parsing": {
            "--omni": {
                "note": "vllm/entrypoints/cli/main.py maybe_run_omni(): when '--omni' is anywhere in argv the "
                        "whole command is handed to the vllm_omni package (error and exit 1 if not installed)",
                "versions": [ver for ver in versions
                             if "maybe_run_omni" in (results[ver][2].module("vllm.entrypoints.cli.main") or
                                                     {"text": ""})["text"]],
            },
        },
        "not_seen_statically": "flags added at run time by platform plugins "
                               "(current_platform.pre_register_and_update(parser)); none for CUDA",
    }


if __name__ == "__main__":
    sys.exit(main())
