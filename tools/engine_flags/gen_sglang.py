#!/usr/bin/env python3
"""Generate llmdoctor/engines/sglang/cli_flags.json from SGLang's own source.

The table lists every command-line option that ``python -m sglang.launch_server``
(``sglang serve`` in newer releases) accepts, version by version.  It is made by
reading the source statically (``ast``); SGLang is never imported, so neither
torch nor a GPU is needed.

Getting the sources
-------------------
The PyPI package ``sglang`` ships the ``python/sglang`` tree of the
sgl-project/sglang repository.  For each version::

    pip download --no-deps --only-binary=:all: sglang==0.5.23 -d /tmp/sglang-work/dl
    mkdir -p /tmp/sglang-work/src/0.5.23
    unzip -q /tmp/sglang-work/dl/sglang-0.5.23-*.whl -d /tmp/sglang-work/src/0.5.23

(an sdist works too: unpack it and point at its ``python`` directory).  A
source root is any directory that contains the ``sglang/`` package, i.e. in
which ``sglang/srt/server_args.py`` exists.

Re-running
----------
::

    python tools/engine_flags/gen_sglang.py \\
        --out llmdoctor/engines/sglang/cli_flags.json \\
        0.4.3=/tmp/sglang-work/src/0.4.3 ... 0.5.23=/tmp/sglang-work/src/0.5.23

or ``--root /tmp/sglang-work/src`` to take every ``<root>/<version>`` directory,
or ``--manifest FILE`` with a JSON object ``{"0.5.23": {"path": "...",
"artifact": "sglang-0.5.23-....whl sha256:...", "commit": null}, ...}``.
With ``--dl DIR`` the artifact names and sha256 sums are computed from the
wheels in DIR.  Only the standard library (and ``packaging`` if installed, for
version sorting) is used.

How the options are found
-------------------------
``launch_server.py`` calls ``prepare_server_args(sys.argv[1:])`` in
``sglang/srt/server_args.py``, which builds ``argparse.ArgumentParser()``
(``prog="sglang serve"`` from 0.5.12 on) and calls ``ServerArgs.add_cli_args``.
The generator interprets the body of ``add_cli_args`` statement by statement:

* ``parser.add_argument(...)`` calls are recorded with their keyword values
  evaluated by a small static evaluator (literals, module constants, names
  imported from other sglang modules, ``ServerArgs.<field>`` defaults,
  f-strings, ``list(X.keys())``, simple helper functions, enum members ...).
* ``add_cli_args_from_dataclass(parser, ServerArgs)`` (0.5.16 on) is emulated
  exactly as ``sglang/srt/arg_groups/arg_utils.py`` does it, over the fields of
  ``ServerArgs`` (0.5.16) or of the namespace classes listed in
  ``_INPUT_NAMESPACES`` (``arg_groups/fields/*.py``, 0.5.20 on): every field
  annotated ``A[T, "help"]`` or ``A[T, Arg(...)]`` without ``no_cli=True``.
  The generator checks that the body of that function is one it knows (the
  normalised source is hashed) and stops otherwise.
* ``if envs.X.get():`` blocks are evaluated with the env var's declared
  default (the state with no env var set); they are noted in ``extra``.
* argparse's own ``-h/--help`` is included (dest ``help``).

Choice lists can be extended at run time by out-of-tree plugins
(``add_*_choices`` helpers); the table has the in-tree lists.

Meaning of the spec fields
--------------------------
``type`` (how argparse converts the value):

* ``str`` / ``int`` / ``float``: Python ``str()`` / ``int()`` / ``float()``;
  ``int`` rejects ``1.5`` and ``1e3``.
* ``bool``: the option takes no value (``store_true`` / ``store_false`` /
  ``BooleanOptionalAction`` / a deprecated no-value action).
* ``pybool``: ``type=bool`` on a valued option: any non-empty string is True.
* ``json``: ``json.loads`` of the value (a bad value gives argparse's
  "invalid loads value").
* ``json_list``: sglang's ``json_list_type`` (``json.loads``, must give a list).
* ``nullable_str``: ``str``, but ``"None"``/``""`` become None.
* ``human_readable_int``: an int, with suffixes such as ``4k``/``1M`` accepted.
* other names: the name of the converter function in sglang's source.
* with ``nargs`` set, ``type`` is the type of each element.

``action``: ``store``, ``store_true``, ``store_false``, ``store_const``,
``append``, ``help``, ``BooleanOptionalAction`` (also accepts ``--no-X``; those
spellings are listed in ``names``), or the name of sglang's own Action class
(``LoRAPathAction``, ``DeprecatedAction``, ``DeprecatedStoreTrueAction``,
``DeprecatedStoreConstAction``, ``DeprecatedAliasStoreAction``).

``default``: the value argparse puts in the namespace when the option is
absent (it is what ``ServerArgs`` receives); null means None, which most
fields resolve later at start-up.  ``"<computed>"`` means the default could not
be evaluated statically (see ``extra.unresolved``); ``"==SUPPRESS=="`` is
``argparse.SUPPRESS`` (attribute left unset).

``required``: argparse refuses to start when it is missing.
``deprecated``: the warning sglang prints when the option is used, or null.
``error``: set when using the option stops the launch (``parser.error``).
``aliases``: further ``add_argument`` registrations that write the same
dest (typically deprecated spellings), each with its own spec; their option
strings are also in ``names``.
``help``: first sentence of the help text, at most 160 characters; null
when the help is ``argparse.SUPPRESS`` (hidden option).
``argparse_dest``: the argparse dest when it differs from the ServerArgs field
(``--tensor-parallel-size`` stores ``tensor_parallel_size`` and
``from_cli_args`` copies it to ``tp_size`` before 0.5.16); ``dest`` is always
the ServerArgs field.

``env_vars``: a curated list (ENV_VARS below) of variables that matter for
start-up refusals or memory; a span covers the versions whose ``sglang/srt``
source mentions the name; ``default`` is the one declared in ``srt/environ.py``
of the newest version that declares it (older versions read them with
``get_bool_env_var``, default false).

Checked against the real parser: for all ten versions read, building
``argparse`` through sglang's own ``ServerArgs.add_cli_args`` (with torch and
other heavy imports stubbed) gave the same dests, option strings, types,
choices, nargs, defaults and required flags as this table.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import re
import sys
import zipfile

GENERATED_BY = "tools/engine_flags/gen_sglang.py"
PROGRAM = "python -m sglang.launch_server"
REPO = "sgl-project/sglang"
SUPPRESS = "==SUPPRESS=="
COMPUTED = "<computed>"



class Unresolved(Exception):
    pass


# ---------------------------------------------------------------------------
# Values produced by the static evaluator
# ---------------------------------------------------------------------------


class Ext:
    """An object from outside the sglang tree (json.loads, argparse.X, str)."""

    def __init__(self, qual):
        self.qual = qual

    def __repr__(self):
        return f"Ext({self.qual})"

    def __eq__(self, other):
        return isinstance(other, Ext) and other.qual == self.qual

    def __hash__(self):
        return hash(self.qual)


class ModRef:
    def __init__(self, name):
        self.name = name


class ClassRef:
    def __init__(self, mod, node):
        self.mod, self.node = mod, node

    @property
    def name(self):
        return self.node.name


class FuncRef:
    def __init__(self, mod, node, self_obj=None):
        self.mod, self.node, self.self_obj = mod, node, self_obj

    @property
    def name(self):
        return self.node.name


class EnumMember:
    def __init__(self, cls, name, value):
        self.cls, self.name, self.value = cls, name, value


class EnvVar:
    def __init__(self, name, default):
        self.name, self.default = name, default


class Lambda:
    def __init__(self, mod, node, env):
        self.mod, self.node, self.env = mod, node, env


class _Missing:
    def __repr__(self):
        return "MISSING"


MISSING = _Missing()

BUILTIN_FUNCS = {"list", "tuple", "sorted", "set", "dict", "str", "int", "float",
                 "bool", "len", "repr", "frozenset", "min", "max", "any", "all"}
SAFE_METHODS = {
    str: {"lower", "upper", "replace", "strip", "join", "format", "split",
          "startswith", "endswith", "title", "capitalize", "rstrip", "lstrip"},
    dict: {"keys", "values", "items", "get", "copy"},
    list: {"copy", "index", "count"},
    tuple: {"index", "count"},
}


# ---------------------------------------------------------------------------
# Module index and evaluator
# ---------------------------------------------------------------------------


class SourceTree:
    def __init__(self, root):
        self.root = root
        self.mods = {}
        self.files_read = set()
        self.unresolved = []
        self.env_reads = []
        self.notes = []

    def path_of(self, modname):
        parts = modname.split(".")
        base = os.path.join(self.root, *parts)
        if os.path.isfile(base + ".py"):
            return base + ".py"
        if os.path.isfile(os.path.join(base, "__init__.py")):
            return os.path.join(base, "__init__.py")
        return None

    def module(self, modname):
        if modname not in self.mods:
            path = self.path_of(modname)
            self.mods[modname] = Module(self, modname, path) if path else None
        return self.mods[modname]


class Module:
    def __init__(self, tree, name, path):
        self.tree, self.name, self.path = tree, name, path
        with open(path, encoding="utf-8") as f:
            self.src = f.read()
        self.ast = ast.parse(self.src)
        self.is_pkg = path.endswith("__init__.py")
        self.bindings = {}  # name -> node that binds it (last one wins)
        self.mutations = {}  # name -> [statement nodes], applied in order
        self.cache = {}
        self._collect(self.ast.body)

    @property
    def relpath(self):
        return os.path.relpath(self.path, self.tree.root).replace(os.sep, "/")

    def _collect(self, body, conds=()):
        for st in body:
            if isinstance(st, (ast.Import, ast.ImportFrom)):
                for alias in st.names:
                    if alias.name == "*":
                        continue
                    nm = alias.asname or alias.name.split(".")[0]
                    self.bindings[nm] = (st, alias)
            elif isinstance(st, ast.Assign):
                for t in st.targets:
                    if isinstance(t, ast.Name):
                        self.bindings[t.id] = st
                        self.mutations.pop(t.id, None)
            elif isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name):
                if st.value is not None:
                    self.bindings[st.target.id] = st
            elif isinstance(st, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                self.bindings[st.name] = st
            elif isinstance(st, ast.AugAssign) and isinstance(st.target, ast.Name):
                self.mutations.setdefault(st.target.id, []).append((st, conds))
            elif (isinstance(st, ast.Expr) and isinstance(st.value, ast.Call)
                  and isinstance(st.value.func, ast.Attribute)
                  and isinstance(st.value.func.value, ast.Name)
                  and st.value.func.attr in ("append", "extend", "add", "update")):
                self.mutations.setdefault(st.value.func.value.id, []).append((st, conds))
            elif isinstance(st, ast.Try):
                self._collect(st.body, conds)
            elif isinstance(st, ast.If):
                # Bindings under `if` (e.g. `if TYPE_CHECKING:` imports) are taken;
                # mutations of a constant under `if` apply only when the test
                # holds with no env var set.
                self._collect(st.body, conds + (st.test,))

    # -- name lookup ------------------------------------------------------
    def lookup(self, name):
        if name in self.cache:
            return self.cache[name]
        node = self.bindings.get(name)
        if node is None:
            if name in BUILTIN_FUNCS or name in ("None", "True", "False", "Exception"):
                return Ext("builtins." + name)
            raise Unresolved(f"{self.name}: name {name!r} not bound")
        self.tree.files_read.add(self.relpath)
        if isinstance(node, tuple):
            st, alias = node
            val = self._import_value(st, alias)
        elif isinstance(node, ast.ClassDef):
            val = ClassRef(self, node)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            val = FuncRef(self, node)
        else:
            val = Evaluator(self).eval(node.value)
            for mut, conds in self.mutations.get(name, []):
                ev = Evaluator(self)
                ok = True
                for c in conds:
                    before = len(self.tree.env_reads)
                    try:
                        ok = ok and bool(ev.eval(c))
                    except Unresolved:
                        ok = False
                    self.tree.notes.append(
                        f"{self.relpath}:{mut.lineno}: `{ast.unparse(mut)[:80]}` under "
                        f"`if {ast.unparse(c)}:` {'applied' if ok else 'not applied'}"
                        + (f" (env {', '.join(self.tree.env_reads[before:])} unset)"
                           if self.tree.env_reads[before:] else ""))
                if not ok:
                    continue
                if isinstance(mut, ast.AugAssign):
                    val = ev.binop(mut.op, val, ev.eval(mut.value))
                else:
                    call = mut.value
                    args = [ev.eval(a) for a in call.args]
                    getattr(val, call.func.attr)(*args)
        self.cache[name] = val
        return val

    def _abs_module(self, st):
        if st.level == 0:
            return st.module
        pkg = self.name.split(".") if self.is_pkg else self.name.split(".")[:-1]
        if st.level > 1:
            pkg = pkg[: len(pkg) - (st.level - 1)]
        return ".".join(pkg + ([st.module] if st.module else []))

    def _import_value(self, st, alias):
        if isinstance(st, ast.Import):
            target = alias.name if alias.asname else alias.name.split(".")[0]
            if self.tree.path_of(target):
                return ModRef(target)
            return Ext(target)
        modname = self._abs_module(st)
        sub = modname + "." + alias.name
        if self.tree.path_of(sub):
            return ModRef(sub)
        mod = self.tree.module(modname)
        if mod is None:
            return Ext(sub)
        return mod.lookup(alias.name)


def _ext_attr(qual):
    if qual == "argparse.SUPPRESS":
        return SUPPRESS
    if qual == "sys.maxsize":
        return 2 ** 63 - 1  # 64-bit CPython
    return Ext(qual)


class Evaluator:
    def __init__(self, mod, env=None):
        self.mod = mod
        self.env = dict(env or {})

    def fail(self, node, why=""):
        raise Unresolved(f"{self.mod.relpath}:{getattr(node, 'lineno', '?')}: "
                         f"{ast.unparse(node)[:120]} {why}".strip())

    def eval(self, node):
        m = getattr(self, "e_" + type(node).__name__, None)
        if m is None:
            self.fail(node, f"(unsupported {type(node).__name__})")
        return m(node)

    def e_Constant(self, n):
        return n.value

    def e_List(self, n):
        out = []
        for e in n.elts:
            if isinstance(e, ast.Starred):
                out.extend(self.eval(e.value))
            else:
                out.append(self.eval(e))
        return out

    def e_Tuple(self, n):
        return tuple(self.e_List(n))

    def e_Set(self, n):
        return set(self.e_List(n))

    def e_Dict(self, n):
        out = {}
        for k, v in zip(n.keys, n.values):
            if k is None:
                out.update(self.eval(v))
            else:
                out[self.eval(k)] = self.eval(v)
        return out

    def e_Name(self, n):
        if n.id in self.env:
            return self.env[n.id]
        return self.mod.lookup(n.id)

    def e_JoinedStr(self, n):
        parts = []
        for v in n.values:
            if isinstance(v, ast.Constant):
                parts.append(v.value)
            else:
                parts.append(self.e_FormattedValue(v))
        return "".join(parts)

    def e_FormattedValue(self, n):
        val = self.plain(self.eval(n.value), n)
        if n.conversion == ord("r"):
            val = repr(val)
        elif n.conversion == ord("s"):
            val = str(val)
        elif n.conversion == ord("a"):
            val = ascii(val)
        spec = self.eval(n.format_spec) if n.format_spec else ""
        return format(val, spec)

    def plain(self, v, node):
        if isinstance(v, (Ext, ModRef, ClassRef, FuncRef, Lambda)):
            self.fail(node, "(not a plain value)")
        if isinstance(v, EnumMember):
            return v.value
        return v

    def binop(self, op, a, b):
        if isinstance(op, ast.Add):
            return a + b
        if isinstance(op, ast.Mod):
            return a % b
        if isinstance(op, ast.Mult):
            return a * b
        if isinstance(op, ast.Sub):
            return a - b
        if isinstance(op, ast.BitOr):
            return a | b
        if isinstance(op, ast.Div):
            return a / b
        if isinstance(op, ast.FloorDiv):
            return a // b
        if isinstance(op, ast.Pow):
            return a ** b
        raise Unresolved(f"operator {type(op).__name__}")

    def e_BinOp(self, n):
        return self.binop(n.op, self.eval(n.left), self.eval(n.right))

    def e_UnaryOp(self, n):
        v = self.eval(n.operand)
        if isinstance(n.op, ast.USub):
            return -v
        if isinstance(n.op, ast.Not):
            return not v
        if isinstance(n.op, ast.UAdd):
            return +v
        self.fail(n)

    def e_BoolOp(self, n):
        if isinstance(n.op, ast.And):
            v = True
            for e in n.values:
                v = self.eval(e)
                if not v:
                    return v
            return v
        v = False
        for e in n.values:
            v = self.eval(e)
            if v:
                return v
        return v

    def e_Compare(self, n):
        left = self.eval(n.left)
        for op, right_n in zip(n.ops, n.comparators):
            right = self.eval(right_n)
            if isinstance(op, ast.Is):
                ok = left is right
            elif isinstance(op, ast.IsNot):
                ok = left is not right
            elif isinstance(op, ast.Eq):
                ok = left == right
            elif isinstance(op, ast.NotEq):
                ok = left != right
            elif isinstance(op, ast.In):
                ok = left in right
            elif isinstance(op, ast.NotIn):
                ok = left not in right
            else:
                self.fail(n)
            if not ok:
                return False
            left = right
        return True

    def e_IfExp(self, n):
        return self.eval(n.body) if self.eval(n.test) else self.eval(n.orelse)

    def e_Subscript(self, n):
        v = self.eval(n.value)
        if isinstance(v, (list, tuple, dict, str)):
            return v[self.eval(n.slice)]
        self.fail(n)

    def e_Slice(self, n):
        return slice(*(self.eval(x) if x is not None else None
                       for x in (n.lower, n.upper, n.step)))

    def e_Lambda(self, n):
        return Lambda(self.mod, n, self.env)

    def _comp(self, n, make):
        out = []

        def rec(i, env):
            if i == len(n.generators):
                ev = Evaluator(self.mod, env)
                out.append(make(ev))
                return
            g = n.generators[i]
            for item in self.iterate(Evaluator(self.mod, env).eval(g.iter), n):
                env2 = dict(env)
                self.bind(g.target, item, env2)
                ev = Evaluator(self.mod, env2)
                if all(ev.eval(c) for c in g.ifs):
                    rec(i + 1, env2)

        rec(0, self.env)
        return out

    def bind(self, target, value, env):
        if isinstance(target, ast.Name):
            env[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            for t, v in zip(target.elts, value):
                self.bind(t, v, env)
        else:
            self.fail(target)

    def e_ListComp(self, n):
        return self._comp(n, lambda ev: ev.eval(n.elt))

    def e_SetComp(self, n):
        return set(self._comp(n, lambda ev: ev.eval(n.elt)))

    def e_GeneratorExp(self, n):
        return self._comp(n, lambda ev: ev.eval(n.elt))

    def e_DictComp(self, n):
        return dict(self._comp(n, lambda ev: (ev.eval(n.key), ev.eval(n.value))))

    def iterate(self, v, node):
        if isinstance(v, ClassRef) and is_enum(v):
            return enum_members(v)
        if isinstance(v, (list, tuple, set, dict, str, frozenset, type({}.keys()),
                          type({}.values()), type({}.items()))):
            return list(v)
        self.fail(node, "(not iterable)")

    def e_Attribute(self, n):
        base = self.eval(n.value)
        return self.attr(base, n.attr, n)

    def attr(self, base, name, node):
        if isinstance(base, ModRef):
            sub = base.name + "." + name
            if self.mod.tree.path_of(sub):
                return ModRef(sub)
            mod = self.mod.tree.module(base.name)
            return mod.lookup(name)
        if isinstance(base, Ext):
            if base.qual == "sglang.srt.environ.envs":
                pass
            return _ext_attr(base.qual + "." + name)
        if isinstance(base, ClassRef):
            return class_attr(base, name)
        if isinstance(base, EnumMember):
            if name == "name":
                return base.name
            if name == "value":
                return base.value
        if isinstance(base, (FuncRef, ClassRef)) and name == "__doc__":
            return ast.get_docstring(base.node, clean=False)
        if isinstance(base, EnvVar):
            if name in ("get", "value"):
                return ("envget", base)
        if isinstance(base, Envs):
            return base.var(name)
        for typ, methods in SAFE_METHODS.items():
            if isinstance(base, typ) and name in methods:
                return getattr(base, name)
        self.fail(node, f"(attribute {name} of {type(base).__name__})")

    def e_Call(self, n):
        func = self.eval(n.func)
        args = []
        for a in n.args:
            if isinstance(a, ast.Starred):
                args.extend(self.eval(a.value))
            else:
                args.append(self.eval(a))
        kwargs = {k.arg: self.eval(k.value) for k in n.keywords if k.arg}
        return self.call(func, args, kwargs, n)

    def call(self, func, args, kwargs, node):
        if callable(func) and not isinstance(func, (Ext, ClassRef, FuncRef, Lambda)):
            return func(*args, **kwargs)  # safe bound methods of plain values
        if isinstance(func, tuple) and func and func[0] == "envget":
            env = func[1]
            self.mod.tree.env_reads.append(env.name)
            return env.default
        if isinstance(func, Ext):
            q = func.qual
            short = q.split(".")[-1]
            if q.startswith("builtins.") and short in BUILTIN_FUNCS:
                if short in ("list", "tuple", "sorted", "set", "frozenset") and args:
                    args = [self.iterate(args[0], node)] + args[1:]
                return {"list": list, "tuple": tuple, "sorted": sorted, "set": set,
                        "dict": dict, "str": str, "int": int, "float": float,
                        "bool": bool, "len": len, "repr": repr,
                        "frozenset": frozenset, "min": min, "max": max,
                        "any": any, "all": all}[short](*args, **kwargs)
            if q in ("sys.modules.get",):
                return None  # at argument-parsing time the module is not loaded
            if q in ("os.environ.get", "os.getenv"):
                self.mod.tree.env_reads.append(args[0])
                return args[1] if len(args) > 1 else kwargs.get("default")
            if short == "field" and q.split(".")[0] in ("dataclasses", "msgspec"):
                return ("field", kwargs)
            self.fail(node, "(external call)")
        if isinstance(func, ClassRef):
            if is_enum(func):
                # SomeEnum(value) -> member
                for m in enum_members(func):
                    if m.value == args[0]:
                        return m
            self.fail(node, "(class instantiation)")
        if isinstance(func, FuncRef):
            if func.name == "field":
                return ("field", kwargs)
            return run_function(func, args, kwargs)
        if isinstance(func, Lambda):
            env = dict(func.env)
            for p, a in zip(func.node.args.args, args):
                env[p.arg] = a
            return Evaluator(func.mod, env).eval(func.node.body)
        self.fail(node, "(call)")


class Envs:
    """sglang.srt.environ.envs: attribute -> EnvVar with its declared default."""

    def __init__(self, cls):
        self.cls = cls

    def var(self, name):
        for st in self.cls.node.body:
            if isinstance(st, (ast.Assign, ast.AnnAssign)):
                tgt = st.targets[0] if isinstance(st, ast.Assign) else st.target
                if isinstance(tgt, ast.Name) and tgt.id == name:
                    default = None
                    call = st.value
                    if isinstance(call, ast.Call) and call.args:
                        try:
                            default = Evaluator(self.cls.mod).eval(call.args[0])
                        except Unresolved:
                            default = None
                    elif isinstance(call, ast.Call):
                        for k in call.keywords:
                            if k.arg == "default":
                                default = Evaluator(self.cls.mod).eval(k.value)
                    return EnvVar(name, default)
        return EnvVar(name, None)


def run_function(func, args, kwargs):
    """Interpret a small helper function (assignments, ifs, imports, return)."""
    node = func.node
    env = {}
    params = [a.arg for a in node.args.args]
    if func.self_obj is not None:
        params = params[1:]
    for p, a in zip(params, args):
        env[p] = a
    env.update(kwargs)
    ev = Evaluator(func.mod, env)
    res = _run_body(node.body, ev, func.mod)
    if res is _NORETURN:
        raise Unresolved(f"{func.mod.relpath}:{node.lineno}: {node.name} returns nothing")
    return res


_NORETURN = object()


def _run_body(body, ev, mod):
    for st in body:
        if isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant):
            continue
        if isinstance(st, ast.Return):
            return ev.eval(st.value) if st.value is not None else None
        if isinstance(st, ast.Assign):
            val = ev.eval(st.value)
            for t in st.targets:
                ev.bind(t, val, ev.env)
            continue
        if isinstance(st, (ast.Import, ast.ImportFrom)):
            for alias in st.names:
                nm = alias.asname or alias.name.split(".")[0]
                ev.env[nm] = mod._import_value(st, alias)
            continue
        if isinstance(st, ast.If):
            branch = st.body if ev.eval(st.test) else st.orelse
            res = _run_body(branch, ev, mod)
            if res is not _NORETURN:
                return res
            continue
        ev.fail(st, "(statement in helper)")
    return _NORETURN


def is_enum(cls):
    for b in cls.node.bases:
        txt = ast.unparse(b)
        if txt.split(".")[-1] in ("Enum", "IntEnum", "StrEnum", "Flag", "IntFlag"):
            return True
    return False


def enum_members(cls):
    out = []
    auto_i = 0
    for st in cls.node.body:
        if isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name):
            nm = st.targets[0].id
            if nm.startswith("_"):
                continue
            if isinstance(st.value, ast.Call) and ast.unparse(st.value.func).endswith("auto"):
                auto_i += 1
                val = auto_i
            else:
                val = Evaluator(cls.mod).eval(st.value)
            out.append(EnumMember(cls, nm, val))
    return out


def class_attr(cls, name):
    # record fields assembled from namespaces (0.5.20+) are looked up first
    extra = getattr(cls, "record_fields", None)
    if extra and name in extra:
        f = extra[name]
        return f["default"]
    local = {}  # class-body scope: earlier names are visible to later ones
    for st in cls.node.body:
        if isinstance(st, ast.Assign):
            for t in st.targets:
                if isinstance(t, ast.Name) and t.id == name:
                    return Evaluator(cls.mod, local).eval(st.value)
            if len(st.targets) == 1 and isinstance(st.targets[0], ast.Name):
                try:
                    local[st.targets[0].id] = Evaluator(cls.mod, local).eval(st.value)
                except Unresolved:
                    pass
        elif isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name) and st.target.id == name:
            if st.value is None:
                raise Unresolved(f"{cls.name}.{name} has no default")
            return field_default_value(cls.mod, st.value)
        elif isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)) and st.name == name:
            return FuncRef(cls.mod, st, self_obj=cls)
        elif isinstance(st, ast.ClassDef) and st.name == name:
            return ClassRef(cls.mod, st)
    if cls.node.name == "Envs" or ast.unparse(cls.node).startswith("class Envs"):
        pass
    for b in cls.node.bases:
        try:
            base = Evaluator(cls.mod).eval(b)
        except Unresolved:
            continue
        if isinstance(base, ClassRef):
            try:
                return class_attr(base, name)
            except Unresolved:
                pass
    raise Unresolved(f"{cls.mod.relpath}: {cls.name}.{name} not found")


def field_default_value(mod, value_node):
    """Default of a dataclass / msgspec field given the assigned expression."""
    v = Evaluator(mod).eval(value_node)
    if isinstance(v, tuple) and len(v) == 2 and v[0] == "field":
        kw = v[1]
        if "default" in kw:
            return kw["default"]
        fac = kw.get("default_factory")
        if fac is not None:
            if isinstance(fac, Ext) and fac.qual.startswith("builtins."):
                return {"list": [], "dict": {}, "set": set(), "tuple": ()}.get(
                    fac.qual.split(".")[-1], COMPUTED)
            if isinstance(fac, Lambda):
                return Evaluator(fac.mod, fac.env).eval(fac.node.body)
            if isinstance(fac, FuncRef):
                return run_function(fac, [], {})
            return COMPUTED
        return MISSING
    return v


# ---------------------------------------------------------------------------
# Flag records
# ---------------------------------------------------------------------------

TYPE_NAMES = {
    "builtins.str": "str", "builtins.int": "int", "builtins.float": "float",
    "builtins.bool": "pybool", "json.loads": "json",
}
FUNC_TYPE_NAMES = {"json_list_type": "json_list"}


def type_name(v):
    if v is None:
        return None
    if isinstance(v, Ext):
        return TYPE_NAMES.get(v.qual, v.qual.split(".")[-1])
    if isinstance(v, (FuncRef, ClassRef)):
        return FUNC_TYPE_NAMES.get(v.name, v.name)
    if isinstance(v, Lambda):
        return "callable"
    return str(v)


def action_name(v):
    if v is None:
        return "store"
    if isinstance(v, str):
        return v
    if isinstance(v, Ext):
        return v.qual.split(".")[-1]
    if isinstance(v, (ClassRef, FuncRef)):
        return v.name
    return str(v)


NO_VALUE_ACTIONS = {"store_true", "store_false", "store_const", "help", "version",
                    "count", "append_const", "BooleanOptionalAction",
                    "DeprecatedStoreTrueAction"}


def jsonable(v):
    if v is MISSING:
        return None
    if isinstance(v, EnumMember):
        return v.value
    if isinstance(v, (set, frozenset)):
        return sorted(jsonable(x) for x in v)
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    return COMPUTED


def first_sentence(text):
    if text is None:
        return None
    if text == SUPPRESS:
        return None
    t = " ".join(str(text).split())
    m = re.search(r"(?<!e\.g)(?<!i\.e)(?<!etc)\.(\s|$)", t)
    if m:
        t = t[: m.start() + 1]
    if len(t) > 160:
        t = t[:157].rstrip() + "..."
    return t


class Recorder:
    def __init__(self, tree, version):
        self.tree = tree
        self.version = version
        self.calls = []  # in registration order
        self.renames = {}  # argparse dest -> ServerArgs field (from_cli_args)
        self.option_strings = {}

    def add(self, names, kw, where):
        """kw: evaluated keyword values (COMPUTED where unresolved)."""
        for nm in names:
            if nm in self.option_strings:
                raise SystemExit(f"{self.version}: option {nm} registered twice "
                                 f"({self.option_strings[nm]} and {where})")
            self.option_strings[nm] = where
        dest = kw.get("dest")
        if dest is None:
            longs = [n for n in names if n.startswith("--")]
            first = longs[0] if longs else names[0]
            dest = first.lstrip("-").replace("-", "_")
        action = action_name(kw.get("action"))
        all_names = list(names)
        if action == "BooleanOptionalAction":
            all_names += ["--no-" + n[2:] for n in names if n.startswith("--")]
        typ = type_name(kw.get("type"))
        nargs = kw.get("nargs")
        if action in NO_VALUE_ACTIONS or (action.startswith("Deprecated") and nargs in (None, 0)
                                          and "type" not in kw and action != "DeprecatedAliasStoreAction"
                                          and not (action == "DeprecatedStoreConstAction" and nargs is None and "nargs" in kw)):
            if action not in ("help", "version"):
                typ = "bool"
            nargs_out = None
        else:
            nargs_out = nargs
            if typ is None:
                typ = "str"
        if action == "DeprecatedStoreConstAction" and "nargs" in kw and kw["nargs"] is None:
            typ = typ if typ != "bool" else "str"
            if typ is None:
                typ = "str"
        if action in ("DeprecatedAction", "DeprecatedStoreTrueAction", "DeprecatedStoreConstAction") and "nargs" not in kw:
            nargs_out = None
        choices = kw.get("choices")
        if choices is not None and choices != COMPUTED:
            choices = [str(jsonable(c)) if not isinstance(c, str) else c for c in
                       (sorted(choices) if isinstance(choices, (set, frozenset)) else choices)]
        if "default" in kw:
            default = kw["default"]
        elif action == "store_true" or action == "DeprecatedStoreTrueAction":
            default = False
        elif action == "store_false":
            default = True
        elif action == "help":
            default = SUPPRESS
        else:
            default = None
        deprecated = None
        error = None
        if action.startswith("Deprecated"):
            nf = kw.get("new_flag")
            opt = names[0]
            if action == "DeprecatedAction":
                if kw.get("error_message"):
                    error = kw["error_message"]
                deprecated = (f"The command line argument '{opt}' is deprecated and "
                              "will be removed in future versions.")
                if error:
                    deprecated = error
            else:
                deprecated = (f"'{opt}' is deprecated and will be removed in a future release."
                              + (f" Use '{nf}' instead." if nf else ""))
        if jsonable(default) == COMPUTED and default != COMPUTED:
            self.tree.unresolved.append(f"{where} ({names[0]}) default: {default!r} is not a plain value")
        helptext = kw.get("help")
        required = bool(kw.get("required", False)) if kw.get("required") != COMPUTED else COMPUTED
        spec = {
            "names": all_names,
            "type": typ,
            "action": action,
            "nargs": jsonable(nargs_out),
            "choices": choices,
            "default": jsonable(default),
            "required": required,
            "deprecated": deprecated,
            "error": error,
            "env": None,
            "help": first_sentence(helptext) if helptext != COMPUTED else COMPUTED,
        }
        if typ == "int" and isinstance(spec["default"], bool):
            pass
        self.calls.append((dest, spec))

    def flags(self):
        by_dest = {}
        for dest, spec in self.calls:
            field = self.renames.get(dest, dest)
            spec = dict(spec, argparse_dest=dest if field != dest else None)
            by_dest.setdefault(field, []).append(spec)
        out = {}
        for dest, specs in by_dest.items():
            primary = next((s for s in specs if not s["deprecated"]), specs[0])
            rest = [s for s in specs if s is not primary]
            merged = dict(primary)
            names = list(primary["names"])
            for s in rest:
                names += [n for n in s["names"] if n not in names]
            merged["names"] = names
            merged["aliases"] = [
                {k: s[k] for k in ("names", "type", "action", "nargs", "choices",
                                   "default", "deprecated", "error", "help", "argparse_dest")}
                for s in rest
            ]
            out[dest] = merged
        return out


# ---------------------------------------------------------------------------
# Interpreting add_cli_args
# ---------------------------------------------------------------------------


def find_function(mod, cls_name, fn_name):
    for st in mod.ast.body:
        if isinstance(st, ast.ClassDef) and st.name == cls_name:
            for s in st.body:
                if isinstance(s, ast.FunctionDef) and s.name == fn_name:
                    return st, s
    raise SystemExit(f"{mod.relpath}: {cls_name}.{fn_name} not found")


def eval_kw(ev, node, tree, where, key):
    try:
        return ev.eval(node)
    except (Unresolved, TypeError, KeyError, AttributeError, ValueError, IndexError) as e:
        tree.unresolved.append(f"{where} {key}: {e}")
        return COMPUTED


def interpret_body(body, ev, rec, tree, parser_name, ctx):
    for st in body:
        where = f"{ev.mod.relpath}:{st.lineno}"
        if isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant):
            continue
        if isinstance(st, ast.Expr) and isinstance(st.value, ast.Call):
            call = st.value
            f = call.func
            if (isinstance(f, ast.Attribute) and f.attr == "add_argument"
                    and isinstance(f.value, ast.Name) and f.value.id == parser_name):
                names = [ev.eval(a) for a in call.args]
                kw = {}
                for k in call.keywords:
                    kw[k.arg] = eval_kw(ev, k.value, tree, where + f" ({names[0]})", k.arg)
                rec.add(names, kw, where)
                continue
            fname = ast.unparse(f)
            if fname.endswith("add_cli_args_from_dataclass"):
                emulate_dataclass_args(ctx, rec, tree)
                continue
            if (isinstance(f, ast.Attribute) and f.attr in ("add", "append", "extend", "update")
                    and isinstance(f.value, ast.Name) and f.value.id in ev.env):
                getattr(ev.env[f.value.id], f.attr)(*[ev.eval(a) for a in call.args])
                continue
            # helper that receives the parser
            if any(isinstance(a, ast.Name) and a.id == parser_name for a in call.args):
                fn = ev.eval(f)
                if isinstance(fn, FuncRef):
                    sub_parser = fn.node.args.args[[i for i, a in enumerate(call.args)
                                                    if isinstance(a, ast.Name) and a.id == parser_name][0]
                                                   + (1 if fn.self_obj else 0)].arg
                    interpret_body(fn.node.body, Evaluator(fn.mod), rec, tree, sub_parser, ctx)
                    continue
            raise SystemExit(f"{where}: unsupported statement in add_cli_args: {ast.unparse(st)[:200]}")
        if isinstance(st, ast.Assign):
            try:
                val = ev.eval(st.value)
            except Unresolved as e:
                tree.unresolved.append(f"{where}: {e}")
                val = COMPUTED
            for t in st.targets:
                ev.bind(t, val, ev.env)
            continue
        if isinstance(st, ast.If):
            test_src = ast.unparse(st.test)
            before = len(tree.env_reads)
            val = ev.eval(st.test)
            envs_read = tree.env_reads[before:]
            tree.notes.append(f"{where}: `if {test_src}:` evaluated as {bool(val)}"
                              + (f" (env {', '.join(envs_read)} unset)" if envs_read else ""))
            interpret_body(st.body if val else st.orelse, ev, rec, tree, parser_name, ctx)
            continue
        raise SystemExit(f"{where}: unsupported statement in add_cli_args: {ast.unparse(st)[:200]}")


# -- emulation of arg_groups/arg_utils.add_cli_args_from_dataclass ------------

def _dataclass_fn_fingerprint(tree):
    mod = tree.module("sglang.srt.arg_groups.arg_utils")
    for st in mod.ast.body:
        if isinstance(st, ast.FunctionDef) and st.name == "add_cli_args_from_dataclass":
            body = st.body[1:] if isinstance(st.body[0], ast.Expr) else st.body
            src = "\n".join(ast.unparse(s) for s in body)
            # normalise the 0.5.16 spelling `for field in dataclasses.fields(cls)`
            src = src.replace("dataclasses.fields(cls)", "record_fields(cls)")
            src = src.replace("(origin is list or origin is List)", "origin is list")
            tree.files_read.add(mod.relpath)
            return hashlib.sha256(src.encode()).hexdigest()[:16]
    raise SystemExit("add_cli_args_from_dataclass not found")


KNOWN_DATACLASS_FINGERPRINTS = {"b12db026de060636"}


def unwrap_annotation(mod, node):
    """Return (type_node, type_mod, meta dict or None) for A[T, meta...]."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        node = ast.parse(node.value, mode="eval").body
    if isinstance(node, ast.Subscript) and ast.unparse(node.value) in ("A", "Annotated", "typing.Annotated"):
        elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        inner = elts[0]
        for m in elts[1:]:
            if isinstance(m, ast.Call) and ast.unparse(m.func).split(".")[-1] == "Arg":
                meta = {}
                for k in m.keywords:
                    meta[k.arg] = ("node", k.value)
                return inner, meta
            if isinstance(m, ast.Call):
                continue  # NS(...)
            try:
                v = Evaluator(mod).eval(m)
            except Unresolved:
                continue
            if isinstance(v, str):
                return inner, {"help": ("value", v)}
        return inner, None
    return node, None


def analyze_type(mod, node, depth=0):
    """-> dict(kind=scalar|none|literal|list|union|other, name=..., ...)"""
    if depth > 10:
        return {"kind": "other", "name": "?"}
    if isinstance(node, ast.Constant):
        if node.value is None:
            return {"kind": "none"}
        if isinstance(node.value, str):
            return analyze_type(mod, ast.parse(node.value, mode="eval").body, depth + 1)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        parts = []
        for side in (node.left, node.right):
            t = analyze_type(mod, side, depth + 1)
            parts += t["members"] if t["kind"] == "union" else [t]
        return {"kind": "union", "members": parts}
    if isinstance(node, (ast.Name, ast.Attribute)):
        nm = ast.unparse(node).split(".")[-1]
        if nm in ("str", "int", "float", "bool"):
            return {"kind": "scalar", "name": nm}
        if nm in ("list", "List"):
            return {"kind": "list", "elem": {"kind": "other", "name": "?"}}
        if nm in ("dict", "Dict", "Any", "Path", "Callable", "tuple", "Tuple", "set", "Set", "object"):
            return {"kind": "other", "name": nm}
        if isinstance(node, ast.Name) and node.id in mod.bindings:
            b = mod.bindings[node.id]
            if isinstance(b, ast.Assign):
                return analyze_type(mod, b.value, depth + 1)
            if isinstance(b, tuple):
                st, alias = b
                if isinstance(st, ast.ImportFrom):
                    src = mod.tree.module(mod._abs_module(st))
                    if src is not None and alias.name in src.bindings:
                        return analyze_type(src, ast.Name(id=alias.name), depth + 1)
        return {"kind": "other", "name": nm}
    if isinstance(node, ast.Subscript):
        head = ast.unparse(node.value).split(".")[-1]
        elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if head == "Optional":
            return {"kind": "union", "members": [analyze_type(mod, elts[0], depth + 1), {"kind": "none"}]}
        if head == "Union":
            parts = []
            for e in elts:
                t = analyze_type(mod, e, depth + 1)
                parts += t["members"] if t["kind"] == "union" else [t]
            return {"kind": "union", "members": parts}
        if head == "Literal":
            return {"kind": "literal", "values": [Evaluator(mod).eval(e) for e in elts]}
        if head in ("List", "list"):
            return {"kind": "list", "elem": analyze_type(mod, elts[0], depth + 1)}
        if head in ("A", "Annotated"):
            return analyze_type(mod, elts[0], depth + 1)
        return {"kind": "other", "name": head}
    return {"kind": "other", "name": ast.unparse(node)}


def infer_type_func(t):
    if t.get("kind") == "scalar" and t["name"] in ("str", "int", "float"):
        return Ext("builtins." + t["name"])
    return Ext("builtins.str")


def collect_record_fields(tree, sa_mod, sa_cls):
    """ServerArgs fields in declaration order: name -> dict(mod, ann, default)."""
    fields = {}
    namespaces = sa_mod.bindings.get("_INPUT_NAMESPACES")
    sources = []
    if isinstance(namespaces, ast.Assign):
        for e in namespaces.value.elts:
            sources.append(Evaluator(sa_mod).eval(e))
        # POSITIONAL_FIELD_ORDER first, like fields.collect_input_fields
    sources.append(ClassRef(sa_mod, sa_cls))
    for cls in sources:
        tree.files_read.add(cls.mod.relpath)
        for st in cls.node.body:
            if isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name):
                nm = st.target.id
                if nm.startswith("__") or ast.unparse(st.annotation).startswith("ClassVar"):
                    continue
                if nm in fields and cls.node is not sa_cls:
                    raise SystemExit(f"field {nm} declared twice")
                if st.value is None:
                    default = MISSING
                else:
                    try:
                        default = field_default_value(cls.mod, st.value)
                    except Unresolved as e:
                        tree.unresolved.append(f"{cls.mod.relpath}:{st.lineno} default of {nm}: {e}")
                        default = COMPUTED
                fields[nm] = {"mod": cls.mod, "ann": st.annotation, "default": default,
                              "lineno": st.lineno}
    order_mod = tree.module("sglang.srt.arg_groups.field_order")
    if order_mod is not None and isinstance(namespaces, ast.Assign):
        order = order_mod.lookup("POSITIONAL_FIELD_ORDER")
        known = [n for n in order if n in fields]
        rest = [n for n in fields if n not in set(order)]
        fields = {n: fields[n] for n in known + rest}
    return fields


def emulate_dataclass_args(ctx, rec, tree):
    fp = _dataclass_fn_fingerprint(tree)
    if fp not in KNOWN_DATACLASS_FINGERPRINTS:
        raise SystemExit(
            f"{rec.version}: arg_utils.add_cli_args_from_dataclass changed "
            f"(fingerprint {fp}); check the emulation in gen_sglang.py and add it "
            "to KNOWN_DATACLASS_FINGERPRINTS")
    for fname, f in ctx["fields"].items():
        mod = f["mod"]
        where = f"{mod.relpath}:{f['lineno']}"
        inner_node, meta_nodes = unwrap_annotation(mod, f["ann"])
        if meta_nodes is None:
            continue
        ev = Evaluator(mod)
        meta = {}
        for k, (kind, v) in meta_nodes.items():
            meta[k] = v if kind == "value" else eval_kw(ev, v, tree, where + f" ({fname})", k)
        if meta.get("no_cli"):
            continue
        cli_name = meta.get("cli_name") or "--" + fname.replace("_", "-")
        names = [cli_name] + list(meta.get("aliases") or [])
        default = f["default"]
        auto_dest = cli_name.lstrip("-").replace("-", "_")
        kw = {"help": meta.get("help", "")}
        if fname != auto_dest:
            kw["dest"] = fname
        if meta.get("action") is not None:
            kw["action"] = meta["action"]
            if default is not MISSING:
                kw["default"] = default
            if meta.get("action_kwargs"):
                kw.update(meta["action_kwargs"])
            rec.add(names, kw, where)
            continue
        t = analyze_type(mod, inner_node)
        if t["kind"] == "union":
            non_none = [m for m in t["members"] if m["kind"] != "none"]
            if len(non_none) == 1:
                t = non_none[0]
        if t["kind"] == "literal":
            vals = t["values"]
            kw["choices"] = meta.get("choices") or vals
            val_type = type(vals[0]).__name__ if vals else "str"
            kw["type"] = meta.get("type_parser") or infer_type_func({"kind": "scalar", "name": val_type})
            if default is not MISSING:
                kw["default"] = default
            if meta.get("const") is not None:
                kw["const"] = meta["const"]
            rec.add(names, kw, where)
            continue
        if t["kind"] == "list" and meta.get("type_parser") is None:
            kw["type"] = infer_type_func(t["elem"])
            kw["nargs"] = meta.get("nargs") or "+"
            if meta.get("choices"):
                kw["choices"] = meta["choices"]
            if default is not MISSING:
                kw["default"] = default
            if meta.get("const") is not None:
                kw["const"] = meta["const"]
            rec.add(names, kw, where)
            continue
        if t["kind"] == "scalar" and t["name"] == "bool":
            kw["action"] = "store_true"
            if default is not MISSING:
                kw["default"] = default
            rec.add(names, kw, where)
            continue
        kw["type"] = meta.get("type_parser") or infer_type_func(t)
        if meta.get("choices"):
            kw["choices"] = meta["choices"]
        if meta.get("nargs"):
            kw["nargs"] = meta["nargs"]
        if default is not MISSING:
            kw["default"] = default
        if meta.get("const") is not None:
            kw["const"] = meta["const"]
        req = meta.get("required")
        if (req is True or (req is None and default is MISSING)) and any(n.startswith("-") for n in names):
            kw["required"] = True
        rec.add(names, kw, where)


def declared_default_factory(ctx):
    def _declared_default(name):
        return ctx["fields"][name]["default"]
    return _declared_default


# ---------------------------------------------------------------------------
# Per-version extraction
# ---------------------------------------------------------------------------


def from_cli_args_renames(sa_cls):
    """`args.tp_size = args.tensor_parallel_size` in ServerArgs.from_cli_args:
    the option's argparse dest differs from the ServerArgs field it feeds."""
    out = {}
    for st in sa_cls.body:
        if isinstance(st, ast.FunctionDef) and st.name == "from_cli_args":
            for s in ast.walk(st):
                if (isinstance(s, ast.Assign) and len(s.targets) == 1
                        and isinstance(s.targets[0], ast.Attribute)
                        and isinstance(s.value, ast.Attribute)
                        and isinstance(s.value.value, ast.Name)
                        and s.value.value.id == s.targets[0].value.id):
                    out[s.value.attr] = s.targets[0].attr
    return out


def parser_facts(sa_mod):
    """ArgumentParser(...) keywords used by prepare_server_args."""
    for st in sa_mod.ast.body:
        if isinstance(st, ast.FunctionDef) and st.name == "prepare_server_args":
            calls = [n for n in ast.walk(st) if isinstance(n, ast.Call)
                     and ast.unparse(n.func).endswith("ArgumentParser")]
            kws = {k.arg: ast.unparse(k.value) for k in calls[-1].keywords}
            return {"line": calls[-1].lineno, "keywords": kws}
    raise SystemExit("prepare_server_args not found")


def extract_version(version, root):
    tree = SourceTree(root)
    sa_mod = tree.module("sglang.srt.server_args")
    if sa_mod is None:
        raise SystemExit(f"{root}: sglang/srt/server_args.py not found")
    tree.files_read.add(sa_mod.relpath)
    tree.files_read.add("sglang/launch_server.py")
    # launch_server must call prepare_server_args(sys.argv[1:])
    with open(os.path.join(root, "sglang", "launch_server.py"), encoding="utf-8") as f:
        if "prepare_server_args(sys.argv[1:])" not in f.read():
            raise SystemExit(f"{version}: launch_server.py does not call prepare_server_args")
    sa_cls, fn = find_function(sa_mod, "ServerArgs", "add_cli_args")
    ctx = {"fields": collect_record_fields(tree, sa_mod, sa_cls)}
    # ServerArgs.<field> resolves through the collected record fields
    envs_mod = tree.module("sglang.srt.environ")
    if envs_mod is not None and "Envs" in envs_mod.bindings:
        envs_cls = ClassRef(envs_mod, envs_mod.bindings["Envs"])
        envs_mod.cache["envs"] = Envs(envs_cls)
    sa_ref = ClassRef(sa_mod, sa_cls)
    sa_ref.record_fields = ctx["fields"]
    sa_mod.cache["ServerArgs"] = sa_ref
    if "_declared_default" in sa_mod.bindings:
        sa_mod.cache["_declared_default"] = declared_default_factory(ctx)
    parser_name = fn.args.args[0].arg
    rec = Recorder(tree, version)
    rec.renames = from_cli_args_renames(sa_cls)
    facts = parser_facts(sa_mod)
    if facts["keywords"].get("add_help", "True") != "False":
        rec.add(["-h", "--help"], {"action": "help", "help": "show this help message and exit"},
                "argparse")
    interpret_body(fn.body, Evaluator(sa_mod), rec, tree, parser_name, ctx)
    return tree, rec, facts


# ---------------------------------------------------------------------------
# Env vars that matter for start-up checks, memory or limits
# ---------------------------------------------------------------------------

ENV_VARS = [
    ("SGLANG_ALLOW_OVERWRITE_LONGER_CONTEXT_LEN", "bool",
     "Allow --context-length above the length derived from the model's config.json "
     "(otherwise start-up refuses)."),
    ("SGLANG_ENABLE_TP_MEMORY_INBALANCE_CHECK", "bool",
     "Refuse to start when a TP rank has < 90% of the free GPU memory of the others "
     "(else only warn)."),
    ("SGLANG_DISABLE_TP_MEMORY_INBALANCE_CHECK", "bool",
     "Older spelling: turn the TP memory-imbalance refusal into a warning."),
    ("SGL_DISABLE_TP_MEMORY_INBALANCE_CHECK", "bool",
     "Oldest spelling: turn the TP memory-imbalance refusal into a warning."),
    ("SGLANG_ENABLE_JIT_DEEPGEMM", "bool", "Use DeepGEMM JIT kernels (FP8 block GEMM) on supported GPUs."),
    ("SGLANG_USE_MODELSCOPE", "bool", "Load models from ModelScope instead of the Hugging Face hub."),
    ("SGLANG_CLIP_MAX_NEW_TOKENS_ESTIMATION", "int",
     "Clip max_new_tokens used by the scheduler's memory estimation."),
    ("SGLANG_SYMM_MEM_PREALLOC_GB_SIZE", "int", "Symmetric-memory preallocation size in GB."),
    ("SGLANG_ENABLE_SPEC_V2", "bool", "Use the overlap (v2) speculative decoding worker."),
    ("SGLANG_ENABLE_DETERMINISTIC_INFERENCE", "bool", "Deterministic inference mode (changes backend choices)."),
    ("SGLANG_DISABLE_CUDNN_CHECK", "bool",
     "Skip the CuDNN 9.1-9.2 + Conv3d refusal for vision models."),
    ("SGLANG_USE_CPU_ENGINE", "bool", "Select the CPU platform."),
    ("SGLANG_KV_CANARY_ENABLE_TOKEN_ORACLE", "bool",
     "Adds 'token_oracle' to --sampling-backend choices (0.5.16+)."),
    ("SGLANG_ENABLE_PP_SPEC", "bool", "Allow speculative decoding with pipeline parallelism."),
]


def env_spec(trees, versions):
    out = []
    for name, typ, help_ in ENV_VARS:
        present = []
        default = None
        for v in versions:
            root = trees[v].root
            hit = False
            for dirpath, _, files in os.walk(os.path.join(root, "sglang", "srt")):
                for fn in files:
                    if fn.endswith(".py"):
                        with open(os.path.join(dirpath, fn), encoding="utf-8", errors="replace") as f:
                            if name in f.read():
                                hit = True
                                break
                if hit:
                    break
            present.append(hit)
            envs_mod = trees[v].module("sglang.srt.environ")
            if hit and envs_mod is not None and "Envs" in envs_mod.bindings:
                ev = Envs(ClassRef(envs_mod, envs_mod.bindings["Envs"])).var(name)
                if ev.default is not None:
                    default = ev.default
        spans = []
        for v, hit in zip(versions, present):
            if hit:
                if spans and spans[-1]["to"] == versions[versions.index(v) - 1] and present[versions.index(v) - 1]:
                    spans[-1]["to"] = v
                else:
                    spans.append({"from": v, "to": v})
        if not spans:
            continue
        if default is None and typ == "bool":
            default = False
        out.append({"name": name, "type": typ,
                    "default": json.dumps(default) if not isinstance(default, str) else default,
                    "spans": spans, "help": help_})
    return sorted(out, key=lambda e: e["name"])


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------


def version_key(v):
    try:
        from packaging.version import Version
        return Version(v)
    except Exception:  # noqa: BLE001
        return tuple(int(x) if x.isdigit() else x for x in re.split(r"[.]", v))


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


PARSER_MESSAGES = {
    "unknown_flag_message": "%(prog)s: error: unrecognized arguments: %s  "
                            "(argparse.ArgumentParser.parse_args, Python 3.11 argparse.py:1871: "
                            "self.error(_('unrecognized arguments: %s') % ' '.join(argv)); printed to "
                            "stderr after the usage line, exit status 2)",
    "bad_value_message": "%(prog)s: error: argument %(argument_name)s: invalid %(type)s value: %(value)r  "
                         "(argparse._get_values/_get_value; %(type)s is the converter's __name__: "
                         "'int', 'float', 'loads' for json.loads, 'json_list_type', 'human_readable_int' ...; exit 2)",
    "bad_choice_message": "%(prog)s: error: argument %(argument_name)s: invalid choice: %(value)r "
                          "(choose from %(choices)s)  (argparse._check_value, Python 3.11 argparse.py:2552; "
                          "choices shown as ', '.join(map(repr, choices)); later Python releases may "
                          "format them differently; exit 2)",
    "missing_value_message": "%(prog)s: error: argument %(argument_name)s: expected one argument  "
                             "(argparse._match_argument; 'expected at least one argument' for nargs='+', "
                             "'expected at most one argument' for nargs='?'; exit 2)",
    "missing_required_message": "%(prog)s: error: the following arguments are required: %s  "
                                "(argparse.parse_known_args; --model-path/--model is required)",
    "ambiguous_abbrev_message": "%(prog)s: error: ambiguous option: %(option)s could match %(matches)s  "
                                "(argparse._parse_optional; abbreviations are accepted)",
}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("trees", nargs="*", help="VERSION=PATH (PATH contains sglang/)")
    ap.add_argument("--root", help="directory with one <version>/ subdirectory per version")
    ap.add_argument("--manifest", help="JSON manifest {version: {path, artifact, commit}}")
    ap.add_argument("--dl", help="directory with the downloaded wheels (for artifact sha256)")
    ap.add_argument("--out", default="llmdoctor/engines/sglang/cli_flags.json")
    args = ap.parse_args(argv)

    srcs = {}
    meta = {}
    if args.manifest:
        with open(args.manifest) as f:
            for v, m in json.load(f).items():
                srcs[v] = m["path"]
                meta[v] = m
    if args.root:
        for v in os.listdir(args.root):
            if os.path.isfile(os.path.join(args.root, v, "sglang", "srt", "server_args.py")):
                srcs[v] = os.path.join(args.root, v)
    for t in args.trees:
        v, _, p = t.partition("=")
        srcs[v] = p
    if not srcs:
        ap.error("no source trees given")
    versions = sorted(srcs, key=version_key)

    trees, per_version, sources, parser_kw, unresolved, notes = {}, {}, {}, {}, {}, {}
    for v in versions:
        tree, rec, facts = extract_version(v, srcs[v])
        trees[v] = tree
        per_version[v] = rec.flags()
        parser_kw[v] = facts
        if tree.unresolved:
            unresolved[v] = sorted(set(tree.unresolved))
        if tree.notes:
            notes[v] = sorted(set(tree.notes))
        artifact = meta.get(v, {}).get("artifact")
        if artifact is None and args.dl:
            for fn in sorted(os.listdir(args.dl)):
                if fn.startswith(f"sglang-{v}-") and fn.endswith(".whl"):
                    artifact = f"{fn} sha256:{sha256(os.path.join(args.dl, fn))}"
        sources[v] = {
            "repo": REPO,
            "commit": meta.get(v, {}).get("commit"),
            "artifact": artifact,
            "files": sorted("python/" + p for p in tree.files_read),
        }

    dests = sorted({d for v in versions for d in per_version[v]})
    flags = []
    for d in dests:
        spans = []
        prev = None
        for v in versions:
            spec = per_version[v].get(d)
            if spec is None:
                prev = None
                continue
            if prev is not None and spec == prev:
                spans[-1]["to"] = v
            else:
                spans.append({"from": v, "to": v, **spec})
            prev = spec
        flags.append({"dest": d, "spans": spans})

    abbrev = {v: parser_kw[v]["keywords"].get("allow_abbrev", "True") != "False" for v in versions}
    progs = {v: parser_kw[v]["keywords"].get("prog") for v in versions}
    doc = {
        "engine": "sglang",
        "generated_by": GENERATED_BY,
        "program": PROGRAM,
        "versions": versions,
        "sources": sources,
        "parser": {
            "style": "argparse",
            "abbrev": all(abbrev.values()),
            "abbrev_note": "argparse.ArgumentParser() is built without allow_abbrev, so any "
                           "unambiguous prefix of a long option is accepted (e.g. --mem-frac for "
                           "--mem-fraction-static), also as --prefix=value.",
            "prog": {v: (ast.literal_eval(p) if p else "launch_server.py") for v, p in progs.items()},
            "prog_note": "prog is 'sglang serve' where prepare_server_args passes prog=; "
                         "otherwise argparse uses basename(sys.argv[0]), i.e. 'launch_server.py' "
                         "for python -m sglang.launch_server.",
            "source": {v: f"python/sglang/srt/server_args.py:{parser_kw[v]['line']} prepare_server_args"
                       for v in versions},
            "exit_status": 2,
            "config_file": "--config FILE (YAML) is merged into argv by "
                           "ConfigArgumentMerger before parsing (versions where the --config option exists, see flag 'config').",
            **PARSER_MESSAGES,
        },
        "flags": flags,
        "env_vars": env_spec(trees, versions),
        "extra": {
            "flag_counts": {v: len(per_version[v]) for v in versions},
            "option_string_counts": {v: sum(len(s["names"]) for s in per_version[v].values())
                                     for v in versions},
            "unresolved": unresolved,
            "evaluation_notes": notes,
            "plugin_note": "Choice lists (ATTENTION_BACKEND_CHOICES, QUANTIZATION_CHOICES, "
                           "LOAD_FORMAT_CHOICES, ...) can be extended at run time by out-of-tree "
                           "plugins through server_args.add_*_choices(); no in-tree caller exists. "
                           "0.5.20+ launch_server also calls load_plugins() before parsing.",
        },
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, sort_keys=False, ensure_ascii=False)
        f.write("\n")
    for v in versions:
        print(f"{v}: {len(per_version[v])} dests, "
              f"{doc['extra']['option_string_counts'][v]} option strings, "
              f"{len(unresolved.get(v, []))} unresolved")
    return 0


if __name__ == "__main__":
    sys.exit(main())
